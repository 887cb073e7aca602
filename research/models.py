"""Running a randomised trial on the platform: studies and their arms, who takes part, the
eligibility checklist, the concealed allocation sequence and withdrawal.

Concealment is structural. The allocation sequence lives in `Allocation`, whose default manager
returns only rows already assigned to a participant; the unassigned rows are read in two places
only: `StudyParticipant.randomise` (which takes the next one under a lock) and the audit report of
a closed study (`Allocation.sequence`). The model is not registered in the Django admin, has no
serialiser, and its `str`/`repr` say nothing about the arm.

A study without arms enrols everyone it finds eligible into the programme; a clinic without any
study never meets any of this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLog, Role, Site
from research import sequence

if TYPE_CHECKING:
    from accounts.models import User
    from assessments.models import TimePoint


class ResearchError(Exception):
    """An action the trial's rules do not allow; the message is shown to the admin."""


class AlreadyRandomised(ResearchError):
    pass


class NotReadyForRandomisation(ResearchError):
    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


class ImmutableAllocation(ValidationError):
    """Raised on any attempt to change or delete an allocation that the application can see."""


# --- Study set-up -------------------------------------------------------------------------------


def default_block_multipliers() -> list[int]:
    return list(getattr(settings, "RESEARCH_BLOCK_MULTIPLIERS", [2, 4]))


def validate_block_multipliers(value: object) -> None:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 10 for m in value)
    ):
        raise ValidationError(_("Give one or more whole numbers from 1 to 10."))


def validate_factors(value: object) -> None:
    """Extra stratification factors: [{"key": "sex", "label": "Sex", "levels": ["f", "m"]}]."""
    message = _(
        'Give a list such as [{"key": "sex", "label": "Sex", "levels": ["female", "male"]}].'
    )
    if not isinstance(value, list):
        raise ValidationError(message)
    keys: set[str] = set()
    for factor in value:
        if not isinstance(factor, dict) or not isinstance(factor.get("key"), str):
            raise ValidationError(message)
        levels = factor.get("levels")
        if (
            not factor["key"].isidentifier()
            or factor["key"] in keys
            or factor["key"] == "site"
            or not isinstance(levels, list)
            or len(levels) < 2
            or not all(isinstance(level, str) and level and "|" not in level for level in levels)
            or len(set(levels)) != len(levels)
        ):
            raise ValidationError(message)
        keys.add(factor["key"])


class Receives(models.TextChoices):
    """What an arm receives. The activity plan is the physiotherapist's; the programme is the
    iCBT modules (modules app)."""

    PROGRAMME_AND_PLAN = "programme_and_plan", _("The iCBT programme and the activity plan")
    PLAN = "plan", _("The activity plan")
    PROGRAMME = "programme", _("The iCBT programme")


def gives_programme(receives: str) -> bool:
    return receives in (Receives.PROGRAMME_AND_PLAN, Receives.PROGRAMME)


def gives_plan(receives: str) -> bool:
    return receives in (Receives.PROGRAMME_AND_PLAN, Receives.PLAN)


class StudyQuerySet(models.QuerySet["Study"]):
    def visible_to(self, user: User) -> StudyQuerySet:
        """A research admin sees the studies their site takes part in; nobody else sees any."""
        if not user.is_authenticated or not user.is_research_admin or user.site_id is None:
            return self.none()
        return self.filter(sites=user.site_id)

    def open(self) -> StudyQuerySet:
        return self.filter(closed_at__isnull=True)


class Study(models.Model):
    """A trial (or an observational study) run on the platform."""

    name = models.CharField(_("name"), max_length=120)
    registration = models.CharField(
        _("trial registration"),
        max_length=40,
        blank=True,
        help_text=_("For example a ClinicalTrials.gov identifier."),
    )
    sites = models.ManyToManyField(Site, related_name="studies", verbose_name=_("sites"))
    stratify_by_site = models.BooleanField(_("stratify by site"), default=True)
    stratification_factors = models.JSONField(
        _("other stratification factors"),
        default=list,
        blank=True,
        validators=[validate_factors],
        help_text=_(
            'A list such as [{"key": "sex", "label": "Sex", "levels": ["female", "male"]}].'
        ),
    )
    block_multipliers = models.JSONField(
        _("block sizes, as multiples of the ratio sum"),
        default=default_block_multipliers,
        validators=[validate_block_multipliers],
        help_text=_("Each block's size is chosen at random from these multiples, e.g. [2, 4]."),
    )
    schedule = models.ForeignKey(
        "assessments.Schedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="studies",
        verbose_name=_("questionnaire schedule"),
    )
    schedule_reference = models.CharField(
        _("schedule reference"),
        max_length=200,
        blank=True,
        help_text=_("Where the schedule is described, if it is not kept on the platform."),
    )
    requires_baseline = models.BooleanField(
        _("baseline questionnaires must be complete before randomisation"), default=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def arm_list(self) -> list[Arm]:
        return list(self.arms.all())

    @property
    def has_arms(self) -> bool:
        return bool(self.arm_list())

    @property
    def ratio(self) -> str:
        return ":".join(str(arm.weight) for arm in self.arm_list())

    def sequence_started(self) -> bool:
        """Once any allocation exists, the arms, ratio and strata are fixed: changing them would
        break the balance of blocks already generated."""
        return Allocation.sequence.filter(study=self).exists()

    def factor_list(self) -> list[dict[str, Any]]:
        return list(self.stratification_factors or [])

    def clean_factors(self, values: Mapping[str, str] | None) -> dict[str, str]:
        values = values or {}
        clean: dict[str, str] = {}
        for factor in self.factor_list():
            value = values.get(factor["key"], "")
            if value not in factor["levels"]:
                raise ResearchError(
                    _("Choose a value for %(factor)s.")
                    % {"factor": factor.get("label") or factor["key"]}
                )
            clean[factor["key"]] = value
        return clean

    def stratum_key(self, site: Site, values: Mapping[str, str]) -> str:
        parts = [f"site={site.code}"] if self.stratify_by_site else []
        parts += [f"{factor['key']}={values[factor['key']]}" for factor in self.factor_list()]
        return "|".join(parts) or "all"

    def extend_sequence(self, stratum: str, *, blocks: int | None = None) -> int:
        """Append `blocks` freshly permuted blocks to the stratum's sequence; returns the number
        of allocations created. Call with the study row locked (see `randomise`)."""
        arms = self.arm_list()
        if not arms:
            raise ResearchError(_("This study has no arms."))
        count = blocks or int(getattr(settings, "RESEARCH_BLOCKS_PER_EXTENSION", 10))
        last = (
            Allocation.sequence.filter(study=self, stratum=stratum)
            .order_by("-position")
            .values_list("position", "block")
            .first()
        )
        position, block_number = last if last else (0, 0)
        rows: list[Allocation] = []
        now = timezone.now()
        for block in sequence.permuted_blocks(
            [(arm.pk, arm.weight) for arm in arms], self.block_multipliers, count
        ):
            block_number += 1
            for arm_id in block:
                position += 1
                rows.append(
                    Allocation(
                        study=self,
                        stratum=stratum,
                        position=position,
                        block=block_number,
                        block_size=len(block),
                        arm_id=arm_id,
                        generated_at=now,
                    )
                )
        Allocation.sequence.bulk_create(rows)
        return len(rows)

    def strata(self) -> list[str]:
        """Every stratum the study can have (sites x levels of each factor)."""
        keys = (
            [[f"site={site.code}" for site in self.sites.order_by("code")]]
            if self.stratify_by_site
            else []
        )
        keys += [[f"{f['key']}={level}" for level in f["levels"]] for f in self.factor_list()]
        combos: list[list[str]] = [[]]
        for options in keys:
            combos = [[*combo, option] for combo in combos for option in options]
        return ["|".join(combo) or "all" for combo in combos]

    def prepare_sequence(self, *, blocks: int | None = None) -> int:
        """Generate the first blocks of every stratum that has none yet (safe to call again)."""
        created = 0
        with transaction.atomic():
            Study.objects.select_for_update().filter(pk=self.pk).first()
            started = set(
                Allocation.sequence.filter(study=self).values_list("stratum", flat=True).distinct()
            )
            for stratum in self.strata():
                if stratum not in started:
                    created += self.extend_sequence(stratum, blocks=blocks)
        return created

    def close(self, *, by: User) -> bool:
        """Mark the study closed: no more randomisation, and the sequence may be audited."""
        updated = Study.objects.filter(pk=self.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=by
        )
        self.refresh_from_db(fields=["closed_at", "closed_by"])
        return bool(updated)

    def time_points(self) -> list[TimePoint]:
        """The active time points of the study's schedule (or the default schedule), in order."""
        from assessments.models import TimePoint

        time_points = TimePoint.objects.active().order_by("opens_day", "pk")
        if self.schedule_id is not None:
            return list(time_points.filter(schedule_id=self.schedule_id))
        return list(time_points.filter(schedule__is_default=True))

    def add_participant(self, participant: User, *, by: User | None = None) -> StudyParticipant:
        if not participant.is_participant or participant.site_id is None:
            raise ResearchError(_("Only participants with a site can take part in a study."))
        if not self.sites.filter(pk=participant.site_id).exists():
            raise ResearchError(_("The participant's site does not take part in this study."))
        existing = StudyParticipant.objects.filter(participant=participant).first()
        if existing is not None:
            if existing.study_id != self.pk:
                raise ResearchError(_("The participant already takes part in another study."))
            return existing
        return StudyParticipant.objects.create(
            study=self, participant=participant, site_id=participant.site_id, added_by=by
        )

    def add_default_criteria(self) -> None:
        """The screening checklist of the stress-and-pain trial, as a starting point."""
        if self.criteria.exists():
            return
        EligibilityCriterion.objects.bulk_create(
            [
                EligibilityCriterion(
                    study=self,
                    position=1,
                    key="age",
                    kind=CriterionKind.AGE,
                    label=str(_("Aged 18 to 65")),
                    min_value=18,
                    max_value=65,
                ),
                EligibilityCriterion(
                    study=self,
                    position=2,
                    key="widespread_pain",
                    kind=CriterionKind.WIDESPREAD_PAIN,
                    label=str(_("Widespread pain (ACR 1990) on the baseline body map")),
                ),
                EligibilityCriterion(
                    study=self,
                    position=3,
                    key="device",
                    kind=CriterionKind.CONFIRM,
                    label=str(_("Has access to a computer, tablet or smartphone with internet")),
                ),
                EligibilityCriterion(
                    study=self,
                    position=4,
                    key="hads_depression",
                    kind=CriterionKind.SCORE,
                    label=str(_("HADS depression below 15 (otherwise referred, not included)")),
                    instrument="hads",
                    scale="depression",
                    max_value=14,
                ),
            ]
        )


class Arm(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(_("name"), max_length=80)
    code = models.SlugField(
        _("code"), max_length=30, help_text=_("Short code used in exports, e.g. icbt or control.")
    )
    receives = models.CharField(_("receives"), max_length=30, choices=Receives.choices)
    weight = models.PositiveSmallIntegerField(
        _("allocation weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("1 and 1 for a 1:1 ratio; 2 and 1 for 2:1."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["study", "position", "pk"]
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="research_arm_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="research_arm_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def gives_programme(self) -> bool:
        return gives_programme(self.receives)

    @property
    def gives_plan(self) -> bool:
        return gives_plan(self.receives)


class CriterionKind(models.TextChoices):
    CONFIRM = "confirm", _("Confirmed by staff (yes or no)")
    AGE = "age", _("Age within a range (entered by staff)")
    WIDESPREAD_PAIN = "widespread_pain", _("Widespread pain on the baseline body map (ACR 1990)")
    SCORE = "score", _("A baseline score within a range")


# Criteria whose answer comes from the baseline questionnaires rather than from staff.
DERIVED_KINDS = (CriterionKind.WIDESPREAD_PAIN, CriterionKind.SCORE)


class EligibilityCriterion(models.Model):
    """One line of a study's screening checklist, as data. Inclusion criteria read "met when";
    an exclusion rule is written as the range that is allowed (e.g. HADS depression at most 14)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("wording"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CriterionKind.choices)
    instrument = models.CharField(_("instrument"), max_length=30, blank=True)
    scale = models.CharField(_("scale"), max_length=40, blank=True)
    min_value = models.FloatField(_("lowest allowed"), null=True, blank=True)
    max_value = models.FloatField(_("highest allowed"), null=True, blank=True)

    class Meta:
        ordering = ["study", "position", "pk"]
        verbose_name = _("eligibility criterion")
        verbose_name_plural = _("eligibility criteria")
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="research_criterion_key_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_derived(self) -> bool:
        return self.kind in DERIVED_KINDS

    def clean(self) -> None:
        super().clean()
        if self.kind == CriterionKind.SCORE:
            from assessments.instruments import UnknownInstrument, get_instrument

            try:
                instrument = get_instrument(self.instrument)
            except UnknownInstrument:
                raise ValidationError({"instrument": _("Not a known instrument.")}) from None
            if self.scale not in instrument.scales:
                raise ValidationError({"scale": _("Not a scale of this instrument.")})
        if self.kind in (CriterionKind.SCORE, CriterionKind.AGE) and (
            self.min_value is None and self.max_value is None
        ):
            raise ValidationError(_("Give the lowest or the highest allowed value."))

    def within(self, value: float) -> bool:
        return (self.min_value is None or value >= self.min_value) and (
            self.max_value is None or value <= self.max_value
        )


# --- Participants -------------------------------------------------------------------------------


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
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

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

    def baseline_submitted_at(self) -> Any:
        from research import adapters

        return adapters.baseline_submitted_at(self)

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
        from research import adapters

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
                adapters.apply_receives(self.participant, Receives.PROGRAMME_AND_PLAN)
        return record

    def randomise(self, *, by: User, factors: Mapping[str, str] | None = None) -> Allocation:
        """Assign the next allocation of the participant's stratum, once, and give them what
        their arm receives. Raises AlreadyRandomised or NotReadyForRandomisation."""
        from research import adapters

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
            adapters.apply_receives(current.participant, assigned.arm.receives)
        self.randomised_at, self.stratum, self.strata_values = now, stratum, values
        return assigned

    def withdraw(
        self, *, by: User, reason: str = WithdrawalReason.NOT_GIVEN, note: str = ""
    ) -> bool:
        """Withdraw from the study: reminders stop, nothing collected so far is deleted (the
        consent says data is kept), and the withdrawal shows in the flow. Returns False if the
        participant had already withdrawn."""
        from research import adapters

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
            adapters.stop_reminders(self.participant)
        return True


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


# --- The allocation sequence --------------------------------------------------------------------


# The only fields an update may set, and only on a row nobody has been assigned to yet.
_ASSIGNMENT_FIELDS = frozenset(
    {"participant", "participant_id", "assigned_at", "assigned_by", "assigned_by_id"}
)


class AllocationQuerySet(models.QuerySet["Allocation"]):
    def update(self, **kwargs: Any) -> int:
        """Only assignment, and only of unassigned rows: an assigned allocation never changes."""
        if not set(kwargs) <= _ASSIGNMENT_FIELDS:
            raise ImmutableAllocation("Only the assignment of an allocation can be written.")
        return super(AllocationQuerySet, self.filter(participant__isnull=True)).update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableAllocation("Allocations cannot be deleted.")

    def assigned(self) -> AllocationQuerySet:
        return self.filter(participant__isnull=False)


class AssignedAllocationManager(models.Manager["Allocation"]):
    """The default manager: assigned allocations only. What has not been assigned cannot be
    reached by anything written against `Allocation.objects` (views, dumpdata, shells)."""

    def get_queryset(self) -> AllocationQuerySet:
        return AllocationQuerySet(self.model, using=self._db).assigned()


class SequenceManager(models.Manager["Allocation"]):
    """The whole sequence, unassigned rows included. Used by randomisation and by the audit of
    a closed study only."""

    def get_queryset(self) -> AllocationQuerySet:
        return AllocationQuerySet(self.model, using=self._db)


class Allocation(models.Model):
    """One place in a stratum's allocation sequence, generated in permuted blocks of randomly
    varied size from a cryptographically secure source, and later assigned to one participant.

    Immutable once assigned: the application refuses to save or delete it, and on PostgreSQL a
    trigger (migration 0002) refuses UPDATE and DELETE of assigned rows and any change of the
    arm or place of unassigned ones."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)
    participant = models.OneToOneField(
        StudyParticipant, on_delete=models.PROTECT, null=True, blank=True, related_name="allocation"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[AssignedAllocationManager] = AssignedAllocationManager()
    sequence: ClassVar[SequenceManager] = SequenceManager()

    class Meta:
        ordering = ["study", "stratum", "position"]
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["study", "stratum", "position"], name="research_allocation_place_unique"
            ),
            models.CheckConstraint(
                condition=Q(participant__isnull=True, assigned_at__isnull=True)
                | Q(participant__isnull=False, assigned_at__isnull=False),
                name="research_allocation_assigned_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk}"

    def __repr__(self) -> str:
        return f"<Allocation {self.pk}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableAllocation("Allocations cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableAllocation("Allocations cannot be deleted.")


# --- Weekly reports and adherence exports -------------------------------------------------------
# Both are files made by a worker (research/tasks.py) and kept in the default storage. Their
# rows say what a file is about with ids and dates only; a file's name says nothing about anyone.


class JobState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Deleted after its time")


# A job claimed longer ago than this belongs to a worker that died: it may be claimed again. It
# must stay above the tasks' hard time limits (research/tasks.py).
STALE_CLAIM = timedelta(minutes=30)


class ReportKind(models.TextChoices):
    THERAPIST = "therapist", _("Caseload")
    STUDY = "study", _("Study")


class ReportQuerySet(models.QuerySet["Report"]):
    def visible_to(self, user: User) -> ReportQuerySet:
        """A therapist sees the reports on their own caseload; a research admin the reports on
        the studies their site takes part in; nobody else sees any."""
        if not user.is_authenticated:
            return self.none()
        visible = Q(pk__in=[])
        if user.is_therapist:
            visible |= Q(kind=ReportKind.THERAPIST, therapist=user)
        if user.is_research_admin and user.site_id is not None:
            visible |= Q(kind=ReportKind.STUDY, study__in=Study.objects.visible_to(user))
        return self.filter(visible)

    def claimable(self, now: Any) -> ReportQuerySet:
        return self.filter(
            Q(state=JobState.PENDING) | Q(state=JobState.RUNNING, started_at__lt=now - STALE_CLAIM)
        )


def report_upload_to(instance: Report, filename: str) -> str:
    return f"reports/{instance.period_start:%Y}/{filename}"


class Report(models.Model):
    """One weekly adherence report (PDF): on one therapist's caseload or on one study, for the
    week from `period_start` (a Monday) to `period_end` (the Sunday). One row per owner and week,
    so the weekly sweep can run any number of times; regenerating replaces the file."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("therapist"),
    )
    study = models.ForeignKey(
        Study,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("study"),
    )
    period_start = models.DateField(_("week from"))
    period_end = models.DateField(_("week to"))
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.PENDING
    )
    file = models.FileField(upload_to=report_upload_to, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    generated_at = models.DateTimeField(_("made"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When a task was last queued for it, so a sweep does not queue it again every hour while
    # it waits for a worker; when a worker claimed it.
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # An exception's class, never its message (which could quote data).
    error = models.CharField(max_length=200, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "kind", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                name="report_has_one_owner_of_its_kind",
                condition=Q(kind="therapist", therapist__isnull=False, study__isnull=True)
                | Q(kind="study", study__isnull=False, therapist__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["therapist", "period_start"],
                condition=Q(kind="therapist"),
                name="one_caseload_report_per_week",
            ),
            models.UniqueConstraint(
                fields=["study", "period_start"],
                condition=Q(kind="study"),
                name="one_study_report_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.kind}, {self.period_start})"

    @property
    def is_ready(self) -> bool:
        return self.state == JobState.READY and bool(self.file)

    @property
    def download_name(self) -> str:
        return f"adherence-report-{self.kind}-{self.period_start:%G-W%V}.pdf"

    def claim(self, now: Any) -> bool:
        """Take the report for making. Only one worker gets it: the conditional update settles
        two tasks for the same report (a sweep and a button, or a task delivered twice)."""
        claimed = (
            Report.objects.claimable(now)
            .filter(pk=self.pk)
            .update(state=JobState.RUNNING, started_at=now, attempts=models.F("attempts") + 1)
        )
        if claimed:
            self.refresh_from_db(fields=["state", "started_at", "attempts"])
        return bool(claimed)

    def store(self, pdf: bytes) -> None:
        """Keep the new file and drop the one it replaces."""
        from django.core.files.base import ContentFile

        previous = self.file.name if self.file else ""
        self.file.save(
            f"report-{self.pk}-{self.period_start:%G-W%V}.pdf", ContentFile(pdf), save=False
        )
        self.state, self.generated_at, self.error = JobState.READY, timezone.now(), ""
        self.save(update_fields=["file", "state", "generated_at", "error"])
        if previous and previous != self.file.name:
            self.file.storage.delete(previous)

    def fail(self, error: BaseException, *, final: bool = True) -> None:
        """Record a failed try: failed for good, or waiting to be tried again."""
        Report.objects.filter(pk=self.pk).update(
            state=JobState.FAILED if final else JobState.PENDING, error=type(error).__name__[:200]
        )

    def request_again(self, *, by: User | None) -> bool:
        """Mark the report to be made again (the worker is queued by the caller, after commit).
        False while it is being made: the file on its way is already up to date."""
        updated = (
            Report.objects.filter(pk=self.pk)
            .exclude(state=JobState.RUNNING, started_at__gte=timezone.now() - STALE_CLAIM)
            .update(state=JobState.PENDING, requested_by=by, queued_at=timezone.now(), error="")
        )
        return bool(updated)


class DataExportQuerySet(models.QuerySet["DataExport"]):
    def visible_to(self, user: User) -> DataExportQuerySet:
        """A research admin sees the exports they asked for, of studies they still see."""
        if not user.is_authenticated or not user.is_research_admin:
            return self.none()
        return self.filter(requested_by=user, study__in=Study.objects.visible_to(user))

    def claimable(self, now: Any) -> DataExportQuerySet:
        return self.filter(
            Q(state=JobState.PENDING) | Q(state=JobState.RUNNING, started_at__lt=now - STALE_CLAIM)
        )


def export_upload_to(instance: DataExport, filename: str) -> str:
    return f"exports/{instance.created_at:%Y}/{filename}"


class DataExport(models.Model):
    """A pseudonymised adherence export too large to stream (Excel), made by a worker and
    downloadable by the admin who asked for it until it expires."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="data_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.PENDING
    )
    file = models.FileField(upload_to=export_upload_to, blank=True)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    created_at = models.DateTimeField(_("asked for"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("ready"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"export {self.pk}"

    @property
    def is_ready(self) -> bool:
        return self.state == JobState.READY and bool(self.file)

    @property
    def download_name(self) -> str:
        return f"study-{self.study_id}-adherence-{self.pk}.xlsx"

    def claim(self, now: Any) -> bool:
        claimed = (
            DataExport.objects.claimable(now)
            .filter(pk=self.pk)
            .update(state=JobState.RUNNING, started_at=now, attempts=models.F("attempts") + 1)
        )
        if claimed:
            self.refresh_from_db(fields=["state", "started_at", "attempts"])
        return bool(claimed)

    def store(self, content: Any, *, participants: int) -> None:
        """Keep the finished file (`content`: a django File)."""
        self.file.save(f"adherence-{self.pk}.xlsx", content, save=False)
        self.state, self.finished_at, self.participants = (
            JobState.READY,
            timezone.now(),
            participants,
        )
        self.save(update_fields=["file", "state", "finished_at", "participants"])

    def fail(self, error: BaseException, *, final: bool = True) -> None:
        """Record a failed try: failed for good, or waiting to be tried again."""
        DataExport.objects.filter(pk=self.pk).update(
            state=JobState.FAILED if final else JobState.PENDING, error=type(error).__name__[:200]
        )

    def expire(self) -> None:
        """Delete the file; the row stays as the record that the export was made."""
        if self.file.name:
            self.file.storage.delete(self.file.name)
        DataExport.objects.filter(pk=self.pk).update(state=JobState.EXPIRED, file="")
