"""Who may open what: every page and endpoint of the workspace, as every role.

A therapist reaches only the participants in their own caseload; anything else is a 404, as
is every staff page for participants and every therapist page for other staff roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from tests.factories import make_site, make_therapist
from therapists.models import FeedbackTemplate, Thread

pytestmark = pytest.mark.django_db

# (url name, method, needs the participant's id, needs the homework's id)
PARTICIPANT_PAGES = [
    ("therapists:overview", "get"),
    ("therapists:messages", "get"),
    ("therapists:messages", "post"),
    ("therapists:note-add", "post"),
    ("therapists:time-add", "post"),
    ("therapists:review", "get"),
    ("therapists:review", "post"),
    ("therapists:release-module", "post"),
    ("therapists:hold-module", "post"),
    ("therapists:lift-module-hold", "post"),
]
THERAPIST_PAGES = [
    ("therapists:dashboard", "get"),
    ("therapists:caseload", "get"),
    ("therapists:templates", "get"),
    ("therapists:template-create", "get"),
    ("therapists:template-create", "post"),
    ("therapists:template-edit", "get"),
    ("therapists:template-edit", "post"),
    ("therapists:template-delete", "get"),
    ("therapists:template-delete", "post"),
]
ADMIN_PAGES = [
    ("therapists:assignments", "get"),
    ("therapists:assignment-edit", "get"),
    ("therapists:assignment-edit", "post"),
]
PARTICIPANT_OWN_PAGES = [
    ("therapists:my-messages", "get"),
    ("therapists:my-messages", "post"),
]

POST_DATA = {
    "therapists:messages": {"body": "Hello"},
    "therapists:note-add": {"body": "A note"},
    "therapists:time-add": {"minutes": "10", "activity": "phone", "performed_on": "2026-01-05"},
    "therapists:review": {"action": "send", "body": "Well done", "decision": "reviewed"},
    "therapists:template-create": {"title": "T", "language": "en", "body": "Hi {first_name}"},
    "therapists:template-edit": {"title": "T2", "language": "en", "body": "Hi"},
    "therapists:assignment-edit": {},
    "therapists:my-messages": {"body": "Hello"},
}


@pytest.fixture
def template(site: Any, therapist: Any) -> FeedbackTemplate:
    return FeedbackTemplate.objects.create(
        site=site,
        language="en",
        title="Good work",
        body="Well done {first_name}",
        created_by=therapist,
    )


def _url(name: str, participant: Any, homework: Any, template: Any) -> str:
    if name == "therapists:review":
        return reverse(name, args=[participant.pk, homework.pk])
    if name in {
        "therapists:release-module",
        "therapists:hold-module",
        "therapists:lift-module-hold",
    }:
        return reverse(name, args=[participant.pk, 2])
    if name in {n for n, _ in PARTICIPANT_PAGES} or name == "therapists:assignment-edit":
        return reverse(name, args=[participant.pk])
    if name in {"therapists:template-edit", "therapists:template-delete"}:
        return reverse(name, args=[template.pk])
    return reverse(name)


def _call(client: Any, method: str, name: str, url: str) -> Any:
    if method == "post":
        return client.post(url, POST_DATA.get(name, {}))
    return client.get(url)


@pytest.fixture
def cast(
    therapist: Any,
    other_therapist: Any,
    physio: Any,
    admin_user: Any,
    participant: Any,
    other_participant: Any,
) -> dict[str, Any]:
    return {
        "therapist": therapist,
        "other_therapist": other_therapist,
        "physio": physio,
        "admin": admin_user,
        "participant": participant,
        "other_participant": other_participant,
    }


@pytest.mark.parametrize(("name", "method"), PARTICIPANT_PAGES)
@pytest.mark.parametrize(
    "role", ["other_therapist", "physio", "admin", "participant", "other_participant"]
)
def test_only_the_own_therapist_reaches_a_participants_pages(
    client: Any,
    cast: dict[str, Any],
    homework: Any,
    template: Any,
    name: str,
    method: str,
    role: str,
) -> None:
    client.force_login(cast[role])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code == 404


@pytest.mark.parametrize(("name", "method"), PARTICIPANT_PAGES)
def test_the_own_therapist_reaches_every_page_of_their_participant(
    client: Any, cast: dict[str, Any], homework: Any, template: Any, name: str, method: str
) -> None:
    client.force_login(cast["therapist"])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code in (200, 302)


@pytest.mark.parametrize(("name", "method"), PARTICIPANT_PAGES)
def test_a_therapist_gets_404_for_another_therapists_participant_everywhere(
    client: Any,
    cast: dict[str, Any],
    other_homework: Any,
    template: Any,
    name: str,
    method: str,
) -> None:
    client.force_login(cast["therapist"])
    url = _url(name, cast["other_participant"], other_homework, template)
    assert _call(client, method, name, url).status_code == 404


def test_a_homework_id_of_another_participant_is_a_404_even_with_an_own_participant(
    client: Any, cast: dict[str, Any], homework: Any, other_homework: Any
) -> None:
    client.force_login(cast["therapist"])
    url = reverse("therapists:review", args=[cast["participant"].pk, other_homework.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("name", "method"), THERAPIST_PAGES)
@pytest.mark.parametrize("role", ["physio", "admin", "participant", "other_participant"])
def test_therapist_pages_are_404_for_everyone_else(
    client: Any,
    cast: dict[str, Any],
    homework: Any,
    template: Any,
    name: str,
    method: str,
    role: str,
) -> None:
    client.force_login(cast[role])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code == 404


@pytest.mark.parametrize(("name", "method"), THERAPIST_PAGES)
@pytest.mark.parametrize("role", ["therapist", "other_therapist"])
def test_therapists_of_the_site_reach_the_workspace_and_its_shared_templates(
    client: Any,
    cast: dict[str, Any],
    homework: Any,
    template: Any,
    name: str,
    method: str,
    role: str,
) -> None:
    client.force_login(cast[role])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code in (200, 302)


@pytest.mark.parametrize("name", ["therapists:template-edit", "therapists:template-delete"])
def test_a_therapist_at_another_site_cannot_open_the_sites_templates(
    client: Any, template: Any, name: str
) -> None:
    outsider = make_therapist(make_site("south", "South clinic"), "far.therapist@test.example")
    client.force_login(outsider)
    assert client.get(reverse(name, args=[template.pk])).status_code == 404
    assert (
        client.post(reverse(name, args=[template.pk]), POST_DATA.get(name, {})).status_code == 404
    )
    assert FeedbackTemplate.objects.filter(pk=template.pk, title="Good work").exists()


@pytest.mark.parametrize(("name", "method"), ADMIN_PAGES)
@pytest.mark.parametrize(
    "role", ["therapist", "other_therapist", "physio", "participant", "other_participant"]
)
def test_care_team_pages_are_for_research_admins_only(
    client: Any,
    cast: dict[str, Any],
    homework: Any,
    template: Any,
    name: str,
    method: str,
    role: str,
) -> None:
    client.force_login(cast[role])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code == 404


@pytest.mark.parametrize(("name", "method"), ADMIN_PAGES)
def test_a_research_admin_reaches_the_care_team_pages(
    client: Any, cast: dict[str, Any], homework: Any, template: Any, name: str, method: str
) -> None:
    client.force_login(cast["admin"])
    url = _url(name, cast["participant"], homework, template)
    assert _call(client, method, name, url).status_code in (200, 302)


def test_an_admin_cannot_change_the_care_team_of_another_sites_participant(
    client: Any, admin_user: Any, therapist: Any
) -> None:
    from tests.factories import make_participant

    far = make_participant(make_site("south", "South clinic"), "far@test.example")
    client.force_login(admin_user)
    url = reverse("therapists:assignment-edit", args=[far.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"therapist": therapist.pk}).status_code == 404


@pytest.mark.parametrize(("name", "method"), PARTICIPANT_OWN_PAGES)
@pytest.mark.parametrize("role", ["therapist", "other_therapist", "physio", "admin"])
def test_the_participants_messages_page_is_404_for_staff(
    client: Any, cast: dict[str, Any], name: str, method: str, role: str
) -> None:
    client.force_login(cast[role])
    assert _call(client, method, name, reverse(name)).status_code == 404


def test_a_participant_cannot_read_someone_elses_earlier_thread(
    client: Any, participant: Any, other_participant: Any, other_therapist: Any
) -> None:
    thread = Thread.between(participant=other_participant, staff=other_therapist)
    thread.post(sender=other_therapist, body="Private")
    client.force_login(participant)
    response = client.get(reverse("therapists:my-earlier-thread", args=[thread.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"), PARTICIPANT_PAGES + THERAPIST_PAGES + ADMIN_PAGES + PARTICIPANT_OWN_PAGES
)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Any, cast: dict[str, Any], homework: Any, template: Any, name: str, method: str
) -> None:
    url = _url(name, cast["participant"], homework, template)
    response = _call(client, method, name, url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_therapist_without_a_second_factor_is_kept_out(client: Any, site: Any) -> None:
    therapist = make_therapist(site, "nomfa.t@test.example", mfa=False)
    client.force_login(therapist)
    assert client.get(reverse("therapists:dashboard")).status_code == 302


def test_refused_requests_leave_no_access_log_rows(
    client: Any, cast: dict[str, Any], homework: Any
) -> None:
    client.force_login(cast["other_therapist"])
    client.get(reverse("therapists:overview", args=[cast["participant"].pk]))
    client.post(reverse("therapists:messages", args=[cast["participant"].pk]), {"body": "Hi"})
    assert not AccessLog.objects.filter(actor=cast["other_therapist"]).exists()
    assert not Thread.objects.filter(participant=cast["participant"]).exists()


def test_after_reassignment_the_previous_therapist_loses_access(
    client: Any, cast: dict[str, Any], homework: Any
) -> None:
    from accounts.models import CareAssignment, CareRole

    CareAssignment.assign(
        participant=cast["participant"], staff=cast["other_therapist"], role=CareRole.THERAPIST
    )
    client.force_login(cast["therapist"])
    assert (
        client.get(reverse("therapists:overview", args=[cast["participant"].pk])).status_code == 404
    )
    client.force_login(cast["other_therapist"])
    assert (
        client.get(reverse("therapists:overview", args=[cast["participant"].pk])).status_code == 200
    )
