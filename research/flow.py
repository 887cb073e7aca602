"""CONSORT-style flow of participants through a study: counts per arm, and the same as a
diagram laid out here and drawn by a template (SVG, black on white, readable without colour).

`study_flow` costs a fixed number of queries whatever the number of participants.

Definitions (also shown on the page):
- invited: linked to the study; screened: screened at least once; eligible: the latest screening
  found them eligible.
- received the allocated intervention: started module 1 (arms with the programme) or attended
  the first physiotherapy visit (arms with the activity plan only).
- completed a follow-up: submitted that time point's questionnaire.
- analysed: randomised and submitted at least one follow-up questionnaire.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.utils.translation import gettext as _

from assessments.models import Questionnaire
from modules.models import ModuleProgress
from physio.models import PhysioVisit
from research.models import Arm, Study, StudyParticipant, WithdrawalReason, baseline_time_point

BEFORE = "before allocation"


@dataclass
class ReasonCount:
    label: str
    count: int


@dataclass
class FollowUpCount:
    label: str
    completed: int


@dataclass
class GroupFlow:
    """One arm (or, in a study without arms, everyone enrolled)."""

    name: str
    receives: str
    allocated: int = 0
    received: int | None = None
    received_label: str = ""
    follow_ups: list[FollowUpCount] = field(default_factory=list)
    withdrew: int = 0
    reasons: list[ReasonCount] = field(default_factory=list)
    analysed: int | None = None


@dataclass
class Flow:
    study: Study
    has_arms: bool
    invited: int = 0
    screened: int = 0
    eligible: int = 0
    not_eligible: int = 0
    not_screened: int = 0
    awaiting: int = 0
    withdrew_before: int = 0
    reasons_before: list[ReasonCount] = field(default_factory=list)
    allocated: int = 0
    groups: list[GroupFlow] = field(default_factory=list)
    follow_up_labels: list[str] = field(default_factory=list)

    def follow_up_rows(self) -> list[tuple[str, list[int]]]:
        """(time point label, completed per group) for a table by arm."""
        return [
            (label, [group.follow_ups[index].completed for group in self.groups])
            for index, label in enumerate(self.follow_up_labels)
        ]


def _reason_label(code: str) -> str:
    try:
        return str(WithdrawalReason(code).label)
    except ValueError:
        return code


def study_flow(study: Study) -> Flow:
    arms: list[Arm] = list(study.arms.all())
    has_arms = bool(arms)
    time_points = study.time_points()
    baseline = baseline_time_point(time_points)
    follow_ups = [tp for tp in time_points if tp != baseline]
    flow = Flow(study=study, has_arms=has_arms, follow_up_labels=[tp.label for tp in follow_ups])

    members = StudyParticipant.objects.filter(study=study)
    # Those who reached an arm: randomised (or, without arms, found eligible and enrolled).
    allocated_field = "randomised_at" if has_arms else "eligible_at"
    allocated_q = Q(**{f"{allocated_field}__isnull": False})
    totals = members.aggregate(
        invited=Count("pk"),
        screened=Count("pk", filter=Q(screened_at__isnull=False)),
        eligible=Count("pk", filter=Q(eligible_at__isnull=False)),
        allocated=Count("pk", filter=allocated_q),
        withdrew_before=Count("pk", filter=Q(withdrawn_at__isnull=False) & ~allocated_q),
        awaiting=Count(
            "pk", filter=Q(eligible_at__isnull=False, withdrawn_at__isnull=True) & ~allocated_q
        ),
    )
    flow.invited = totals["invited"]
    flow.screened = totals["screened"]
    flow.eligible = totals["eligible"]
    flow.not_eligible = flow.screened - flow.eligible
    flow.not_screened = flow.invited - flow.screened
    flow.allocated = totals["allocated"]
    flow.withdrew_before = totals["withdrew_before"]
    flow.awaiting = totals["awaiting"] if has_arms else 0

    submitted_follow_up = Exists(
        _questionnaires().filter(
            participant_id=OuterRef("participant_id"),
            time_point__in=[tp.pk for tp in follow_ups],
        )
    )
    visit = _attended_first_visit()
    aggregates: dict[str, Any] = {
        "allocated": Count("pk"),
        "withdrew": Count("pk", filter=Q(withdrawn_at__isnull=False)),
        "started": Count("pk", filter=Q(_started_first_module())),
        "analysed": Count("pk", filter=Q(submitted_follow_up)),
        "attended": Count("pk", filter=Q(visit)),
    }
    per_group: dict[Any, dict[str, Any]] = {
        row["allocation__arm_id"]: dict(row)
        for row in members.filter(allocated_q).values("allocation__arm_id").annotate(**aggregates)
    }
    # Withdrawals are counted where the person was when they left: before allocation, or in
    # their arm (None in a study without arms).
    reasons: dict[Any, list[ReasonCount]] = {}
    for row in (
        members.filter(withdrawn_at__isnull=False)
        .annotate(reached=ExpressionWrapper(allocated_q, output_field=BooleanField()))
        .values("reached", "allocation__arm_id", "withdrawal_reason")
        .annotate(n=Count("pk"))
        .order_by("reached", "allocation__arm_id", "-n", "withdrawal_reason")
    ):
        place = row["allocation__arm_id"] if row["reached"] else BEFORE
        reasons.setdefault(place, []).append(
            ReasonCount(_reason_label(row["withdrawal_reason"]), row["n"])
        )
    completed: dict[tuple[Any, int], int] = {}
    if follow_ups:
        for row in (
            _questionnaires()
            .filter(
                time_point__in=[tp.pk for tp in follow_ups],
                participant__study_participation__study=study,
            )
            .filter(**{f"participant__study_participation__{allocated_field}__isnull": False})
            .values("time_point_id", "participant__study_participation__allocation__arm_id")
            .annotate(n=Count("participant_id", distinct=True))
        ):
            cell = (
                row["participant__study_participation__allocation__arm_id"],
                row["time_point_id"],
            )
            completed[cell] = row["n"]

    flow.reasons_before = reasons.get(BEFORE, [])
    if has_arms:
        groups: list[tuple[Any, str, str]] = [(arm.pk, arm.name, arm.receives) for arm in arms]
    else:
        groups = [(None, _("Enrolled in the programme"), "programme_and_plan")]
    for key, name, receives in groups:
        counts = per_group.get(key, {})
        group = GroupFlow(name=name, receives=receives, allocated=counts.get("allocated", 0))
        if receives in ("programme", "programme_and_plan"):
            group.received = counts.get("started", 0)
            group.received_label = _("started module 1")
        else:
            group.received = counts.get("attended", 0)
            group.received_label = _("attended the first physiotherapy visit")
        group.follow_ups = [
            FollowUpCount(tp.label, completed.get((key, tp.pk), 0)) for tp in follow_ups
        ]
        group.withdrew = counts.get("withdrew", 0)
        group.reasons = reasons.get(key, [])
        group.analysed = counts.get("analysed", 0) if follow_ups else None
        flow.groups.append(group)
    return flow


def _questionnaires() -> Any:
    return Questionnaire.objects.filter(submitted_at__isnull=False)


def _started_first_module() -> Exists:
    """True for a study participant who has opened a step of module 1 (received the
    programme)."""
    return Exists(
        ModuleProgress.objects.filter(
            participant_id=OuterRef("participant_id"),
            module__number=1,
            first_visited_at__isnull=False,
        )
    )


def _attended_first_visit() -> Exists:
    """True for a study participant who has attended a physiotherapy visit (received the
    activity plan)."""
    return Exists(PhysioVisit.objects.attended().filter(participant_id=OuterRef("participant_id")))


# --- the diagram ------------------------------------------------------------------------------


@dataclass
class Box:
    x: int
    y: int
    w: int
    h: int
    lines: list[str]
    emphasis: bool = False

    @property
    def text_x(self) -> int:
        return self.x + 10

    def text_rows(self) -> list[tuple[int, str, bool]]:
        """(y, text, bold) of each line; the first line is the heading."""
        return [(self.y + 20 + 17 * i, line, i == 0) for i, line in enumerate(self.lines)]


@dataclass
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Diagram:
    width: int
    height: int
    boxes: list[Box]
    arrows: list[Arrow]
    title: str
    description: str


COLUMN = 250
GAP = 24


def _box(x: int, y: int, w: int, heading: str, details: list[str]) -> Box:
    lines = textwrap.wrap(heading, width=max(12, (w - 20) // 7)) or [heading]
    for detail in details:
        lines += textwrap.wrap(detail, width=max(12, (w - 20) // 7)) or [detail]
    return Box(x, y, w, 14 + 17 * len(lines), lines)


def _n(value: int | None) -> str:
    return _("not recorded") if value is None else f"n = {value}"


def diagram(flow: Flow) -> Diagram:
    """Lay out the flow as boxes and arrows (coordinates in px): the path to allocation down
    the left, those not allocated to its right, then one column per arm."""
    groups = flow.groups
    columns = max(1, len(groups))
    width = max(2 * COLUMN + 3 * GAP, columns * COLUMN + (columns + 1) * GAP)
    boxes: list[Box] = []
    arrows: list[Arrow] = []
    main_x = GAP
    main_centre = main_x + COLUMN // 2
    y = GAP

    invited = _box(main_x, y, COLUMN, _("Invited"), [_n(flow.invited)])
    boxes.append(invited)
    y += invited.h + GAP
    arrows.append(Arrow(main_centre, invited.y + invited.h, main_centre, y))
    screened = _box(main_x, y, COLUMN, _("Assessed for eligibility"), [_n(flow.screened)])
    boxes.append(screened)
    y += screened.h + GAP

    excluded_lines = [
        _("Not eligible: %(n)s") % {"n": _n(flow.not_eligible)},
        _("Not yet screened: %(n)s") % {"n": _n(flow.not_screened)},
        _("Withdrew before allocation: %(n)s") % {"n": _n(flow.withdrew_before)},
    ]
    excluded_lines += [f"- {r.label}: {r.count}" for r in flow.reasons_before]
    if flow.has_arms:
        excluded_lines.append(_("Waiting to be randomised: %(n)s") % {"n": _n(flow.awaiting)})
    side_x = main_x + COLUMN + GAP
    excluded = _box(side_x, y, width - side_x - GAP, _("Not allocated"), excluded_lines)
    boxes.append(excluded)
    branch_y = excluded.y + min(excluded.h // 2, 30)
    arrows.append(Arrow(main_centre, branch_y, side_x, branch_y))
    y += excluded.h + GAP
    arrows.append(Arrow(main_centre, screened.y + screened.h, main_centre, y))
    allocated = _box(
        main_x, y, COLUMN, _("Randomised") if flow.has_arms else _("Enrolled"), [_n(flow.allocated)]
    )
    allocated.emphasis = True
    boxes.append(allocated)
    y += allocated.h + GAP

    # One column per arm; each stage sits at the same height in every column.
    left = (width - (columns * COLUMN + (columns - 1) * GAP)) // 2
    column_x = [left + i * (COLUMN + GAP) for i in range(columns)]
    stages: list[list[tuple[str, list[str]]]] = [
        [
            (
                _("Allocated to %(arm)s") % {"arm": g.name},
                [
                    _n(g.allocated),
                    _("Received the allocated intervention (%(how)s): %(n)s")
                    % {"how": g.received_label, "n": _n(g.received)},
                ],
            )
            for g in groups
        ]
    ]
    for index, label in enumerate(flow.follow_up_labels):
        stages.append(
            [
                (
                    _("Follow-up: %(time_point)s") % {"time_point": label},
                    [_("Completed: %(n)s") % {"n": _n(g.follow_ups[index].completed)}],
                )
                for g in groups
            ]
        )
    stages.append(
        [
            (_("Withdrew"), [_n(g.withdrew)] + [f"- {r.label}: {r.count}" for r in g.reasons])
            for g in groups
        ]
    )
    stages.append([(_("Analysed"), [_n(g.analysed)]) for g in groups])
    previous: list[Box] = []
    for stage_index, stage in enumerate(stages):
        row = [
            _box(column_x[i], y, COLUMN, heading, details)
            for i, (heading, details) in enumerate(stage)
        ]
        height = max((box.h for box in row), default=0)
        for i, box in enumerate(row):
            box.h = height
            top_centre = box.x + COLUMN // 2
            if stage_index == 0:
                arrows.append(Arrow(main_centre, allocated.y + allocated.h, top_centre, box.y))
            else:
                above = previous[i]
                arrows.append(Arrow(top_centre, above.y + above.h, top_centre, box.y))
        boxes.extend(row)
        previous = row
        y += height + GAP
    title = _("Flow of participants through %(study)s") % {"study": flow.study.name}
    description = _(
        "%(invited)s invited, %(screened)s assessed for eligibility, %(allocated)s allocated."
    ) % {"invited": flow.invited, "screened": flow.screened, "allocated": flow.allocated}
    return Diagram(
        width=width, height=y, boxes=boxes, arrows=arrows, title=title, description=description
    )
