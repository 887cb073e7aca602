"""Who may see the programme, and the lookups every participant view goes through (each
answers 404 for anything that is not the participant's to see)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import CareAssignment, CareRole
from accounts.rows import build, columns, width
from modules.content_cache import module_steps
from modules.models import ENROLMENT_CACHE_ATTR, Enrolment, Module, ModuleProgress, Step

if TYPE_CHECKING:
    from accounts.models import User

_CACHE_ATTR = ENROLMENT_CACHE_ATTR
_MISSING = object()


def _enrolment_of(user: User) -> Enrolment | None:
    # Remembered on the user object for the rest of the request: the nav and the view both ask.
    cached = getattr(user, _CACHE_ATTR, _MISSING)
    if cached is _MISSING:
        cached = Enrolment.objects.filter(participant_id=user.pk).first()
        setattr(user, _CACHE_ATTR, cached)
    return cached  # type: ignore[return-value]


def programme_enabled_for(user: User) -> bool:
    """The single switch for the programme: False hides every module page, link and hint.

    True for every participant unless their enrolment says otherwise (a study arm without the
    iCBT programme sets `has_programme=False`)."""
    if not user.is_authenticated or not user.is_participant:
        return False
    enrolment = _enrolment_of(user)
    return enrolment is None or enrolment.has_programme


_THERAPIST_CACHE_ATTR = "_modules_has_therapist"


def therapist_assignments(user: User) -> QuerySet[CareAssignment]:
    """The participant's current therapist assignments (none, or one)."""
    return CareAssignment.objects.current().filter(participant_id=user.pk, role=CareRole.THERAPIST)


def has_therapist(user: User) -> bool:
    """Whether the participant has a therapist now. The programme's pages say "your therapist
    will read it" only when this is true; without one the homework waits in the site's
    unassigned queue (therapists app), and the pages say so. Asked once per request (the
    page header may already have asked, see `remember_has_therapist`)."""
    cached = getattr(user, _THERAPIST_CACHE_ATTR, None)
    if cached is None:
        cached = therapist_assignments(user).exists()
        setattr(user, _THERAPIST_CACHE_ATTR, cached)
    return bool(cached)


def remember_has_therapist(user: User, value: bool) -> None:
    """For a caller that found out in a query of its own (the header's unread count asks in
    the same query), so that `has_therapist` does not ask again in this request."""
    setattr(user, _THERAPIST_CACHE_ATTR, bool(value))


def get_enrolment_for_user(user: User) -> Enrolment:
    """The participant's enrolment, created on their first visit; 404 without the programme."""
    if not programme_enabled_for(user):
        raise Http404
    enrolment = _enrolment_of(user)
    if enrolment is None:
        enrolment = Enrolment.enrol(user)
        setattr(user, _CACHE_ATTR, enrolment)
    return enrolment


@dataclass
class ParticipantProgramme:
    """A participant's programme as one request sees it, with due modules opened."""

    enrolment: Enrolment
    modules: list[Module]
    rows: dict[int, ModuleProgress] = field(default_factory=dict)

    def row_for(self, module: Module) -> ModuleProgress | None:
        return self.rows.get(module.pk)

    def module(self, number: int) -> Module:
        """An open module, from the rows this programme has already read: the same answer as
        get_module_for_user (404 for a locked or unknown module) without a query."""
        module = next((m for m in self.modules if m.number == number), None)
        row = self.rows.get(module.pk) if module is not None else None
        if module is None or row is None or row.opened_at is None:
            raise Http404
        return module

    def step(self, number: int, slug: str) -> tuple[Step, list[Step]]:
        """A step of an open module and all its module's current steps, in order: the same
        answer as get_step_for_user (404 for a locked module or an unknown step) without a
        query, and the steps the navigation shows."""
        module = self.module(number)
        # The steps and their texts (each step's HTML in every language): the content cache.
        steps = module_steps(module)
        found = next((each for each in steps if each.slug == slug), None)
        if found is None:
            raise Http404
        return found, steps


def programme_for(user: User) -> ParticipantProgramme:
    """Enrol if needed, open what the rule says is due, and return the programme: one query
    when nothing opens (the enrolment, the current modules and their progress rows read
    together); the first visit and a module's opening cost a few more."""
    if not user.is_authenticated or not user.is_participant:
        raise Http404
    read = _read_programme(user.pk)
    if read is None:
        # Not enrolled yet, or no current module: the general path.
        enrolment = get_enrolment_for_user(user)
        modules = list(Module.objects.active())
        rows = enrolment.open_due_modules(modules=modules)
    else:
        enrolment, modules, rows = read
        setattr(user, _CACHE_ATTR, enrolment)
        if not enrolment.has_programme:
            raise Http404
        rows = enrolment.open_due_modules(modules=modules, rows=rows)
    return ParticipantProgramme(enrolment, modules, {row.module_id: row for row in rows})


def _programme_sql() -> str:
    # The tables' and columns' names come from the models, the participant as a parameter.
    quote = connection.ops.quote_name
    module, progress = quote(Module._meta.db_table), quote(ModuleProgress._meta.db_table)
    enrolment = quote(Enrolment._meta.db_table)
    select = f"{columns(Module, 'm')}, {columns(ModuleProgress, 'p')}, {columns(Enrolment, 'e')}"
    return (
        f"SELECT {select} FROM {module} m JOIN {enrolment} e ON e.participant_id = %s "  # noqa: S608  # nosec B608  # names from the models
        f"LEFT JOIN {progress} p ON p.module_id = m.id AND p.participant_id = e.participant_id "
        # Module.objects.active(), in its order.
        "WHERE m.number IS NOT NULL AND m.retired_at IS NULL ORDER BY m.number"
    )


def _read_programme(
    participant_id: int,
) -> tuple[Enrolment, list[Module], list[ModuleProgress]] | None:
    """The enrolment, the current modules in order and the participant's progress rows of
    them, in one statement; None when there is no enrolment or no current module."""
    with connection.cursor() as cursor:
        cursor.execute(_programme_sql(), [participant_id])
        found = cursor.fetchall()
    if not found:
        return None
    module_end = width(Module)
    progress_end = module_end + width(ModuleProgress)
    modules: list[Module] = []
    rows: list[ModuleProgress] = []
    for values in found:
        module = build(Module, "m", values[:module_end])
        assert module is not None
        modules.append(module)
        row = build(ModuleProgress, "p", values[module_end:progress_end])
        if row is not None:
            row.module = module
            rows.append(row)
    enrolment = build(Enrolment, "e", found[0][progress_end:])
    assert enrolment is not None
    return enrolment, modules, rows


def get_module_for_user(user: User, number: int) -> Module:
    try:
        return Module.objects.visible_to(user).get(number=number)
    except Module.DoesNotExist:
        raise Http404 from None


def get_step_for_user(user: User, number: int, slug: str) -> Step:
    try:
        return (
            Step.objects.visible_to(user)
            .select_related("module")
            .get(module__number=number, slug=slug)
        )
    except Step.DoesNotExist:
        raise Http404 from None
