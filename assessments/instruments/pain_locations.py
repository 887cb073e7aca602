"""Pain locations on a body map, with the ACR 1990 definition of widespread pain.

The regions are the 19 regions of the Widespread Pain Index (Wolfe et al. 2010): seven on each
side plus five axial regions. Each region carries the metadata a body-map UI needs (side,
height relative to the waist, the views it is drawn in) and the metadata the ACR 1990 rule
needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from .base import CleanAnswers, Instrument, Item, Number, Option, Scores

Side = Literal["left", "right", "axial"]
Height = Literal["above", "below"]
Face = Literal["front", "back"]


@dataclass(frozen=True)
class Region:
    """One body-map region.

    ``side``: left, right or axial (midline). ``height``: above or below the waist.
    ``faces``: the views (front, back) the region is drawn in. ``axial_skeletal``: counts as
    axial skeletal pain in the ACR 1990 definition (cervical spine, anterior chest, thoracic
    spine, low back). ``acr1990``: takes part in the ACR 1990 rule at all.
    """

    key: str
    label: str
    side: Side
    height: Height
    faces: tuple[Face, ...]
    axial_skeletal: bool = False
    acr1990: bool = True


_BOTH: tuple[Face, ...] = ("front", "back")

_BILATERAL: list[tuple[str, str, Height, tuple[Face, ...]]] = [
    ("jaw", "Jaw", "above", ("front",)),
    ("shoulder", "Shoulder", "above", _BOTH),
    ("upper_arm", "Upper arm", "above", _BOTH),
    ("lower_arm", "Lower arm", "above", _BOTH),
    ("hip", "Hip or buttock", "below", _BOTH),
    ("upper_leg", "Upper leg", "below", _BOTH),
    ("lower_leg", "Lower leg", "below", _BOTH),
]


def _build_regions() -> tuple[Region, ...]:
    regions: list[Region] = []
    for side in ("left", "right"):
        for stem, label, height, faces in _BILATERAL:
            regions.append(Region(f"{stem}_{side}", f"{label}, {side}", side, height, faces))
    regions += [
        Region("neck", "Neck", "axial", "above", _BOTH, axial_skeletal=True),
        Region("chest", "Chest", "axial", "above", ("front",), axial_skeletal=True),
        Region("upper_back", "Upper back", "axial", "above", ("back",), axial_skeletal=True),
        Region("lower_back", "Lower back", "axial", "below", ("back",), axial_skeletal=True),
        # The 1990 definition names no abdominal site (it is not part of the axial skeleton),
        # so the abdomen is counted but takes no part in the widespread-pain rule.
        Region("abdomen", "Abdomen", "axial", "below", ("front",), acr1990=False),
    ]
    return tuple(regions)


REGIONS: tuple[Region, ...] = _build_regions()
REGION_KEYS: tuple[str, ...] = tuple(region.key for region in REGIONS)
_BY_KEY = {region.key: region for region in REGIONS}


def _any(
    painful: list[Region], unknown: list[Region], test: Callable[[Region], bool]
) -> float | None:
    """1.0 if a painful region passes ``test``; 0.0 if none can; ``None`` if it depends on
    unanswered regions."""
    if any(test(r) for r in painful):
        return 1.0
    if any(test(r) for r in unknown):
        return None
    return 0.0


def score_pain_locations(answers: Mapping[str, Number | None]) -> Scores:
    """Count painful regions and apply the ACR 1990 definition of widespread pain.

    Source: Wolfe F, Smythe HA, Yunus MB, et al. The American College of Rheumatology 1990
    criteria for the classification of fibromyalgia. Arthritis Rheum 1990;33:160-172: pain is
    widespread when there is pain in the left side of the body, pain in the right side, pain
    above the waist and pain below the waist, and axial skeletal pain (cervical spine,
    anterior chest, thoracic spine or low back). Shoulder and buttock pain count for the side
    involved; low back pain counts as below the waist. Region set: the 19 regions of the
    Widespread Pain Index (Wolfe F, et al. Arthritis Care Res 2010;62:600-610).

    Items: one per region (``REGION_KEYS``), 0 = no pain, 1 = pain (``True``/``False``
    accepted). No recoding or reversal.

    Scores:
      * count: number of painful regions, 0-19.
      * left, right, above_waist, below_waist, axial: 1.0/0.0 for each part of the rule
        (left and right: the seven regions of that side; above/below: every region except
        the abdomen by its height; axial: neck, chest, upper back, lower back).
      * widespread: 1.0 when all five parts are met, else 0.0.

    Missing regions: ``count`` is ``None`` unless every region is answered (a body map
    must send 0 for unmarked regions). Each rule part is 1.0 as soon as one painful region
    meets it (more answers cannot undo that), 0.0 only when every region that could meet it
    is answered, ``None`` otherwise; ``widespread`` follows the same logic.
    """
    painful: list[Region] = []
    unknown: list[Region] = []
    for region in REGIONS:
        value = answers.get(region.key)
        if value is None:
            unknown.append(region)
        elif value:
            painful.append(region)
    rule_painful = [r for r in painful if r.acr1990]
    rule_unknown = [r for r in unknown if r.acr1990]
    parts = {
        "left": _any(rule_painful, rule_unknown, lambda r: r.side == "left"),
        "right": _any(rule_painful, rule_unknown, lambda r: r.side == "right"),
        "above_waist": _any(rule_painful, rule_unknown, lambda r: r.height == "above"),
        "below_waist": _any(rule_painful, rule_unknown, lambda r: r.height == "below"),
        "axial": _any(rule_painful, rule_unknown, lambda r: r.axial_skeletal),
    }
    values = list(parts.values())
    widespread: float | None
    if all(v == 1.0 for v in values):
        widespread = 1.0
    elif any(v == 0.0 for v in values):
        widespread = 0.0
    else:
        widespread = None
    scores: Scores = {"count": None if unknown else float(len(painful))}
    scores.update(parts)
    scores["widespread"] = widespread
    return scores


class PainLocations(Instrument[float | None]):
    """Pain locations on a body map (19 regions, left and right, front and back).

    Keys are region keys (``jaw_left``, ``shoulder_left``, ..., ``neck``, ``chest``,
    ``upper_back``, ``lower_back``, ``abdomen``). Values are 0/1 flags or ``False``/``True``
    (1 = pain in the region), not option positions. ``regions`` gives the side/height/face
    metadata for drawing the body map.
    """

    code = "pain_locations"
    name = "Pain locations (body map)"
    scoring_version = "1"
    licence = "Platform's own body map; the ACR 1990 rule is a published method."
    reference = (
        "Wolfe F, Smythe HA, Yunus MB, et al. Arthritis Rheum 1990;33:160-172 (widespread "
        "pain); regions of the Widespread Pain Index, Wolfe F, et al. Arthritis Care Res "
        "2010;62:600-610."
    )
    placeholder_labels = False
    regions: tuple[Region, ...] = REGIONS

    def build_items(self) -> list[Item]:
        options = (Option(0, "No pain"), Option(1, "Pain"))
        return [
            Item(key=region.key, label=region.label, kind="flag", options=options)
            for region in REGIONS
        ]

    def region(self, key: str) -> Region:
        return _BY_KEY[key]

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        scales = {"count": (0.0, float(len(REGIONS)))}
        scales.update(
            {
                name: (0.0, 1.0)
                for name in ("left", "right", "above_waist", "below_waist", "axial", "widespread")
            }
        )
        return scales

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_pain_locations(answers)
