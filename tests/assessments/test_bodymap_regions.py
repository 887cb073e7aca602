"""The body map: a checklist of every region, grouped by side, and a drawing that mirrors
correctly between the front and the back view."""

from __future__ import annotations

from assessments.bodymap import BACK_OFFSET, VIEW_WIDTH, body_views, region_groups
from assessments.instruments import REGION_KEYS, REGIONS, get_instrument
from assessments.pages import build_pages


def _views() -> dict[str, dict[str, tuple[int, int]]]:
    return {
        view.face: {shape.region: (shape.x, shape.width) for shape in view.shapes}
        for view in body_views()
    }


def test_the_checklist_holds_every_region_once_in_three_groups() -> None:
    items = {item.key: item for item in get_instrument("pain_locations").items}
    groups = region_groups(items, {"neck"})
    assert [g.side for g in groups] == ["left", "right", "axial"]
    keys = [choice.key for group in groups for choice in group.choices]
    assert sorted(keys) == sorted(REGION_KEYS) and len(keys) == len(set(keys)) == 19
    assert [c.key for g in groups for c in g.choices if c.checked] == ["neck"]


def test_every_region_is_drawn_in_the_views_its_metadata_names() -> None:
    views = _views()
    for region in REGIONS:
        for face in ("front", "back"):
            assert (region.key in views[face]) == (face in region.faces), (region.key, face)


def test_the_persons_left_is_on_the_viewers_right_from_the_front_and_left_from_the_back() -> None:
    views = _views()
    middle = VIEW_WIDTH / 2
    front_x, _width = views["front"]["shoulder_left"]
    back_x, back_w = views["back"]["shoulder_left"]
    assert front_x > middle and back_x + back_w < middle
    assert views["front"]["shoulder_right"][0] + views["front"]["shoulder_right"][1] < middle


def test_left_and_right_shapes_mirror_each_other() -> None:
    views = _views()
    for stem in ("shoulder", "upper_arm", "lower_arm", "hip", "upper_leg", "lower_leg"):
        left_x, width = views["front"][f"{stem}_left"]
        right_x, _ = views["front"][f"{stem}_right"]
        assert left_x == VIEW_WIDTH - right_x - width


def test_the_two_views_sit_side_by_side() -> None:
    offsets = [view.offset for view in body_views()]
    assert offsets == [0, BACK_OFFSET] and BACK_OFFSET >= VIEW_WIDTH


def test_the_body_map_is_never_split_across_pages() -> None:
    pages = build_pages(["pain_locations"], per_page=5)
    assert len(pages) == 1 and len(pages[0].keys) == 19 and pages[0].is_bodymap
