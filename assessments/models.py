"""Schedules of outcome questionnaires, participants' answers and scores, and risk flags."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assessments.instruments import UnknownInstrument, get_instrument
from assessments.item_texts import can_serve, languages_missing
from assessments.labels import (
    TIME_POINT_LABELS,
    TIME_POINT_SHORT_LABELS,
    instrument_title,
    scale_label,
)


def validate_instrument_codes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Give a list of instrument codes."))
    if len(set(value)) != len(value):
        raise ValidationError(_("An instrument is listed twice."))
    for code in value:
        try:
            get_instrument(code)
        except UnknownInstrument:
            raise ValidationError(
                _("%(code)s is not a known instrument."), params={"code": code}
            ) from None


def _known(code: str) -> bool:
    try:
        get_instrument(code)
    except UnknownInstrument:
        return False
    return True


class ScheduleQuerySet(models.QuerySet["Schedule"]):
    def default(self) -> Schedule | None:
        return self.filter(is_default=True).first()


class Schedule(models.Model):
    """A set of time points at which participants answer outcome questionnaires.

    Every participant follows the default schedule; a study that needs another one switches the
    default rather than mixing schedules, so that time points stay comparable across people."""

    name = models.CharField(_("name"), max_length=80)
    is_default = models.BooleanField(_("default schedule"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("questionnaire schedule")
        verbose_name_plural = _("questionnaire schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_schedule",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TimePointQuerySet(models.QuerySet["TimePoint"]):
    def active(self) -> TimePointQuerySet:
        return self.filter(is_active=True)

    def of_default_schedule(self) -> TimePointQuerySet:
        return self.filter(schedule__is_default=True).active().order_by("opens_day", "pk")

    def visible_to(self, user: User) -> TimePointQuerySet:
        """A participant reaches the active time points of the schedule they follow."""
        if not user.is_authenticated or not user.is_participant:
            return self.none()
        return self.of_default_schedule()


class TimePoint(models.Model):
    """One measurement occasion (baseline, 6 months, ...): its window, counted in days from
    the participant's start, and the instruments it includes, in the order they are asked."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="time_points")
    key = models.SlugField(
        _("key"), max_length=20, help_text=_("For example baseline, 6m, 12m, 24m.")
    )
    name = models.CharField(_("name"), max_length=80)
    opens_day = models.PositiveIntegerField(
        _("opens on day"), help_text=_("Days after the start of the programme.")
    )
    closes_day = models.PositiveIntegerField(
        _("closes after day"), help_text=_("Last day on which answers are accepted.")
    )
    instruments = models.JSONField(
        _("instruments"),
        default=list,
        validators=[validate_instrument_codes],
        help_text=_('Instrument codes in the order asked, e.g. ["pain_vas", "hads"].'),
    )
    # Instruments the study asks for whose item texts the clinic has not installed yet: listed
    # so the admin sees what to install, never shown to a participant. Moved into
    # `instruments` once their texts are in place (clean() checks that they are).
    awaiting_texts = models.JSONField(
        _("waiting for texts"),
        default=list,
        blank=True,
        validators=[validate_instrument_codes],
        help_text=_(
            "Instruments the study will ask once the clinic has installed their item texts "
            "(see Instrument texts). They are not shown to participants until moved to the list "
            "above."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TimePointQuerySet.as_manager()

    class Meta:
        ordering = ["schedule", "opens_day", "pk"]
        verbose_name = _("time point")
        verbose_name_plural = _("time points")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "key"], name="unique_time_point_key"),
            models.CheckConstraint(
                condition=models.Q(closes_day__gte=models.F("opens_day")),
                name="time_point_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.name}"

    @property
    def label(self) -> str:
        known = TIME_POINT_LABELS.get(self.key)
        return str(known) if known is not None else self.name

    @property
    def short_label(self) -> str:
        known = TIME_POINT_SHORT_LABELS.get(self.key)
        return str(known) if known is not None else self.name

    def opens_on(self, start: date) -> date:
        return start + timedelta(days=self.opens_day)

    def clean(self) -> None:
        """A time point asks only instruments that can be served in every language of the
        platform; the others wait for their texts, and the error says what to install."""
        super().clean()
        problems = []
        for code in self.instruments if isinstance(self.instruments, list) else []:
            missing = languages_missing(code) if _known(code) else []
            if missing:
                problems.append(
                    ValidationError(
                        _(
                            "%(code)s cannot be asked yet: its item texts are not installed in "
                            "%(languages)s. Install them in the clinic's texts file (see "
                            'Instrument texts), or list it under "waiting for texts".'
                        ),
                        params={"code": code, "languages": ", ".join(missing)},
                    )
                )
        if problems:
            raise ValidationError({"instruments": problems})

    def instruments_for(self, lang: str) -> list[str]:
        """The instruments a participant reading `lang` is asked, in order: those whose texts
        are installed in that language. One whose texts went missing after it was scheduled
        is left out rather than shown with placeholders."""
        return [code for code in self.instruments if _known(code) and can_serve(code, lang)]

    def closes_on(self, start: date) -> date:
        return start + timedelta(days=self.closes_day)


class QuestionnaireQuerySet(models.QuerySet["Questionnaire"]):
    def submitted(self) -> QuestionnaireQuerySet:
        return self.filter(submitted_at__isnull=False)

    def of(self, participant: User) -> QuestionnaireQuerySet:
        return self.filter(participant=participant)


class Questionnaire(models.Model):
    """One participant's answers at one time point. Created when they first save a page;
    submitted once, after which the answers are scored and no longer change."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questionnaires"
    )
    time_point = models.ForeignKey(
        TimePoint, on_delete=models.PROTECT, related_name="questionnaires"
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["participant", "time_point__opens_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "time_point"], name="one_questionnaire_per_time_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} at {self.time_point_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def save_answers(
        self, instrument: str, answers: Mapping[str, Any], *, language: str = ""
    ) -> InstrumentResponse:
        """Merge one page's answers into the stored answers of `instrument`.

        Unanswered items are stored as None, so that "seen and left blank" differs from "not
        reached yet" and a later sitting resumes at the first page not reached."""
        with transaction.atomic():
            # The check runs on the row locked inside this transaction, not on this copy: a
            # copy loaded before another request submitted would otherwise pass it, and answers
            # would change under scores already computed. submit() claims the same row.
            current = Questionnaire.objects.select_for_update().get(pk=self.pk)
            if current.is_submitted:
                self.submitted_at = current.submitted_at
                raise ValidationError("A submitted questionnaire cannot change.")
            response, _created = InstrumentResponse.objects.get_or_create(
                questionnaire=self, instrument=instrument
            )
            # Two tabs saving different pages of the same instrument would otherwise each write
            # back the answers they read, and the later write would drop the other's page.
            response = InstrumentResponse.objects.select_for_update().get(pk=response.pk)
            response.answers = {**response.answers, **answers}
            if language:
                response.language = language
            response.save(update_fields=["answers", "language", "updated_at"])
        return response

    def submit(self) -> bool:
        """Score every instrument, store the scores with their scoring version and raise risk
        flags. Returns False if it was already submitted (a second click or a second tab)."""
        from assessments.flags import raise_flags

        now = timezone.now()
        with transaction.atomic():
            claimed = Questionnaire.objects.filter(pk=self.pk, submitted_at__isnull=True).update(
                submitted_at=now
            )
            if not claimed:
                return False
            self.submitted_at = now
            responses = {r.instrument: r for r in self.responses.all()}
            # Only what the participant was asked: an instrument left out for want of texts
            # in their language gets no response, so it is missing, not scored as blank.
            asked = self.time_point.instruments_for(self.participant.language)
            missing = [
                InstrumentResponse(questionnaire=self, instrument=code)
                for code in asked
                if code not in responses
            ]
            for response in InstrumentResponse.objects.bulk_create(missing):
                responses[response.instrument] = response
            for response in responses.values():
                response.compute_scores(now)
            InstrumentResponse.objects.bulk_update(
                list(responses.values()), ["scores", "scoring_version", "scored_at"]
            )
            raise_flags(self, list(responses.values()))
        return True


class InstrumentResponse(models.Model):
    """The answers to one instrument within a questionnaire, and its scores once submitted."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    instrument = models.CharField(max_length=30)
    # Item key -> answer value (None = seen and left unanswered).
    answers = models.JSONField(default=dict, blank=True)
    # The language of the item texts the answers were given in (research needs to know).
    language = models.CharField(max_length=8, blank=True)
    # Scale -> score (None where the missing-item rule leaves a scale unscored).
    scores = models.JSONField(null=True, blank=True)
    scoring_version = models.CharField(max_length=20, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["questionnaire", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "instrument"], name="one_response_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} in {self.questionnaire_id}"

    def compute_scores(self, when: Any = None) -> None:
        """Score the stored answers with the instrument's current rule (not saved here)."""
        instrument = get_instrument(self.instrument)
        self.scoring_version = instrument.scoring_version
        self.scored_at = when or timezone.now()
        if instrument.placeholder_labels and not self.language:
            # Answered with placeholder labels ("HADS item 1 / Option 0"): the answers say
            # nothing about the person, so they are never scored and never raise a flag.
            self.scores = None
            return
        known = set(instrument.item_keys)
        # Answers to items an instrument no longer has cannot be scored; they stay stored.
        answers = {key: value for key, value in self.answers.items() if key in known}
        self.scores = dict(instrument.score(answers))
        self.scoring_version = instrument.scoring_version
        self.scored_at = when or timezone.now()


class RiskLevel(models.TextChoices):
    PROBABLE_CASE = "probable_case", _("Probable case")
    REFER = "refer", _("Refer to psychologist")


# Higher is more urgent; the triage sorts by it.
RISK_SEVERITY: dict[str, int] = {RiskLevel.PROBABLE_CASE: 1, RiskLevel.REFER: 2}


class RiskFlagQuerySet(models.QuerySet["RiskFlag"]):
    def open(self) -> RiskFlagQuerySet:
        return self.filter(resolved_at__isnull=True)

    def for_staff(self, user: User) -> RiskFlagQuerySet:
        """Flags of the participants `user` may see (their caseload, and for a site's
        responsible staff member the site's participants without a therapist)."""
        return self.filter(
            participant__in=User.objects.participants().visible_to(user).values("pk")
        )

    def by_urgency(self) -> RiskFlagQuerySet:
        """The more urgent level first, then the longest open (`urgency` for flags read)."""
        severity = models.Case(
            *(models.When(level=level, then=value) for level, value in RISK_SEVERITY.items()),
            default=0,
            output_field=models.IntegerField(),
        )
        return self.annotate(urgency=severity).order_by("-urgency", "raised_at", "pk")


def urgency(flag: Any) -> tuple[int, datetime, int]:
    """The sort key of `RiskFlagQuerySet.by_urgency`, for flags already read (instances, or rows
    of `values_list(..., named=True)` with level, raised_at and pk): sorting a few rows costs
    less than building the CASE into the query."""
    return (-RISK_SEVERITY.get(flag.level, 0), flag.raised_at, flag.pk)


class RiskFlag(models.Model):
    """A score at or above a configured threshold (settings.ASSESSMENTS_RISK_RULES), raised when
    a questionnaire is submitted and open until a therapist acknowledges it with a note of what
    was done.

    `assigned_to` is the person the flag is routed to (assessments/routing.py): the participant's
    current therapist, else their site's responsible staff member. It is stored, not computed
    when read, so that "flags routed to me" is one indexed query and the history shows who was
    answerable; it is kept current while the flag is open by re-routing whenever the care team
    or the site's responsible staff member changes. Empty when nobody can be named; such a flag
    is escalated to the site's research admins at the first sweep."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_flags"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="risk_flags"
    )
    instrument = models.CharField(max_length=30)
    scale = models.CharField(max_length=40)
    value = models.FloatField()
    level = models.CharField(max_length=20, choices=RiskLevel.choices)
    raised_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_flags_assigned",
    )
    # Set by the escalation sweep (assessments/notifications.py) when it wrote the notice.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The acknowledgement: who, when, and what was done.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_flags_resolved",
    )
    resolution_note = models.CharField(_("what was done"), max_length=500, blank=True)

    objects = RiskFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "pk"]
        indexes = [
            models.Index(fields=["participant", "resolved_at"]),
            models.Index(fields=["assigned_to", "resolved_at"]),
        ]
        constraints = [
            # One flag per scale per submission: the highest level its value reached.
            models.UniqueConstraint(
                fields=["questionnaire", "instrument", "scale"], name="one_flag_per_scale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument}.{self.scale} {self.level} for {self.participant_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def severity(self) -> int:
        return RISK_SEVERITY.get(self.level, 0)

    @property
    def instrument_title(self) -> str:
        return instrument_title(self.instrument)

    @property
    def scale_label(self) -> str:
        return scale_label(self.instrument, self.scale)

    def resolve(self, *, by: User, note: str) -> bool:
        """Acknowledge the flag: `by` says in `note` what was done. Returns False if someone
        else already did: the conditional update settles two therapists pressing the button at
        the same time."""
        note = note.strip()
        if not note:
            raise ValueError("acknowledging a risk flag needs a note of what was done")
        now = timezone.now()
        done = RiskFlag.objects.filter(pk=self.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=by, resolution_note=note[:500]
        )
        if done:
            self.resolved_at, self.resolved_by, self.resolution_note = now, by, note[:500]
        return bool(done)
