"""The notification settings page (everyone's own) and the sent-notifications page (admins)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import (
    AccessLog,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)
from tests.factories import make_admin, make_participant

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("accounts:notification-preferences")
LOG = reverse("accounts:notification-log")
EVERYONE = [
    "participant",
    "other_participant",
    "therapist",
    "other_therapist",
    "physio",
    "admin_user",
]


def write(recipient, n: int = 0, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("kind", NotificationKind.MODULE_OPENED)
    return Notification.objects.create(
        recipient=recipient, dedupe_key=f"{fields['kind']}:{recipient.pk}:{n}", **fields
    )


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_everyone_signed_in_can_open_their_own_notification_settings(client, request, who):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(PREFERENCES)
    assert response.status_code == 200
    assert response.context["form"].instance.user == user
    # Nothing is stored until they save; the defaults apply meanwhile.
    assert not NotificationPreference.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_settings(client, db):  # type: ignore[no-untyped-def]
    response = client.get(PREFERENCES)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_participant_saves_channel_quiet_hours_maximum_and_opt_outs(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    wanted = [
        k
        for k in (
            "inactive",
            "feedback_waiting",
            "questionnaire_due",
            "visit_tomorrow",
            "new_message",
        )
    ]
    response = client.post(
        PREFERENCES,
        {
            "channel": "sms",
            "phone_number": "+46 70 123 45 67",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "max_per_kind_per_week": "3",
            "wanted_kinds": wanted,
        },
    )
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=participant)
    assert saved.channel == "sms" and saved.phone_number == "+46 70 123 45 67"
    assert saved.quiet_hours_start.strftime("%H:%M") == "22:00"  # type: ignore[union-attr]
    assert saved.quiet_hours_end.strftime("%H:%M") == "07:30"  # type: ignore[union-attr]
    assert saved.max_per_kind_per_week == 3
    assert saved.opted_out_kinds == ["module_opened"]


def test_text_messages_need_a_number_and_quiet_hours_need_both_times(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    response = client.post(
        PREFERENCES,
        {
            "channel": "sms",
            "phone_number": "",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "",
            "max_per_kind_per_week": "0",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"phone_number", "quiet_hours_end", "max_per_kind_per_week"}


def test_a_number_with_letters_is_refused(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    response = client.post(
        PREFERENCES,
        {
            "channel": "email",
            "phone_number": "call me",
            "max_per_kind_per_week": "3",
        },
    )
    assert "phone_number" in response.context["form"].errors


def test_no_quiet_hours_is_a_choice(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    client.post(
        PREFERENCES,
        {
            "channel": "email",
            "max_per_kind_per_week": "3",
            "quiet_hours_start": "",
            "quiet_hours_end": "",
        },
    )
    saved = NotificationPreference.objects.get(user=participant)
    assert saved.quiet_hours_start is None and saved.quiet_hours_end is None


@pytest.mark.parametrize(
    ("who", "offered", "not_offered"),
    [
        ("participant", "module_opened", "therapist_digest"),
        ("therapist", "therapist_digest", "module_opened"),
        ("physio", "participant_inactive", "therapist_digest"),
    ],
)
def test_each_role_is_offered_its_own_kinds(client, request, who, offered, not_offered):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))
    choices = dict(client.get(PREFERENCES).context["form"].fields["wanted_kinds"].choices)
    assert offered in choices and not_offered not in choices


def test_the_settings_page_links_to_the_notification_settings(client, participant):  # type: ignore[no-untyped-def]
    client.force_login(participant)
    assert PREFERENCES in client.get(reverse("accounts:preferences")).content.decode()


# --- Sent notifications -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["participant", "other_participant", "therapist", "other_therapist", "physio"]
)
def test_only_admins_see_the_sent_notifications(client, request, who):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))
    assert client.get(LOG).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_from_the_log(client, db):  # type: ignore[no-untyped-def]
    response = client.get(LOG)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_an_admin_sees_who_was_told_what_and_when_at_their_site_without_content(  # type: ignore[no-untyped-def]
    client, admin_user, participant, other_site
):
    write(participant, 1, context={"module": 4, "path": "/modules/4/"})
    write(participant, 2, state=NotificationState.FAILED, last_error="SMTPServerDisconnected")
    elsewhere = make_participant(other_site, "south@test.example", first_name="Southy")
    write(elsewhere, 3)
    client.force_login(admin_user)
    response = client.get(LOG)
    html = response.content.decode()
    assert response.status_code == 200
    assert participant.display_name in html and "Southy" not in html
    assert "SMTPServerDisconnected" in html and "/modules/4/" not in html
    assert len(response.context["page"].object_list) == 2
    assert AccessLog.objects.filter(actor=admin_user, action="notifications.list").exists()


def test_the_admin_nav_links_to_the_sent_notifications(client, admin_user):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    assert LOG in client.get(reverse("accounts:people")).content.decode()


def test_the_log_filters_by_state_and_kind_and_ignores_nonsense(client, admin_user, participant):  # type: ignore[no-untyped-def]
    write(participant, 1, state=NotificationState.SENT)
    write(participant, 2, state=NotificationState.FAILED)
    write(participant, 3, state=NotificationState.FAILED, kind=NotificationKind.NEW_MESSAGE)
    client.force_login(admin_user)

    def shown(query: dict[str, str]) -> int:
        return len(client.get(LOG, query).context["page"].object_list)

    assert shown({"state": "failed"}) == 2
    assert shown({"state": "failed", "kind": "new_message"}) == 1
    assert shown({"state": "nonsense"}) == 3


def test_an_htmx_filter_gets_only_the_results(client, admin_user, participant):  # type: ignore[no-untyped-def]
    write(participant, 1)
    client.force_login(admin_user)
    response = client.get(LOG, {"state": "pending"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<table" in html and "<html" not in html


def test_the_log_costs_the_same_queries_for_ten_rows_and_for_many_pages(  # type: ignore[no-untyped-def]
    client, admin_user, participant, site, django_assert_num_queries
):
    client.force_login(admin_user)
    for n in range(10):
        write(participant, n)
    client.get(LOG)  # the first request after signing in records the browser session
    with CaptureQueriesContext(connection) as small:
        assert client.get(LOG).status_code == 200
    people = [make_participant(site, f"p{n}@test.example") for n in range(5)]
    for n in range(120):
        write(people[n % 5], 100 + n, state=NotificationState.SENT)
    with django_assert_num_queries(len(small)):
        response = client.get(LOG, {"page": "2"})
    assert len(response.context["page"].object_list) == 50


def test_another_sites_admin_sees_none_of_it(client, other_site, participant):  # type: ignore[no-untyped-def]
    write(participant, 1)
    client.force_login(make_admin(other_site, "south.admin@test.example"))
    assert list(client.get(LOG).context["page"].object_list) == []
