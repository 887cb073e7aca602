"""RAND 36-Item Health Survey 1.0 (RAND-36), with RAND's published scoring.

The RAND-36 and the SF-36 v1 share the same 36 items from the Medical Outcomes Study; they differ
in scoring (see ``sf36.py`` for Ware's method). The English RAND-36 text is in the public domain
and is shipped here with RAND's credit line.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import CleanAnswers, Instrument, Item, Number, Option, Scores

CREDIT = "RAND 36-Item Health Survey 1.0, RAND Health Care, public domain"

# Number of printed options per item (1-based), items 1-36, shared with the SF-36 v1.
OPTION_COUNTS: dict[int, int] = {
    1: 5,
    2: 5,
    **{n: 3 for n in range(3, 13)},
    **{n: 2 for n in range(13, 20)},
    20: 5,
    21: 6,
    22: 5,
    **{n: 6 for n in range(23, 32)},
    32: 5,
    **{n: 5 for n in range(33, 37)},
}

_HEALTH = ("Excellent", "Very good", "Good", "Fair", "Poor")
_CHANGE = (
    "Much better now than one year ago",
    "Somewhat better now than one year ago",
    "About the same",
    "Somewhat worse now than one year ago",
    "Much worse now than one year ago",
)
_LIMITED = ("Yes, limited a lot", "Yes, limited a little", "No, not limited at all")
_YES_NO = ("Yes", "No")
_EXTENT = ("Not at all", "Slightly", "Moderately", "Quite a bit", "Extremely")
_PAIN = ("None", "Very mild", "Mild", "Moderate", "Severe", "Very severe")
_PAIN_INTERFERE = ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")
_TIME6 = (
    "All of the time",
    "Most of the time",
    "A good bit of the time",
    "Some of the time",
    "A little of the time",
    "None of the time",
)
_TIME5 = (
    "All of the time",
    "Most of the time",
    "Some of the time",
    "A little of the time",
    "None of the time",
)
_TRUE_FALSE = ("Definitely true", "Mostly true", "Don't know", "Mostly false", "Definitely false")

_STEM_ACTIVITIES = (
    "The following items are about activities you might do during a typical day. "
    "Does your health now limit you in these activities? If so, how much?"
)
_STEM_PHYSICAL = (
    "During the past 4 weeks, have you had any of the following problems with your work or "
    "other regular daily activities as a result of your physical health?"
)
_STEM_EMOTIONAL = (
    "During the past 4 weeks, have you had any of the following problems with your work or "
    "other regular daily activities as a result of any emotional problems (such as feeling "
    "depressed or anxious)?"
)
_STEM_FEELINGS = (
    "These questions are about how you feel and how things have been with you during the past "
    "4 weeks. For each question, please give the one answer that comes closest to the way you "
    "have been feeling. How much of the time during the past 4 weeks..."
)
_STEM_TRUE_FALSE = "How TRUE or FALSE is each of the following statements for you?"

# (item number, text, options, stem)
_RAND36_TEXT: list[tuple[int, str, tuple[str, ...], str]] = [
    (1, "In general, would you say your health is:", _HEALTH, ""),
    (2, "Compared to one year ago, how would you rate your health in general now?", _CHANGE, ""),
    (
        3,
        "Vigorous activities, such as running, lifting heavy objects, participating in "
        "strenuous sports",
        _LIMITED,
        _STEM_ACTIVITIES,
    ),
    (
        4,
        "Moderate activities, such as moving a table, pushing a vacuum cleaner, bowling, or "
        "playing golf",
        _LIMITED,
        _STEM_ACTIVITIES,
    ),
    (5, "Lifting or carrying groceries", _LIMITED, _STEM_ACTIVITIES),
    (6, "Climbing several flights of stairs", _LIMITED, _STEM_ACTIVITIES),
    (7, "Climbing one flight of stairs", _LIMITED, _STEM_ACTIVITIES),
    (8, "Bending, kneeling, or stooping", _LIMITED, _STEM_ACTIVITIES),
    (9, "Walking more than a mile", _LIMITED, _STEM_ACTIVITIES),
    (10, "Walking several blocks", _LIMITED, _STEM_ACTIVITIES),
    (11, "Walking one block", _LIMITED, _STEM_ACTIVITIES),
    (12, "Bathing or dressing yourself", _LIMITED, _STEM_ACTIVITIES),
    (
        13,
        "Cut down the amount of time you spent on work or other activities",
        _YES_NO,
        _STEM_PHYSICAL,
    ),
    (14, "Accomplished less than you would like", _YES_NO, _STEM_PHYSICAL),
    (15, "Were limited in the kind of work or other activities", _YES_NO, _STEM_PHYSICAL),
    (
        16,
        "Had difficulty performing the work or other activities (for example, it took extra "
        "effort)",
        _YES_NO,
        _STEM_PHYSICAL,
    ),
    (
        17,
        "Cut down the amount of time you spent on work or other activities",
        _YES_NO,
        _STEM_EMOTIONAL,
    ),
    (18, "Accomplished less than you would like", _YES_NO, _STEM_EMOTIONAL),
    (19, "Didn't do work or other activities as carefully as usual", _YES_NO, _STEM_EMOTIONAL),
    (
        20,
        "During the past 4 weeks, to what extent has your physical health or emotional "
        "problems interfered with your normal social activities with family, friends, "
        "neighbors, or groups?",
        _EXTENT,
        "",
    ),
    (21, "How much bodily pain have you had during the past 4 weeks?", _PAIN, ""),
    (
        22,
        "During the past 4 weeks, how much did pain interfere with your normal work (including "
        "both work outside the home and housework)?",
        _PAIN_INTERFERE,
        "",
    ),
    (23, "Did you feel full of pep?", _TIME6, _STEM_FEELINGS),
    (24, "Have you been a very nervous person?", _TIME6, _STEM_FEELINGS),
    (
        25,
        "Have you felt so down in the dumps that nothing could cheer you up?",
        _TIME6,
        _STEM_FEELINGS,
    ),
    (26, "Have you felt calm and peaceful?", _TIME6, _STEM_FEELINGS),
    (27, "Did you have a lot of energy?", _TIME6, _STEM_FEELINGS),
    (28, "Have you felt downhearted and blue?", _TIME6, _STEM_FEELINGS),
    (29, "Did you feel worn out?", _TIME6, _STEM_FEELINGS),
    (30, "Have you been a happy person?", _TIME6, _STEM_FEELINGS),
    (31, "Did you feel tired?", _TIME6, _STEM_FEELINGS),
    (
        32,
        "During the past 4 weeks, how much of the time has your physical health or emotional "
        "problems interfered with your social activities (like visiting with friends, "
        "relatives, etc.)?",
        _TIME5,
        "",
    ),
    (33, "I seem to get sick a little easier than other people", _TRUE_FALSE, _STEM_TRUE_FALSE),
    (34, "I am as healthy as anybody I know", _TRUE_FALSE, _STEM_TRUE_FALSE),
    (35, "I expect my health to get worse", _TRUE_FALSE, _STEM_TRUE_FALSE),
    (36, "My health is excellent", _TRUE_FALSE, _STEM_TRUE_FALSE),
]


def rand36_items() -> list[Item]:
    """The 36 items with RAND's English text; option values are the printed numbers 1..k."""
    items: list[Item] = []
    for number, text, options, stem in _RAND36_TEXT:
        assert len(options) == OPTION_COUNTS[number]
        items.append(
            Item(
                key=f"q{number}",
                label=text,
                options=tuple(Option(i, label) for i, label in enumerate(options, start=1)),
                stem=stem,
            )
        )
    return items


# RAND scoring, step 1: each printed option (1-based) -> 0-100, higher = better health.
_RECODE_5_DOWN = {1: 100.0, 2: 75.0, 3: 50.0, 4: 25.0, 5: 0.0}
_RECODE_3_UP = {1: 0.0, 2: 50.0, 3: 100.0}
_RECODE_2_UP = {1: 0.0, 2: 100.0}
_RECODE_6_DOWN = {1: 100.0, 2: 80.0, 3: 60.0, 4: 40.0, 5: 20.0, 6: 0.0}
_RECODE_6_UP = {1: 0.0, 2: 20.0, 3: 40.0, 4: 60.0, 5: 80.0, 6: 100.0}
_RECODE_5_UP = {1: 0.0, 2: 25.0, 3: 50.0, 4: 75.0, 5: 100.0}

RAND36_RECODE: dict[int, dict[int, float]] = {
    **{n: _RECODE_5_DOWN for n in (1, 2, 20, 22, 34, 36)},
    **{n: _RECODE_3_UP for n in range(3, 13)},
    **{n: _RECODE_2_UP for n in range(13, 20)},
    **{n: _RECODE_6_DOWN for n in (21, 23, 26, 27, 30)},
    **{n: _RECODE_6_UP for n in (24, 25, 28, 29, 31)},
    **{n: _RECODE_5_UP for n in (32, 33, 35)},
}

# RAND scoring, step 2: items averaged into each scale.
RAND36_SCALES: dict[str, tuple[int, ...]] = {
    "physical_functioning": tuple(range(3, 13)),
    "role_physical": (13, 14, 15, 16),
    "role_emotional": (17, 18, 19),
    "energy_fatigue": (23, 27, 29, 31),
    "emotional_wellbeing": (24, 25, 26, 28, 30),
    "social_functioning": (20, 32),
    "pain": (21, 22),
    "general_health": (1, 33, 34, 35, 36),
}


def score_rand36(answers: Mapping[str, Number | None]) -> Scores:
    """Score the RAND-36 with RAND's published method.

    Source: RAND Health Care, "36-Item Short Form Survey (SF-36) Scoring Instructions" for the
    RAND 36-Item Health Survey 1.0 (Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health
    Survey 1.0. Health Econ 1993;2:217-227).

    Option numbering: 1-based, the number printed next to each option (``q1 = 1`` is
    "Excellent").

    Step 1, recoding of every item to 0-100 (higher = better health):
      * items 1, 2, 20, 22, 34, 36: 1->100, 2->75, 3->50, 4->25, 5->0
      * items 3-12: 1->0, 2->50, 3->100
      * items 13-19: 1->0, 2->100
      * items 21, 23, 26, 27, 30: 1->100, 2->80, 3->60, 4->40, 5->20, 6->0
      * items 24, 25, 28, 29, 31: 1->0, 2->20, 3->40, 4->60, 5->80, 6->100
      * items 32, 33, 35: 1->0, 2->25, 3->50, 4->75, 5->100
    (the reversals of Ware's method are built into this table; there is no separate step).

    Step 2, scales (0-100) = mean of the recoded items:
      * physical_functioning: items 3-12
      * role_physical (role limitations due to physical health): 13-16
      * role_emotional (role limitations due to emotional problems): 17-19
      * energy_fatigue: 23, 27, 29, 31
      * emotional_wellbeing: 24, 25, 26, 28, 30
      * social_functioning: 20, 32
      * pain: 21, 22
      * general_health: 1, 33, 34, 35, 36
    plus ``health_change``: item 2 recoded, reported on its own (it belongs to no scale).

    Missing items, in RAND's words: "Items that are left blank (missing data) are not taken
    into account when calculating the scale scores. Hence, scale scores represent the average
    for all items in the scale that the respondent answered." A scale is therefore scored when
    at least one of its items is answered, and is ``None`` only when all of its items are
    missing. Bodily pain and general health get no special recoding (unlike Ware's SF-36).
    """
    recoded: dict[int, float] = {}
    for number, table in RAND36_RECODE.items():
        value = answers.get(f"q{number}")
        if value is not None:
            recoded[number] = table[int(value)]
    scores: Scores = {}
    for scale, numbers in RAND36_SCALES.items():
        present = [recoded[n] for n in numbers if n in recoded]
        scores[scale] = sum(present) / len(present) if present else None
    scores["health_change"] = recoded.get(2)
    return scores


class Rand36(Instrument[float | None]):
    """RAND 36-Item Health Survey 1.0 with RAND scoring.

    Keys ``q1``..``q36`` in printed order. Option numbering: 1-based, the number printed next
    to each option (items 3-12: 1-3; items 13-19: 1-2; items 21 and 23-31: 1-6; the others
    1-5). Labels are RAND's public-domain English text; show ``credit`` with the items.
    """

    code = "rand36"
    name = "RAND 36-Item Health Survey 1.0 (RAND-36)"
    scoring_version = "1"
    licence = "Public domain (RAND Health Care); show the credit line with the items."
    reference = (
        "Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health Econ "
        "1993;2:217-227; RAND Health Care, 36-Item Short Form Survey scoring instructions."
    )
    placeholder_labels = False
    credit = CREDIT

    def build_items(self) -> list[Item]:
        return rand36_items()

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {scale: (0.0, 100.0) for scale in (*RAND36_SCALES, "health_change")}

    def _score(self, answers: CleanAnswers) -> Scores:
        return score_rand36(answers)
