"""The body map of pain regions: the checklist groups and the drawing.

The checklist of checkboxes is the form and works alone (keyboard, screen reader, no
JavaScript). The drawing is built here from the region metadata of the pain_locations instrument
as plain shapes, rendered inline (aria-hidden) and made clickable by static/js/assessments.js.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assessments.instruments import REGIONS, Item, Region

VIEW_WIDTH = 160
VIEW_HEIGHT = 330
# Where the back view starts; the two views sit side by side in one drawing.
BACK_OFFSET = 180

# Shapes of the regions of the viewer's left half (x, y, width, height), by region stem; the other
# half is mirrored. Axial regions sit on the midline and are not mirrored.
_SIDE_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "jaw": (68, 38, 12, 10),
    "shoulder": (50, 62, 20, 16),
    "upper_arm": (38, 80, 14, 48),
    "lower_arm": (30, 131, 15, 52),
    "hip": (57, 150, 23, 30),
    "upper_leg": (58, 183, 21, 68),
    "lower_leg": (60, 254, 18, 66),
}
_AXIAL_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "neck": (72, 49, 16, 12),
    "chest": (70, 64, 20, 46),
    "upper_back": (70, 64, 20, 46),
    "abdomen": (66, 112, 28, 36),
    "lower_back": (66, 112, 28, 36),
}


@dataclass(frozen=True)
class Shape:
    region: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class BodyView:
    face: str  # front or back
    offset: int
    shapes: tuple[Shape, ...]
    # Where the person's own left and right are, as seen by the viewer.
    left_label_x: int
    right_label_x: int


def _stem(region: Region) -> str:
    return region.key.removesuffix("_left").removesuffix("_right")


def _shape(region: Region, face: str) -> Shape:
    if region.side == "axial":
        x, y, w, h = _AXIAL_SHAPES[region.key]
        return Shape(region.key, x, y, w, h)
    x, y, w, h = _SIDE_SHAPES[_stem(region)]
    # Seen from the front, the person's left is on the viewer's right; from the back, on the left.
    on_viewer_right = (region.side == "left") == (face == "front")
    if on_viewer_right:
        x = VIEW_WIDTH - x - w
    return Shape(region.key, x, y, w, h)


def body_views() -> list[BodyView]:
    views = []
    for face, offset in (("front", 0), ("back", BACK_OFFSET)):
        shapes = tuple(_shape(region, face) for region in REGIONS if face in region.faces)
        left_x, right_x = (130, 30) if face == "front" else (30, 130)
        views.append(BodyView(face, offset, shapes, left_x, right_x))
    return views


@dataclass(frozen=True)
class RegionChoice:
    key: str
    label: str
    checked: bool


@dataclass(frozen=True)
class RegionGroup:
    side: str
    choices: tuple[RegionChoice, ...]


def region_groups(items: Mapping[str, Item], selected: set[str]) -> list[RegionGroup]:
    """The checklist: left side, right side, middle of the body, in the instrument's order."""
    groups = []
    for side in ("left", "right", "axial"):
        choices = tuple(
            RegionChoice(region.key, items[region.key].label, region.key in selected)
            for region in REGIONS
            if region.side == side
        )
        groups.append(RegionGroup(side, choices))
    return groups
