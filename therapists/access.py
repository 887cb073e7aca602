"""The lookups of the therapists' pages, each built on the one rule of who sees whom
(`User.objects.visible_to` and `User.objects.in_care_of` in accounts): every view that shows a
participant's data goes through one of these, and answers 404 for anyone else."""

from __future__ import annotations

from django.http import Http404

from accounts.models import CareAssignment, CareRole, User
from accounts.statements import Param
from modules.models import HomeworkSubmission
from therapists.participants import Participant, ParticipantQuerySet


def caseload_of(therapist: User) -> ParticipantQuerySet:
    """The participants a therapist currently guides in the iCBT programme. The therapist's
    workspace (dashboard, caseload, overview, messages, homework) looks participants up only
    here, so another therapist's participant is a 404 everywhere."""
    return Participant.objects.in_care_of(therapist, CareRole.THERAPIST)


def caseload_statement_of(staff: Param) -> ParticipantQuerySet:
    """`caseload_of` for a statement built once (accounts/statements.py): the therapist is the
    `Param` `staff`. Whoever runs the statement checks that the person is a therapist, as
    `caseload_of` does (therapists.triage.collect)."""
    return Participant.objects.cared_for_by(staff, CareRole.THERAPIST)


def get_caseload_participant(therapist: User, participant_id: int) -> User:
    try:
        return caseload_of(therapist).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None


def current_therapist_of(participant: User) -> User | None:
    return CareAssignment.current_staff_of(participant, CareRole.THERAPIST)


def get_homework_for_therapist(
    therapist: User, participant: User, submission_id: int
) -> HomeworkSubmission:
    """A homework submission of a participant in the therapist's caseload, else 404."""
    submission = (
        HomeworkSubmission.objects.filter(
            participant__in=caseload_of(therapist), participant=participant, pk=submission_id
        )
        .select_related("participant", "module", "step", "reviewer")
        .first()
    )
    if submission is None:
        raise Http404
    return submission
