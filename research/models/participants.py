"""Who takes part in a study: each participant's place in the flow (screening, randomisation,
withdrawal) and the record of every screening."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLog, Role, Site
from accounts.notifications import stop_reminders
from assessments.models import InstrumentResponse, Questionnaire
from assessments.schedules import start_from_date_joined
from modules.models import ENROLMENT_CACHE_ATTR, Enrolment
from research.models.allocation import Allocation
from research.models.study import (
    AlreadyRandomised,
    Arm,
    NotReadyForRandomisation,
    Receives,
    ResearchError,
    Study,
    baseline_time_point,
    gives_programme,
)

if TYPE_CHECKING:
    from accounts.models import User


class WithdrawalReason(models.TextChoices):
    NOT_GIVEN = "not_given", _("No reason given")
    TOO_DEMANDING = "too_demanding", _("It takes too much time or energy")
    NOT_HELPFUL = "not_helpful", _("It does not help me")
    HEALTH = "health", _("Health reasons")
    PRACTICAL = "practical", _("Practical or technical problems")
    ALLOCATION = "allocation", _("Not satisfied with the group I was given")
    STAFF_DECISION = "staff_decision", _("Decision of the study team")
    OTHER = "other", _("Another reason")


PARTICIPANT_REASONS = [
    (value, label)
    for value, label in WithdrawalReason.choices
    if value != WithdrawalReason.STAFF_DECISION
]


class StudyParticipantQuerySet(models.QuerySet["StudyParticipant"]):
    def visible_to(self, user: User) -> StudyParticipantQuerySet:
        """A participant sees their own row; a research admin the study participants of their
        own site in the studies that site takes part in; nobody else sees any."""
        if not user.is_authenticated:
            return self.none()
        if user.is_participant:
            return self.filter(participant=user)
        if user.is_research_admin and user.site_id is not None:
            return self.filter(site_id=user.site_id, study__sites=user.site_id)
        return self.none()

    def randomised(self) -> StudyParticipantQuerySet:
        return self.filter(randomised_at__isnull=False)

    def active(self) -> StudyParticipantQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def with_arm(self) -> StudyParticipantQuerySet:
        """Select the assigned arm (randomised participants only have one)."""
        return self.select_related("allocation__arm")


class StudyParticipant(models.Model):
    """A participant's place in a study, with the moments of each step of the flow."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="participants")
    # One study at a time: a participant cannot be randomised in two trials.
    participant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_participation"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    screened_at = models.DateTimeField(_("screened"), null=True, blank=True)
    eligible_at = models.DateTimeField(_("eligible"), null=True, blank=True)
    randomised_at = models.DateTimeField(_("randomised"), null=True, blank=True)
    # The stratum and extra factor values the allocation was drawn in.
    stratum = models.CharField(max_length=200, blank=True)
    strata_values = models.JSONField(default=dict, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_reason = models.CharField(
        _("reason"), max_length=20, choices=WithdrawalReason.choices, blank=True
    )
    withdrawal_note = models.TextField(_("note"), max_length=500, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = StudyParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["invited_at", "pk"]
        verbose_name = _("study participant")
        verbose_name_plural = _("study participants")
        indexes = [models.Index(fields=["study", "site"])]

    def __str__(self) -> str:
        return f"study participant {self.pk}"

    @property
    def arm(self) -> Arm | None:
        """The arm assigned by randomisation; None before it."""
        if self.randomised_at is None:
            return None
        try:
            allocation = self.allocation
        except Allocation.DoesNotExist:
            return None
        return allocation.arm

    @property
    def withdrawn_by_participant(self) -> bool:
        return self.withdrawn_at is not None and self.withdrawn_by_id == self.participant_id

    @property
    def status(self) -> str:
        if self.withdrawn_at:
            return str(_("Withdrawn"))
        if self.randomised_at:
            return str(_("Randomised"))
        if self.eligible_at:
            return str(_("Eligible"))
        if self.screened_at:
            return str(_("Screened, not eligible"))
        return str(_("Not screened"))

    def latest_eligibility(self) -> Eligibility | None:
        return self.eligibility_records.order_by("-confirmed_at", "-pk").first()

    def baseline_submitted_at(self) -> datetime | None:
        """When the participant submitted the baseline questionnaire of the study's schedule."""
        baseline = baseline_time_point(self.study.time_points())
        if baseline is None:
            return None
        return (
            Questionnaire.objects.filter(
                participant_id=self.participant_id, time_point=baseline, submitted_at__isnull=False
            )
            .values_list("submitted_at", flat=True)
            .first()
        )

    def baseline_scores(self) -> dict[str, Mapping[str, Any]]:
        """instrument code -> scores of the submitted baseline questionnaire (empty if none)."""
        baseline = baseline_time_point(self.study.time_points())
        if baseline is None:
            return {}
        rows = InstrumentResponse.objects.filter(
            questionnaire__participant_id=self.participant_id,
            questionnaire__time_point=baseline,
            questionnaire__submitted_at__isnull=False,
        ).values_list("instrument", "scores")
        return {code: scores or {} for code, scores in rows}

    def randomisation_problems(self) -> list[str]:
        """Why this participant cannot be randomised now (empty when they can)."""
        problems: list[str] = []
        study = self.study
        if study.is_closed:
            problems.append(str(_("The study is closed.")))
        if not study.has_arms:
            problems.append(str(_("The study has no arms.")))
        if self.withdrawn_at is not None:
            problems.append(str(_("The participant has withdrawn.")))
        latest = self.latest_eligibility()
        if latest is None or not latest.is_eligible:
            problems.append(str(_("Eligibility has not been confirmed.")))
        if study.requires_baseline and self.baseline_submitted_at() is None:
            problems.append(str(_("The baseline questionnaires are not complete.")))
        return problems

    def record_eligibility(
        self, *, by: User, answers: list[dict[str, Any]], is_eligible: bool
    ) -> Eligibility:
        """Store a screening (who, when, each criterion's answer). An eligible participant of a
        study without arms is enrolled into the programme straight away."""
        if self.randomised_at is not None:
            raise AlreadyRandomised(_("Eligibility cannot change after randomisation."))
        if self.withdrawn_at is not None:
            raise ResearchError(_("The participant has withdrawn."))
        with transaction.atomic():
            now = timezone.now()
            record = Eligibility.objects.create(
                study_participant=self,
                answers=answers,
                is_eligible=is_eligible,
                confirmed_by=by,
                confirmed_at=now,
            )
            self.screened_at = self.screened_at or now
            self.eligible_at = now if is_eligible else None
            self.save(update_fields=["screened_at", "eligible_at"])
            AccessLog.record(
                actor=by,
                role=Role.ADMIN,
                subject=self.participant,
                action="eligibility",
                detail=f"study {self.study_id}",
            )
            if is_eligible and not self.study.has_arms:
                _apply_receives(self.participant, Receives.PROGRAMME_AND_PLAN)
        return record

    def randomise(self, *, by: User, factors: Mapping[str, str] | None = None) -> Allocation:
        """Assign the next allocation of the participant's stratum, once, and give them what
        their arm receives. Raises AlreadyRandomised or NotReadyForRandomisation."""
        with transaction.atomic():
            # The study row lock serialises randomisations within a study: two admins pressing
            # the button at once, for one participant or for two in the same stratum, each take
            # a different allocation and nobody is randomised twice.
            study = Study.objects.select_for_update().get(pk=self.study_id)
            current = StudyParticipant.objects.select_for_update().get(pk=self.pk)
            if current.randomised_at is not None:
                raise AlreadyRandomised(_("This participant has already been randomised."))
            current.study = study
            problems = current.randomisation_problems()
            if problems:
                raise NotReadyForRandomisation(problems)
            values = study.clean_factors(factors)
            stratum = study.stratum_key(current.site, values)
            allocation = (
                Allocation.sequence.filter(study=study, stratum=stratum, participant__isnull=True)
                .order_by("position")
                .first()
            )
            if allocation is None:
                study.extend_sequence(stratum)
                allocation = (
                    Allocation.sequence.filter(
                        study=study, stratum=stratum, participant__isnull=True
                    )
                    .order_by("position")
                    .first()
                )
            assert allocation is not None
            now = timezone.now()
            claimed = Allocation.sequence.filter(pk=allocation.pk, participant__isnull=True).update(
                participant=current, assigned_at=now, assigned_by=by
            )
            if claimed != 1:
                raise AlreadyRandomised(_("This allocation was taken meanwhile; try again."))
            current.randomised_at = now
            current.stratum = stratum
            current.strata_values = values
            current.save(update_fields=["randomised_at", "stratum", "strata_values"])
            AccessLog.record(
                actor=by,
                role=Role.ADMIN,
                subject=current.participant,
                action="randomise",
                detail=f"study {study.pk}, allocation {allocation.pk}",
            )
            assigned = Allocation.objects.select_related("arm").get(pk=allocation.pk)
            _apply_receives(current.participant, assigned.arm.receives)
        self.randomised_at, self.stratum, self.strata_values = now, stratum, values
        return assigned

    def withdraw(
        self, *, by: User, reason: str = WithdrawalReason.NOT_GIVEN, note: str = ""
    ) -> bool:
        """Withdraw from the study: reminders stop, nothing collected so far is deleted (the
        consent says data is kept), and the withdrawal shows in the flow. Returns False if the
        participant had already withdrawn."""
        with transaction.atomic():
            now = timezone.now()
            updated = StudyParticipant.objects.filter(pk=self.pk, withdrawn_at__isnull=True).update(
                withdrawn_at=now,
                withdrawal_reason=reason or WithdrawalReason.NOT_GIVEN,
                withdrawal_note=note[:500],
                withdrawn_by=by,
            )
            if not updated:
                return False
            self.refresh_from_db(
                fields=["withdrawn_at", "withdrawal_reason", "withdrawal_note", "withdrawn_by"]
            )
            if by.pk != self.participant_id:
                AccessLog.record(
                    actor=by,
                    role=Role.ADMIN,
                    subject=self.participant,
                    action="withdraw",
                    detail=f"study {self.study_id}",
                )
            # The outbox's own hook: opted out of every reminder kind, waiting reminders
            # skipped; messages still reach them.
            stop_reminders(self.participant)
        return True


def _apply_receives(participant: User, receives: str) -> None:
    """Give the participant the programme if their arm receives it, and take it away if not.
    Taking it away hides the programme and keeps everything recorded."""
    enabled = gives_programme(receives)
    enrolment = Enrolment.enrol(participant, has_programme=enabled)
    enrolment.set_programme(enabled)
    # modules remembers the enrolment on the user object for the rest of the request.
    participant.__dict__.pop(ENROLMENT_CACHE_ATTR, None)


def withhold_programme(participant: User) -> None:
    """Switch the programme off until randomisation decides (a study with arms). Nothing is
    deleted: what the arm gives is set by `_apply_receives` on allocation."""
    enrolment = Enrolment.enrol(participant, has_programme=False)
    enrolment.set_programme(False)
    participant.__dict__.pop(ENROLMENT_CACHE_ATTR, None)


def awaiting_allocation(participant: User) -> StudyParticipant | None:
    """The participant's place in a study with arms while randomisation is still to come
    (not withdrawn); None otherwise. The home page says what happens next from this: one
    query for most participants, two for those waiting (their study, if it has arms)."""
    # One row at most (a participant takes part in one study), so no ordering: cheaper to build.
    waiting = StudyParticipant.objects.visible_to(participant).filter(
        randomised_at__isnull=True, withdrawn_at__isnull=True
    )
    member = next(iter(waiting.order_by()[:1]), None)
    if member is None:
        return None
    arms = Arm.objects.filter(study=models.OuterRef("pk"))
    study = Study.objects.filter(models.Exists(arms), pk=member.study_id).first()
    if study is None:
        return None
    member.study = study
    return member


def start_from_randomisation(participants: Sequence[User]) -> dict[int, date]:
    """A start-date provider for assessments (settings.ASSESSMENTS_START_DATE_PROVIDER =
    "research.models.start_from_randomisation"): follow-ups of a randomised participant are
    counted from the day of randomisation, as a trial's outcomes are; everyone else's from the
    day they joined. One query for any number of participants."""
    starts = start_from_date_joined(participants)
    randomised = StudyParticipant.objects.filter(
        participant_id__in=[person.pk for person in participants], randomised_at__isnull=False
    ).values_list("participant_id", "randomised_at")
    zones = {person.pk: person.timezone for person in participants}
    for participant_id, randomised_at in randomised:
        starts[participant_id] = timezone.localtime(
            randomised_at, _zone(zones[participant_id])
        ).date()
    return starts


def start_from_randomisation_sql() -> models.Expression:
    """start_from_randomisation's start moment in SQL, for narrowing windows in the database."""
    randomised = StudyParticipant.objects.filter(
        participant_id=models.OuterRef("pk"), randomised_at__isnull=False
    ).values("randomised_at")[:1]
    return Coalesce(models.Subquery(randomised), models.F("date_joined"))


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class Eligibility(models.Model):
    """One screening: each criterion's answer, the outcome, who confirmed it and when.
    Append-only: screening again adds a record."""

    study_participant = models.ForeignKey(
        StudyParticipant, on_delete=models.CASCADE, related_name="eligibility_records"
    )
    # [{"key", "label", "kind", "value", "met", "derived"}], as the checklist read that day.
    answers = models.JSONField(default=list)
    is_eligible = models.BooleanField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-confirmed_at", "-pk"]
        verbose_name = _("eligibility record")
        verbose_name_plural = _("eligibility records")

    def __str__(self) -> str:
        return f"eligibility {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Eligibility records cannot be changed; screen again instead.")
        super().save(*args, **kwargs)
