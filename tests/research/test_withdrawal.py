from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import (
    AccessLog,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from assessments.models import Questionnaire
from research.flow import study_flow
from research.models import StudyParticipant, WithdrawalReason

pytestmark = pytest.mark.django_db


def test_a_participant_withdraws_from_their_study_page_after_confirming(
    client, participant, member
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(participant)
    page = client.get(reverse("research:my-study")).content.decode()
    assert reverse("research:withdraw") in page
    # Without ticking the confirmation nothing happens.
    response = client.post(reverse("research:withdraw"), {"reason": "too_demanding"})
    assert response.status_code == 200
    assert StudyParticipant.objects.get(pk=member.pk).withdrawn_at is None
    response = client.post(
        reverse("research:withdraw"), {"reason": "too_demanding", "note": "", "confirm": "on"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.withdrawn_at is not None
    assert member.withdrawal_reason == WithdrawalReason.TOO_DEMANDING
    assert member.withdrawn_by_participant
    page = client.get(reverse("research:my-study")).content.decode()
    assert "You left the study" in page or "lämnade" in page


def test_the_reason_is_optional_for_the_participant(client, participant, member) -> None:  # type: ignore[no-untyped-def]
    client.force_login(participant)
    client.post(reverse("research:withdraw"), {"confirm": "on"})
    member.refresh_from_db()
    assert member.withdrawal_reason == WithdrawalReason.NOT_GIVEN


def test_staff_withdraw_a_participant_with_a_reason(client, admin_user, member) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    url = reverse("research:member-withdraw", args=[member.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 200  # the reason is required
    response = client.post(
        url, {"reason": "staff_decision", "note": "Moved abroad", "confirm": "on"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.withdrawal_reason == WithdrawalReason.STAFF_DECISION
    assert member.withdrawn_by == admin_user and not member.withdrawn_by_participant
    assert AccessLog.objects.filter(action="withdraw", subject=member.participant).exists()


def test_reminders_stop_and_messages_still_arrive(member, participant) -> None:  # type: ignore[no-untyped-def]
    pending = Notification.objects.create(
        recipient=participant, kind=NotificationKind.QUESTIONNAIRE_DUE, dedupe_key="q:1"
    )
    message = Notification.objects.create(
        recipient=participant, kind=NotificationKind.NEW_MESSAGE, dedupe_key="m:1"
    )
    member.withdraw(by=participant)
    pending.refresh_from_db()
    message.refresh_from_db()
    assert pending.state == NotificationState.SKIPPED
    assert message.state == NotificationState.PENDING
    opted_out = set(NotificationPreference.objects.get(user=participant).opted_out_kinds)
    assert (
        NotificationKind.INACTIVE in opted_out and NotificationKind.QUESTIONNAIRE_DUE in opted_out
    )
    assert NotificationKind.NEW_MESSAGE not in opted_out


def test_withdrawing_twice_changes_nothing(member, participant, admin_user) -> None:  # type: ignore[no-untyped-def]
    assert member.withdraw(by=participant, reason=WithdrawalReason.HEALTH)
    assert not member.withdraw(by=admin_user, reason=WithdrawalReason.OTHER)
    member.refresh_from_db()
    assert member.withdrawal_reason == WithdrawalReason.HEALTH


def test_data_is_kept_and_the_withdrawal_shows_in_the_flow(
    member, participant, admin_user, study
) -> None:  # type: ignore[no-untyped-def]
    member.randomise(by=admin_user)
    member.withdraw(by=participant, reason=WithdrawalReason.HEALTH)
    assert Questionnaire.objects.filter(participant=participant).exists()
    flow = study_flow(study)
    group = next(g for g in flow.groups if g.withdrew)
    assert group.withdrew == 1
    assert [(r.label, r.count) for r in group.reasons] == [(str(WithdrawalReason.HEALTH.label), 1)]
    assert flow.withdrew_before == 0
