"""Which participants a staff member may see. Every view that shows a participant's data goes
through `participants_visible_to` or `get_participant_for_user`."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User, UserQuerySet
from modules.models import HomeworkSubmission
from therapists.models import CareAssignment, CareRole


def participants_visible_to(user: User) -> UserQuerySet:
    """A participant sees only themselves; a therapist or physiotherapist their current caseload;
    a research admin the participants of their site; anyone else nobody."""
    participants = User.objects.participants()
    if not user.is_authenticated:
        return participants.none()
    if user.is_participant:
        return participants.filter(pk=user.pk)
    visible = participants.none()
    if user.is_care_staff:
        caseload = CareAssignment.objects.current().filter(staff=user).values("participant_id")
        visible = visible | participants.filter(pk__in=caseload)
    if user.is_research_admin and user.site_id is not None:
        visible = visible | participants.filter(site_id=user.site_id)
    return visible


def get_participant_for_user(user: User, participant_id: int) -> User:
    try:
        return participants_visible_to(user).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None


def caseload_of(therapist: User) -> UserQuerySet:
    """The participants a therapist currently guides in the iCBT programme. The therapist's
    workspace (dashboard, caseload, overview, messages, homework) looks participants up only
    here, so another therapist's participant is a 404 everywhere."""
    participants = User.objects.participants()
    if not (therapist.is_authenticated and therapist.is_therapist):
        return participants.none()
    current = CareAssignment.objects.current().filter(staff=therapist, role=CareRole.THERAPIST)
    return participants.filter(pk__in=current.values("participant_id"))


def get_caseload_participant(therapist: User, participant_id: int) -> User:
    try:
        return caseload_of(therapist).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None


def current_therapist_of(participant: User) -> User | None:
    assignment = (
        CareAssignment.objects.current()
        .filter(participant=participant, role=CareRole.THERAPIST)
        .select_related("staff")
        .first()
    )
    return assignment.staff if assignment else None


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


def physio_caseload_of(physiotherapist: User) -> UserQuerySet:
    """The participants a physiotherapist currently holds the visits, activity plan and goals
    of: those visible to them (participants_visible_to) with a current physiotherapist
    assignment to them. The physiotherapy pages look participants up only here, so another
    physiotherapist's participant, or a therapist's, is a 404 there."""
    if not (physiotherapist.is_authenticated and physiotherapist.is_physiotherapist):
        return User.objects.participants().none()
    current = CareAssignment.objects.current().filter(
        staff=physiotherapist, role=CareRole.PHYSIOTHERAPIST
    )
    return participants_visible_to(physiotherapist).filter(pk__in=current.values("participant_id"))


def get_physio_participant(physiotherapist: User, participant_id: int) -> User:
    try:
        return physio_caseload_of(physiotherapist).get(pk=participant_id)
    except User.DoesNotExist:
        raise Http404 from None
