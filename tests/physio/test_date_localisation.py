"""Dates on Swedish pages are Swedish: "30 nov" and "6 dec", not the English-looking "30 Nov"
that Django's "M" gives by capitalising the Swedish abbreviation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from physio.models import ActivityEntry

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"
WEEK = "2020-11-30"  # a Monday, in a week that is not this one


def week_heading(html: str) -> str:
    match = re.search(r'<h\d id="week-title">(.*?)</h\d>', html, re.S)
    assert match, html
    return re.sub(r"<[^>]+>", "", match.group(1))


def speak(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_the_week_heading_has_swedish_month_abbreviations(client: Any, participant: User) -> None:
    client.force_login(speak(participant, "sv"))
    html = client.get(reverse("physio:my-activity") + f"?week={WEEK}").content.decode()
    assert week_heading(html) == f"Vecka: 30 nov{DASH}6 dec 2020"
    assert "Nov" not in html and "Dec " not in html


def test_the_week_heading_stays_english_in_english(client: Any, participant: User) -> None:
    client.force_login(speak(participant, "en"))
    html = client.get(reverse("physio:my-activity") + f"?week={WEEK}").content.decode()
    assert week_heading(html) == f"Week: 30 Nov{DASH}6 Dec 2020"


def test_logged_days_and_entries_read_as_swedish(client: Any, participant: User) -> None:
    ActivityEntry.objects.create(
        participant=participant,
        performed_on=dt.date(2020, 12, 1),
        name="Promenad",
        minutes=20,
        intensity="light",
    )
    client.force_login(speak(participant, "sv"))
    html = client.get(reverse("physio:my-activity") + f"?week={WEEK}").content.decode()
    assert "tis 1 dec</time>: Promenad" in html
    assert "mån 30 nov" in html


@pytest.mark.parametrize(
    ("language", "expected"), [("sv", "mån 30 nov 2026, 14:05"), ("en", "Mon 30 Nov 2026, 14:05")]
)
def test_visit_times_use_the_pages_language(language: str, expected: str) -> None:
    # The format the visit tables use (physio caseload, a participant's visits).
    template = Template(
        '{% load i18n %}{% translate "D j M Y, H:i" context "date format" as f %}{{ when|date:f }}'
    )
    with translation.override(language):
        text = template.render(Context({"when": dt.datetime(2026, 11, 30, 14, 5)}))
    assert text == expected
