"""How questionnaires are split into short pages."""

from __future__ import annotations

from assessments.pages import build_pages, first_unanswered
from assessments.schedules import DEFAULT_INSTRUMENTS


def test_pages_hold_at_most_the_configured_number_of_items() -> None:
    pages = build_pages(DEFAULT_INSTRUMENTS, per_page=5)
    assert all(len(page.keys) <= 5 for page in pages if not page.is_bodymap)
    assert [page.number for page in pages] == list(range(1, len(pages) + 1))


def test_a_page_never_mixes_instruments_and_every_item_is_asked_once() -> None:
    from assessments.instruments import get_instrument

    pages = build_pages(DEFAULT_INSTRUMENTS, per_page=5)
    for code in DEFAULT_INSTRUMENTS:
        keys = [key for page in pages if page.instrument == code for key in page.keys]
        assert keys == get_instrument(code).item_keys


def test_long_instruments_are_split_evenly() -> None:
    sizes = [len(p.keys) for p in build_pages(["fiqr"], per_page=5)]
    assert sizes == [5, 4, 4, 4, 4]
    assert [len(p.keys) for p in build_pages(["hads"], per_page=5)] == [5, 5, 4]


def test_items_sharing_an_instruction_stay_together_where_they_fit() -> None:
    pages = build_pages(["rand36"], per_page=5)
    assert [list(p.keys) for p in pages][:4] == [
        ["q1", "q2"],
        ["q3", "q4", "q5", "q6", "q7"],
        ["q8", "q9", "q10", "q11", "q12"],
        ["q13", "q14", "q15", "q16"],
    ]
    assert pages[0].parts == len(pages) and pages[-1].part == len(pages)


def test_parts_and_item_numbers_count_within_the_instrument() -> None:
    pages = build_pages(["pain_vas", "hads"], per_page=5)
    hads = [p for p in pages if p.instrument == "hads"]
    assert [(p.part, p.parts, p.first_item_number) for p in hads] == [
        (1, 3, 1),
        (2, 3, 6),
        (3, 3, 11),
    ]


def test_a_later_sitting_resumes_at_the_first_page_never_saved() -> None:
    pages = build_pages(["pain_vas", "hads"], per_page=5)
    assert first_unanswered(pages, {}) == pages[0]
    answers = {"pain_vas": {"q1": None}, "hads": {f"q{n}": 1 for n in range(1, 6)}}
    assert first_unanswered(pages, answers) == pages[2]
    answers["hads"].update({f"q{n}": None for n in range(6, 15)})
    assert first_unanswered(pages, answers) is None
