"""A participant without a therapist is never told that a therapist will read their homework;
the pages say who will. With a therapist the wording names the role as before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import CareAssignment, CareRole, User
from modules.models import Enrolment
from modules.progress import participant_summary
from tests.factories import make_participant
from tests.modules.helpers import steps_of

pytestmark = pytest.mark.django_db

NOBODY_YET = "You do not have a therapist yet"
# What the pages used to promise about the homework whoever the participant was. (Module texts
# that mention a therapist in general are content, not a promise about this homework.)
PROMISES = (
    "to your therapist",
    "to my therapist",
    "your therapist will read",
    "what your therapist will read",
    "tell your therapist how the week went",
)


@pytest.fixture
def cast_language() -> str:
    return "en"


@pytest.fixture
def alone(site, programme, cast_language) -> User:  # type: ignore[no-untyped-def]
    person = make_participant(site, "alone@test.example")
    person.language = cast_language
    person.save(update_fields=["language"])
    Enrolment.enrol(person)
    return person


def _answer_homework(client) -> None:  # type: ignore[no-untyped-def]
    """Homework is sent only with its answers (a goal, for module 1's)."""
    homework = next(item for item in steps_of(1) if item.kind == "homework")
    response = client.post(
        reverse("modules:answer-save", args=[1, homework.slug]),
        {"revision": "0", "a-goal_sign": "Rest every afternoon"},
    )
    assert response.status_code in (200, 204, 302), response.status_code


def _pages(client, user: User) -> dict[str, str]:  # type: ignore[no-untyped-def]
    client.force_login(user)
    homework = next(item for item in steps_of(1) if item.kind == "homework")
    urls = {
        "confirm": reverse("modules:homework-submit", args=[1]),
        "module": reverse("modules:module-detail", args=[1]),
        "step": reverse("modules:step-detail", args=[1, homework.slug]),
    }
    # The page's own text, without the shared footer (templates/base.html, about messages).
    return {
        name: client.get(url).content.decode().split("<footer", 1)[0] for name, url in urls.items()
    }


def test_without_a_therapist_no_page_says_a_therapist_will_read_the_homework(client, alone):  # type: ignore[no-untyped-def]
    pages = _pages(client, alone)
    for name in ("confirm", "module"):
        for promise in PROMISES:
            assert promise not in pages[name].lower(), (name, promise)
    # The step page carries the module's own text (content, edited elsewhere); the platform's
    # wording around it must not promise a therapist.
    assert "Send the homework to your therapist" not in pages["step"]
    assert NOBODY_YET in pages["confirm"]
    assert "Yes, send it" in pages["confirm"]
    # The homework is sent from the module's last step, which finishes the module.
    assert "You send it on the last step of the module" in pages["step"]


def test_without_a_therapist_sending_says_the_clinic_can_see_it_waiting(client, alone):  # type: ignore[no-untyped-def]
    client.force_login(alone)
    _answer_homework(client)
    response = client.post(reverse("modules:homework-submit", args=[1]), follow=True)
    html = response.content.decode()
    assert "Your homework has been sent. You do not have a therapist yet" in html
    assert "Sent, waiting for a therapist" in html
    assert "Your therapist will read it" not in html
    homework = next(item for item in steps_of(1) if item.kind == "homework")
    step_html = client.get(reverse("modules:step-detail", args=[1, homework.slug])).content
    assert b"the clinic can see that it is waiting" in step_html
    assert b"sent to your therapist" not in step_html


def test_with_a_therapist_the_pages_name_the_therapist(client, site, therapist, programme):  # type: ignore[no-untyped-def]
    person = make_participant(site, "guided@test.example", therapist=therapist)
    person.language = "en"
    person.save(update_fields=["language"])
    Enrolment.enrol(person)
    pages = _pages(client, person)
    assert "Send your homework to your therapist" in pages["confirm"]
    assert NOBODY_YET not in pages["confirm"]
    last = steps_of(1)[-1]
    finish = client.get(reverse("modules:step-detail", args=[1, last.slug])).content.decode()
    assert "the module is done and your therapist reads it" in finish
    _answer_homework(client)
    response = client.post(reverse("modules:homework-submit", args=[1]), follow=True)
    assert "Your homework has been sent to your therapist." in response.content.decode()


def test_the_home_next_step_names_a_therapist_only_when_there_is_one(  # type: ignore[no-untyped-def]
    client, therapist, alone
):
    client.force_login(alone)
    for item in steps_of(1):
        client.post(reverse("modules:step-complete", args=[1, item.slug]))
    summary = participant_summary(User.objects.get(pk=alone.pk))
    assert summary is not None and summary.next_action is not None
    assert summary.next_action.kind == "homework"
    assert summary.next_action.label == "Send your homework for module 1"
    CareAssignment.assign(participant=alone, staff=therapist, role=CareRole.THERAPIST)
    summary = participant_summary(User.objects.get(pk=alone.pk))
    assert summary is not None and summary.next_action is not None
    assert summary.next_action.label == "Send your homework for module 1 to your therapist"


def test_the_wording_without_a_therapist_is_in_swedish_too(client, site, programme):  # type: ignore[no-untyped-def]
    person = make_participant(site, "ensam@test.example")
    Enrolment.enrol(person)
    pages = _pages(client, person)
    assert "Du har ingen terapeut ännu." in pages["confirm"]
    assert "till min terapeut" not in pages["confirm"]
