"""A study's set-up: the study itself, its arms and its eligibility checklist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Site
from research import sequence
from research.models.allocation import Allocation

if TYPE_CHECKING:
    from accounts.models import User
    from assessments.models import TimePoint
    from research.models.participants import StudyParticipant


class ResearchError(Exception):
    """An action the trial's rules do not allow; the message is shown to the admin."""


class AlreadyRandomised(ResearchError):
    pass


class NotReadyForRandomisation(ResearchError):
    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


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
        from research.models.participants import StudyParticipant, withhold_programme

        if not participant.is_participant or participant.site_id is None:
            raise ResearchError(_("Only participants with a site can take part in a study."))
        if not self.sites.filter(pk=participant.site_id).exists():
            raise ResearchError(_("The participant's site does not take part in this study."))
        existing = StudyParticipant.objects.filter(participant=participant).first()
        if existing is not None:
            if existing.study_id != self.pk:
                raise ResearchError(_("The participant already takes part in another study."))
            return existing
        with transaction.atomic():
            member = StudyParticipant.objects.create(
                study=self, participant=participant, site_id=participant.site_id, added_by=by
            )
            if self.has_arms:
                # Until randomisation the arm is unknown, and a control arm may get no iCBT:
                # any module done before then would contaminate the comparison.
                withhold_programme(participant)
        return member

    def add_default_criteria(self) -> None:
        """The screening checklist as the trial registered it (NCT04624139), as a starting point
        each study edits: aged 18-70; chronic widespread pain by the ACR 1990 criteria, which
        include at least three months' duration; access to the internet; and not included with
        HADS anxiety or depression above 15 (those people were referred on)."""
        if self.criteria.exists():
            return
        EligibilityCriterion.objects.bulk_create(
            EligibilityCriterion(study=self, position=position, **fields)
            for position, fields in enumerate(default_criteria(), start=1)
        )


def default_criteria() -> list[dict[str, Any]]:
    """The registration's eligibility rules, each as the fields of one criterion."""
    return [
        {
            "key": "age",
            "kind": CriterionKind.AGE,
            "label": str(_("Aged 18 to 70")),
            "min_value": 18,
            "max_value": 70,
        },
        {
            "key": "widespread_pain",
            "kind": CriterionKind.WIDESPREAD_PAIN,
            "label": str(_("Widespread pain (ACR 1990) on the baseline body map")),
        },
        {
            "key": "pain_duration_months",
            "kind": CriterionKind.NUMBER,
            "label": str(_("Widespread pain for at least three months (ACR 1990), in months")),
            "min_value": 3,
        },
        {
            "key": "device",
            "kind": CriterionKind.CONFIRM,
            "label": str(_("Has access to a computer, tablet or smartphone with internet")),
        },
        {
            "key": "hads_anxiety",
            "kind": CriterionKind.SCORE,
            "label": str(_("HADS anxiety at most 15 (above 15: referred, not included)")),
            "instrument": "hads",
            "scale": "anxiety",
            "max_value": 15,
        },
        {
            "key": "hads_depression",
            "kind": CriterionKind.SCORE,
            "label": str(_("HADS depression at most 15 (above 15: referred, not included)")),
            "instrument": "hads",
            "scale": "depression",
            "max_value": 15,
        },
    ]


def baseline_time_point(time_points: Sequence[TimePoint]) -> TimePoint | None:
    """The time point whose questionnaire counts as baseline: the one keyed "baseline", or else
    the first."""
    for time_point in time_points:
        if time_point.key == "baseline":
            return time_point
    return time_points[0] if time_points else None


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
    NUMBER = "number", _("A number within a range (entered by staff)")
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
        if self.kind in (CriterionKind.SCORE, CriterionKind.AGE, CriterionKind.NUMBER) and (
            self.min_value is None and self.max_value is None
        ):
            raise ValidationError(_("Give the lowest or the highest allowed value."))

    def within(self, value: float) -> bool:
        return (self.min_value is None or value >= self.min_value) and (
            self.max_value is None or value <= self.max_value
        )
