"""Homework that nobody is assigned to read: the site's unassigned queue.

A participant without a therapist can still send homework (an invitation may name none, or the
therapist may leave). It must reach a person, so it waits here for the site's research admins,
whose work is to give the participant a therapist; the homework then moves to that therapist's
triage queue, where it is read. Admins see who is waiting and since when, not what was written:
reading homework is the therapist's.

Therapists do not see this queue: the one rule of who sees whom (`User.objects.visible_to`)
shows a therapist only their own caseload, and a participant outside it is not theirs to see.
"""

from __future__ import annotations

from accounts.models import CareAssignment, CareRole, User
from modules.models import HomeworkSubmission, HomeworkSubmissionQuerySet
from therapists.participants import Participant, ParticipantQuerySet


def without_therapist(viewer: User) -> ParticipantQuerySet:
    """The participants `viewer` may see who have no current therapist."""
    with_therapist = (
        CareAssignment.objects.current().filter(role=CareRole.THERAPIST).values("participant_id")
    )
    return Participant.objects.visible_to(viewer).participants().exclude(pk__in=with_therapist)


def unassigned_homework(viewer: User) -> HomeworkSubmissionQuerySet:
    """Homework waiting for review from participants without a therapist, oldest first; the
    site's research admins' queue (none for anyone else)."""
    if not viewer.is_authenticated or not viewer.is_research_admin:
        return HomeworkSubmission.objects.none()
    return (
        HomeworkSubmission.objects.awaiting_review()
        .filter(participant__in=without_therapist(viewer))
        .select_related("participant", "module")
        .order_by("submitted_at", "pk")
    )
