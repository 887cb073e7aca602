"""The time-zone menu: Stockholm and the Nordic zones first, every valid zone still there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.forms import PreferencesForm
from accounts.models import timezone_choices
from accounts.timezones import COMMON_TIMEZONES, grouped_timezone_choices

pytestmark = pytest.mark.django_db


def test_it_starts_with_stockholm_and_the_nordic_zones() -> None:
    with translation.override("en"):
        label, first = grouped_timezone_choices()[0]
        assert str(label) == "Common time zones"
    names = [name for name, _ in first]
    assert names[:5] == [
        "Europe/Stockholm",
        "Europe/Helsinki",
        "Europe/Oslo",
        "Europe/Copenhagen",
        "Atlantic/Reykjavik",
    ]
    assert len(names) < 20
    assert first[0] == ("Europe/Stockholm", "Stockholm")


def test_every_zone_the_model_accepts_is_still_offered() -> None:
    offered = {name for _, zones in grouped_timezone_choices() for name, _ in zones}
    assert offered == {name for name, _ in timezone_choices()}
    assert set(COMMON_TIMEZONES) <= offered


def test_the_rest_are_grouped_by_region() -> None:
    with translation.override("en"):
        groups = {str(label): zones for label, zones in grouped_timezone_choices()}
    assert ("America/Sao_Paulo", "Sao Paulo") in groups["America"]
    assert ("America/Argentina/Buenos_Aires", "Argentina / Buenos Aires") in groups["America"]
    assert ("US/Eastern", "US/Eastern") in groups["Other names"]


@pytest.mark.parametrize("zone", ["Europe/Stockholm", "Pacific/Auckland", "US/Eastern"])
def test_the_form_accepts_any_valid_zone(participant: Any, zone: str) -> None:
    form = PreferencesForm(
        {"first_name": "Pat", "language": "sv", "timezone": zone}, instance=participant
    )
    assert form.is_valid(), form.errors


def test_the_form_refuses_a_zone_that_does_not_exist(participant: Any) -> None:
    form = PreferencesForm(
        {"first_name": "Pat", "language": "sv", "timezone": "Mars/Olympus"}, instance=participant
    )
    assert not form.is_valid()


def test_the_settings_page_shows_the_short_list_first_in_swedish(
    client: Any, participant: Any
) -> None:
    client.force_login(participant)
    html = client.get(reverse("accounts:preferences")).content.decode()
    common = html.index('<optgroup label="Vanliga tidszoner">')
    assert common < html.index('<optgroup label="Europa">')
    assert html.index('value="Europe/Stockholm"', common) < html.index('value="Europe/Oslo"')
    assert 'value="Europe/Stockholm" selected' in html
