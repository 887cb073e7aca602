"""The physiotherapist's part of the programme, the same in both study arms: three visits, an
activity plan written with the participant, and a main goal with intermediate goals whose
attainment is rated at follow-up (goal attainment scaling)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

if TYPE_CHECKING:
    from datetime import date, datetime

    from django_stubs_ext import StrOrPromise

# The trial's protocol: three visits with the physiotherapist. More can be booked, up to a
# bound that keeps one participant's page short.
PLANNED_VISITS = 3
MAX_VISITS = 12
# Attendance is known afterwards: it can be recorded from the visit's own day, which in any
# time zone is at most a day before the booked time.
ATTENDANCE_EARLIEST = timedelta(days=1)
VISIT_NOTE_MAX_LENGTH = 4000
GOAL_MAX_LENGTH = 300
GOAL_LEVEL_MAX_LENGTH = 600
PLAN_NOTE_MAX_LENGTH = 2000
ACTIVITY_NAME_MAX_LENGTH = 80
MAX_PLANNED_ACTIVITIES = 8
# Goal attainment scaling scores at most ten goals (assessments.instruments.gas.MAX_GOALS):
# one main goal and up to nine intermediate ones.
MAX_GOALS = 10

_Row = TypeVar("_Row", bound=models.Model)


class ParticipantDataQuerySet(models.QuerySet[_Row]):
    """Rows that belong to one participant (reached through `participant_path`): the
    participant sees their own, care staff those of their current caseload (in any care
    role), nobody else any."""

    participant_path = "participant"

    def visible_to(self, user: User) -> Self:
        if not user.is_authenticated:
            return self.none()
        if user.is_participant:
            return self.filter(**{self.participant_path: user})
        if user.is_care_staff:
            return self.filter(**{f"{self.participant_path}__in": User.objects.in_care_of(user)})
        return self.none()

    def of(self, participant: User) -> Self:
        return self.filter(**{self.participant_path: participant})


class PhysioVisitQuerySet(ParticipantDataQuerySet["PhysioVisit"]):
    def upcoming(self, now: datetime) -> PhysioVisitQuerySet:
        """Booked, not recorded yet, and not in the past."""
        return self.filter(attended__isnull=True, scheduled_at__gte=now)

    def attended(self) -> PhysioVisitQuerySet:
        return self.filter(attended=True)


class PhysioVisit(models.Model):
    """A visit with the physiotherapist: booked for a time, then recorded as attended or not.
    The notes are for staff and never shown to the participant."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="physio_visits"
    )
    physiotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="physio_visits_held"
    )
    scheduled_at = models.DateTimeField(_("date and time"))
    # None until it is recorded after the visit.
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(
        _("notes"), blank=True, validators=[MaxLengthValidator(VISIT_NOTE_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PhysioVisitQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["participant", "scheduled_at"]),
            # The reminder sweep reads the visits still to come, around tomorrow.
            models.Index(
                fields=["scheduled_at"],
                condition=Q(attended__isnull=True),
                name="physio_visit_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk}"

    @classmethod
    def schedule(cls, *, participant: User, physiotherapist: User, at: datetime) -> PhysioVisit:
        """Book a visit; refused beyond MAX_VISITS for one participant. (The bound only keeps
        pages short: two bookings racing past it by one do no harm, so it takes no lock.)"""
        if cls.objects.of(participant).count() >= MAX_VISITS:
            raise ValueError("A participant has at most MAX_VISITS visits.")
        return cls.objects.create(
            participant=participant, physiotherapist=physiotherapist, scheduled_at=at
        )

    def can_record_attendance(self, now: datetime | None = None) -> bool:
        return self.scheduled_at <= (now or timezone.now()) + ATTENDANCE_EARLIEST

    def update(self, *, by: User, at: datetime, attended: bool | None, notes: str) -> None:
        """Reschedule, record attendance (None: not recorded) and keep notes, in one save."""
        self.scheduled_at = at
        if attended is not None and not self.can_record_attendance():
            raise ValueError("Attendance is recorded on or after the day of the visit.")
        if attended != self.attended:
            self.attended = attended
            self.attendance_recorded_at = timezone.now() if attended is not None else None
            self.attendance_recorded_by = by if attended is not None else None
        self.notes = notes
        self.save()

    @property
    def is_recorded(self) -> bool:
        return self.attended is not None

    @property
    def is_due_for_attendance(self) -> bool:
        """Its day has come (in the viewer's time zone) and attendance is not recorded."""
        local = timezone.localtime(self.scheduled_at).date()
        return self.attended is None and local <= timezone.localdate()


class Intensity(models.TextChoices):
    LIGHT = "light", _("Light")
    MODERATE = "moderate", _("Moderate")
    VIGOROUS = "vigorous", _("Vigorous")


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", _("Minutes a week")
    SESSIONS = "sessions", _("Sessions a week")


class ActivityPlanQuerySet(ParticipantDataQuerySet["ActivityPlan"]):
    pass


class ActivityPlan(models.Model):
    """The physical-activity plan the physiotherapist writes with the participant: a few
    activities and a weekly target. One per participant, changed as it is followed up."""

    participant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_plan"
    )
    target_unit = models.CharField(
        _("weekly target in"),
        max_length=10,
        choices=TargetUnit.choices,
        default=TargetUnit.MINUTES,
    )
    target_value = models.PositiveSmallIntegerField(
        _("weekly target"), validators=[MinValueValidator(1), MaxValueValidator(3000)]
    )
    notes = models.TextField(
        _("agreed notes"),
        blank=True,
        validators=[MaxLengthValidator(PLAN_NOTE_MAX_LENGTH)],
        help_text=_("Shown to the participant with the plan."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityPlanQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="activity_plan_target_in_range",
                condition=Q(target_value__gte=1, target_value__lte=3000),
            )
        ]

    def __str__(self) -> str:
        return f"Activity plan {self.pk}"


class PlannedActivity(models.Model):
    plan = models.ForeignKey(ActivityPlan, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(_("activity"), max_length=ACTIVITY_NAME_MAX_LENGTH)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("times a week"), validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    intensity = models.CharField(_("how hard"), max_length=10, choices=Intensity.choices)
    minutes_per_session = models.PositiveSmallIntegerField(
        _("minutes each time"), validators=[MinValueValidator(1), MaxValueValidator(300)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "planned activities"

    def __str__(self) -> str:
        return self.name

    @property
    def weekly_minutes(self) -> int:
        return self.sessions_per_week * self.minutes_per_session


class ActivityEntryQuerySet(ParticipantDataQuerySet["ActivityEntry"]):
    def between(self, first: date, last: date) -> ActivityEntryQuerySet:
        return self.filter(performed_on__gte=first, performed_on__lte=last)


class ActivityEntry(models.Model):
    """Activity the participant did and wrote down: what, on which day, for how long, how
    hard. `name` is kept even if the planned activity it was logged against is removed."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_entries"
    )
    planned_activity = models.ForeignKey(
        PlannedActivity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
    )
    name = models.CharField(_("activity"), max_length=ACTIVITY_NAME_MAX_LENGTH)
    performed_on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    intensity = models.CharField(_("how hard"), max_length=10, choices=Intensity.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActivityEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_on", "-created_at", "-pk"]
        verbose_name_plural = "activity entries"
        indexes = [models.Index(fields=["participant", "performed_on"])]
        constraints = [
            models.CheckConstraint(
                name="activity_entry_minutes_in_range",
                condition=Q(minutes__gte=1, minutes__lte=600),
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.performed_on}"


class GoalKind(models.TextChoices):
    MAIN = "main", _("Main goal")
    INTERMEDIATE = "intermediate", _("Intermediate goal")


# The goal attainment scale: -2 much less than expected .. +2 much more than expected.
GOAL_LEVELS = (-2, -1, 0, 1, 2)
LEVEL_FIELDS = {
    -2: "level_minus_2",
    -1: "level_minus_1",
    0: "level_0",
    1: "level_plus_1",
    2: "level_plus_2",
}


# Where a goal starts on its scale, as stated when it is set: -2 or -1 (Turner-Stokes 2009).
# -2 unless stated: goals set before the level was asked keep the categories they had
# (physio/attainment.py gives gas.py's categories exactly when the start is -2).
BASELINE_LEVELS = (-2, -1)
DEFAULT_BASELINE_LEVEL = -2


class GoalTimePoint(models.TextChoices):
    """When a goal is rated. Baseline is the goal's own `baseline_level`, stated when it is set,
    so it is never a rating; the protocol's three physiotherapy visits and the 6-month
    follow-up are (a fourth or later visit is rated at "visit3", the last the protocol has)."""

    VISIT1 = "visit1", _("First physiotherapy visit")
    VISIT2 = "visit2", _("Second physiotherapy visit")
    VISIT3 = "visit3", _("Third physiotherapy visit")
    FOLLOW_UP = "6m", _("6-month follow-up")


BASELINE = "baseline"
# Every occasion a goal has a level at, in order; baseline's level is `Goal.baseline_level`.
GOAL_TIME_POINTS = (BASELINE, *GoalTimePoint.values)


def goal_time_point_label(key: str) -> StrOrPromise:
    return _("Baseline (when the goal was set)") if key == BASELINE else GoalTimePoint(key).label


class GoalQuerySet(ParticipantDataQuerySet["Goal"]):
    pass


def _level_field(verbose: StrOrPromise) -> models.TextField[str, str]:
    return models.TextField(verbose, validators=[MaxLengthValidator(GOAL_LEVEL_MAX_LENGTH)])


class Goal(models.Model):
    """A goal set with the participant, with what each level of attainment (-2..+2) would
    look like described in words when it is set (goal attainment scaling). The main goal
    comes first (position 0), intermediate goals after it in the order they were set."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    kind = models.CharField(_("kind of goal"), max_length=15, choices=GoalKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("goal"), max_length=GOAL_MAX_LENGTH)
    level_minus_2 = _level_field(_("-2: much less than expected"))
    level_minus_1 = _level_field(_("-1: somewhat less than expected"))
    level_0 = _level_field(_("0: the expected level"))
    level_plus_1 = _level_field(_("+1: somewhat more than expected"))
    level_plus_2 = _level_field(_("+2: much more than expected"))
    baseline_level = models.SmallIntegerField(
        _("level at the start"),
        choices=[(level, f"{level:+d}") for level in BASELINE_LEVELS],
        default=DEFAULT_BASELINE_LEVEL,
        help_text=_("Where the participant is now on this scale: usually -1, or -2."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(kind="main"),
                name="one_main_goal_per_participant",
            ),
            models.CheckConstraint(
                name="goal_baseline_level_in_range",
                condition=Q(baseline_level__gte=-2, baseline_level__lte=-1),
            ),
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk}"

    @classmethod
    def add(
        cls,
        *,
        participant: User,
        kind: str,
        by: User,
        baseline_level: int = DEFAULT_BASELINE_LEVEL,
        **texts: str,
    ) -> Goal:
        """Set a new goal: the main goal (one), or the next intermediate goal, starting at
        `baseline_level`."""
        if baseline_level not in BASELINE_LEVELS:
            raise ValueError("A goal starts at -2 or -1.")
        existing = list(cls.objects.of(participant).order_by().values_list("kind", "position"))
        if len(existing) >= MAX_GOALS:
            raise ValueError("A participant has at most MAX_GOALS goals.")
        if kind == GoalKind.MAIN:
            if any(other == GoalKind.MAIN for other, _position in existing):
                raise ValueError("A participant has one main goal.")
            position = 0
        else:
            position = max((p for _kind, p in existing), default=0) + 1
        try:
            # Two main goals set at once in two tabs: the unique constraint keeps one.
            with transaction.atomic():
                return cls.objects.create(
                    participant=participant,
                    kind=kind,
                    position=position,
                    created_by=by,
                    baseline_level=baseline_level,
                    **texts,
                )
        except IntegrityError:
            raise ValueError("A participant has one main goal.") from None

    def level_text(self, level: int) -> str:
        return str(getattr(self, LEVEL_FIELDS[level]))

    def rate(
        self,
        *,
        level: int,
        by: User,
        time_point: str = GoalTimePoint.FOLLOW_UP,
        at: datetime | None = None,
    ) -> GoalRating:
        """Rate attainment at a time point. Rating a time point again replaces its rating for
        every page, report and export, and keeps the earlier one as history (`current` False),
        so that a correction can be traced."""
        if level not in GOAL_LEVELS:
            raise ValueError("A goal attainment level is between -2 and +2.")
        if time_point not in GoalTimePoint.values:
            raise ValueError("A goal is rated at a visit or at the 6-month follow-up.")
        with transaction.atomic():
            # The goal's row lock serialises two ratings of one goal, so one stays current.
            Goal.objects.select_for_update().filter(pk=self.pk).first()
            GoalRating.objects.filter(goal=self, time_point=time_point, current=True).update(
                current=False
            )
            return GoalRating.objects.create(
                goal=self,
                level=level,
                time_point=time_point,
                rated_by=by,
                rated_at=at or timezone.now(),
            )


class GoalRating(models.Model):
    """A goal's level at one time point. One rating per goal and time point is `current`; a
    re-rating supersedes it and the superseded ones stay as history."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    time_point = models.CharField(_("time point"), max_length=10, choices=GoalTimePoint.choices)
    level = models.SmallIntegerField(
        _("attainment"), validators=[MinValueValidator(-2), MaxValueValidator(2)]
    )
    current = models.BooleanField(default=True)
    rated_at = models.DateTimeField(default=timezone.now)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-rated_at", "-pk"]
        indexes = [models.Index(fields=["goal", "-rated_at"])]
        constraints = [
            models.CheckConstraint(
                name="goal_rating_level_in_range", condition=Q(level__gte=-2, level__lte=2)
            ),
            models.UniqueConstraint(
                fields=["goal", "time_point"],
                condition=Q(current=True),
                name="one_current_rating_per_goal_and_time_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level:+d}"
