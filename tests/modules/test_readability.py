from __future__ import annotations

import pytest

from modules.readability import exercise_text, html_to_text, lix

LIX_LIMIT = 40


def test_lix_follows_the_formula():
    # 6 words, 2 sentences, 1 word longer than six letters: 6/2 + 100*1/6.
    assert lix("Jag går hem. Sedan promenerar jag.") == pytest.approx(3 + 100 / 6)


def test_headings_and_list_items_end_a_sentence():
    assert lix("Rubrik\nEtt två tre.") == pytest.approx(2 + 0)


@pytest.mark.parametrize("number", range(1, 15))
def test_every_swedish_module_reads_easily(parsed_programme, number):
    module = parsed_programme["sv"][number]
    lines = [module.title, module.summary]
    for step in module.steps:
        lines += [
            step.title,
            html_to_text(step.html),
            html_to_text(step.html_after),
            *exercise_text(step.exercise),
        ]
    score = lix("\n".join(lines))
    assert score <= LIX_LIMIT, f"{module.path.name}: LIX {score:.1f}"
