"""The time-zone menu on the settings page: the zones people here live in first, then every
zone by region, so that nobody scrolls through 600 names to find Stockholm."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import timezone_choices

# Sweden first, then the other Nordic countries, then a few where participants may be for a while.
COMMON_TIMEZONES = [
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Atlantic/Reykjavik",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Atlantic/Canary",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "Asia/Bangkok",
]

REGION_LABELS: dict[str, Promise] = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}

Choices = list[tuple[str, str]]


def _label(name: str) -> str:
    return name.split("/", 1)[1].replace("_", " ").replace("/", " / ")


def grouped_timezone_choices() -> list[tuple[str | Promise, Choices]]:
    """The common zones as the first group, then every valid zone under its region. Every value
    is one of `timezone_choices()`, so what the form accepts is what the model may hold."""
    valid = {name for name, _label_ in timezone_choices()}
    common = [(name, _label(name)) for name in COMMON_TIMEZONES if name in valid]
    regions: dict[str, Choices] = {region: [] for region in REGION_LABELS}
    # Old names kept by the tz database (US/Eastern, Etc/GMT+1): shown whole, so that a
    # setting made with one is still there to see and keep.
    other: Choices = []
    for name in sorted(valid):
        region = name.split("/", 1)[0]
        if region in regions:
            regions[region].append((name, _label(name)))
        else:
            other.append((name, name.replace("_", " ")))
    groups: list[tuple[str | Promise, Choices]] = [(_("Common time zones"), common)]
    groups.extend((REGION_LABELS[region], zones) for region, zones in regions.items() if zones)
    if other:
        groups.append((_("Other names"), other))
    return groups
