"""The message after adding participants to a study counts them properly in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

pytestmark = pytest.mark.django_db


def added_message(client: Any, study: Any, data: dict[str, str]) -> str:
    response = client.post(reverse("research:participant-add", args=[study.pk]), data)
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_it_says_one_participant_in_the_singular(
    client: Any, admin_user: Any, study: Any, participant: Any
) -> None:
    client.force_login(admin_user)
    assert added_message(client, study, {"participant": str(participant.pk)}) == (
        "1 deltagare lades till i studien."
    )


def test_it_says_many_participants_in_the_plural(
    client: Any, admin_user: Any, study: Any, participant: Any, other_participant: Any
) -> None:
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    assert added_message(client, study, {"all": "1"}) == "2 participants added to the study."


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("sv", 1, "1 deltagare lades till i studien."),
        ("sv", 3, "3 deltagare lades till i studien."),
        ("en", 1, "1 participant added to the study."),
        ("en", 0, "0 participants added to the study."),
    ],
)
def test_the_catalogue_has_both_forms(language: str, count: int, expected: str) -> None:
    with translation.override(language):
        text = ngettext(
            "%(n)s participant added to the study.", "%(n)s participants added to the study.", count
        ) % {"n": count}
    assert text == expected
