"""Participant-facing names of instruments, scales and time points, translatable.

The scoring library names things in English for researchers ("Hospital Anxiety and Depression
Scale (HADS)", scale "energy_fatigue"); pages show these shorter, translated labels instead.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments.instruments import get_instrument

INSTRUMENT_TITLES: dict[str, Promise] = {
    "pain_vas": _("Pain intensity"),
    "pain_locations": _("Where you have pain"),
    "fatigue_vas": _("Fatigue"),
    "hads": _("Anxiety and mood (HADS)"),
    "pss10": _("Stress (PSS-10)"),
    "mfi20": _("Fatigue in daily life (MFI-20)"),
    "fiq": _("Impact of fibromyalgia (FIQ)"),
    "fiqr": _("Impact of fibromyalgia (FIQR)"),
    "rand36": _("Health and well-being (RAND-36)"),
    "sf36": _("Health and well-being (SF-36)"),
    "ltpai": _("Physical activity in leisure time (LTPAI)"),
    "sci93": _("Stress and crisis (SCI-93)"),
}

SCALE_LABELS: dict[tuple[str, str], Promise] = {
    # The en dash is typography, not a typo (and gettext needs the character itself).
    ("pain_vas", "pain"): _("Pain (0–100)"),  # noqa: RUF001
    ("fatigue_vas", "fatigue"): _("Fatigue (0–100)"),  # noqa: RUF001
    ("pain_locations", "count"): _("Number of pain regions"),
    ("pain_locations", "widespread"): _("Widespread pain (ACR 1990)"),
    ("pain_locations", "left"): _("Pain on the left side"),
    ("pain_locations", "right"): _("Pain on the right side"),
    ("pain_locations", "above_waist"): _("Pain above the waist"),
    ("pain_locations", "below_waist"): _("Pain below the waist"),
    ("pain_locations", "axial"): _("Axial pain"),
    ("hads", "anxiety"): _("Anxiety"),
    ("hads", "depression"): _("Depression"),
    ("pss10", "total"): _("Perceived stress"),
    ("mfi20", "general_fatigue"): _("General fatigue"),
    ("mfi20", "physical_fatigue"): _("Physical fatigue"),
    ("mfi20", "reduced_activity"): _("Reduced activity"),
    ("mfi20", "reduced_motivation"): _("Reduced motivation"),
    ("mfi20", "mental_fatigue"): _("Mental fatigue"),
    ("fiqr", "function"): _("Function"),
    ("fiqr", "overall_impact"): _("Overall impact"),
    ("fiqr", "symptoms"): _("Symptoms"),
    ("fiqr", "total"): _("Total"),
    ("rand36", "physical_functioning"): _("Physical functioning"),
    ("rand36", "role_physical"): _("Role limitations, physical"),
    ("rand36", "role_emotional"): _("Role limitations, emotional"),
    ("rand36", "energy_fatigue"): _("Energy and fatigue"),
    ("rand36", "emotional_wellbeing"): _("Emotional well-being"),
    ("rand36", "social_functioning"): _("Social functioning"),
    ("rand36", "pain"): _("Pain"),
    ("rand36", "general_health"): _("General health"),
    ("rand36", "health_change"): _("Health change"),
    ("ltpai", "total"): _("Hours of activity per week"),
}

# The published HADS bands (assessments.instruments.hads.HADS_BANDS).
HADS_BAND_LABELS: dict[str, Promise] = {
    "normal": _("normal"),
    "borderline": _("borderline"),
    "moderate": _("moderate"),
    "severe": _("severe"),
}

TIME_POINT_LABELS: dict[str, Promise] = {
    "baseline": _("Start of the programme"),
    "post": _("After the programme"),
    "6m": _("After 6 months"),
    "12m": _("After 12 months"),
    "24m": _("After 24 months"),
}

# Under the points of a chart, where space is short.
TIME_POINT_SHORT_LABELS: dict[str, Promise] = {
    "baseline": _("Start"),
    "post": _("After"),
    "6m": _("6 mo"),
    "12m": _("12 mo"),
    "24m": _("24 mo"),
}

# Region group titles of the body-map checklist (one fieldset each).
BODY_SIDE_LABELS: dict[str, Promise] = {
    "left": _("Left side of the body"),
    "right": _("Right side of the body"),
    "axial": _("Middle of the body"),
}


def instrument_title(code: str) -> str:
    title = INSTRUMENT_TITLES.get(code)
    return str(title) if title is not None else get_instrument(code).name


def scale_label(code: str, scale: str) -> str:
    label = SCALE_LABELS.get((code, scale))
    return str(label) if label is not None else scale.replace("_", " ").capitalize()
