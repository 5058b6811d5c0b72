"""Exact scoring of KOOS, LEFS, IKDC 2000 and NPRS against cases worked by hand, each
missing-data boundary, bad answers, and the reading of a change against the MCID."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.knowledge.schema import OutcomesSettings
from popliteal.outcomes.rules import (
    INSTRUMENTS,
    AnswerError,
    interpret_change,
    row_scorer,
    score,
    score_to_json,
)

KOOS_SCALES = {
    "pain": [f"P{i}" for i in range(1, 10)],
    "symptoms": [f"S{i}" for i in range(1, 8)],
    "adl": [f"A{i}" for i in range(1, 18)],
    "sport_rec": [f"SP{i}" for i in range(1, 6)],
    "qol": [f"Q{i}" for i in range(1, 5)],
}
# The KOOS user's guide 2012: items needed for a subscale score.
KOOS_MIN = {"pain": 5, "symptoms": 4, "adl": 9, "sport_rec": 3, "qol": 2}
KOOS4_PARTS = ("pain", "symptoms", "sport_rec", "qol")
IKDC_ITEMS = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"]
IKDC_ITEMS += [f"Q9{c}" for c in "abcdefghi"] + ["Q10"]
LEFS_ITEMS = [f"L{i}" for i in range(1, 21)]


@pytest.fixture(scope="module")
def outcomes(kb: Knowledge) -> OutcomesSettings:
    return kb.outcomes


def full_koos() -> dict[str, int]:
    answers: dict[str, int] = {}
    answers.update(zip(KOOS_SCALES["pain"], [0, 1, 2, 3, 4, 0, 1, 2, 3], strict=True))
    answers.update(dict.fromkeys(KOOS_SCALES["symptoms"], 1))
    answers.update(dict.fromkeys(KOOS_SCALES["adl"], 0))
    answers.update(dict.fromkeys(KOOS_SCALES["sport_rec"], 4))
    answers.update(zip(KOOS_SCALES["qol"], [2, 2, 1, 1], strict=True))
    return answers


# ------------------------------------------------------------------------------------ KOOS


def test_koos_full_response_matches_the_hand_worked_scores(outcomes: OutcomesSettings) -> None:
    result = score("koos", full_koos(), outcomes)
    # Pain: items sum 16 over 9 -> 100 - 25 x 16/9 = 55.55...; Symptoms: mean 1 -> 75;
    # ADL: all 0 -> 100; Sport/Rec: all 4 -> 0; QOL: mean 1.5 -> 62.5.
    assert result.scores["pain"] == pytest.approx(100 - 25 * 16 / 9, abs=1e-12)
    assert result.scores["symptoms"] == 75.0
    assert result.scores["adl"] == 100.0
    assert result.scores["sport_rec"] == 0.0
    assert result.scores["qol"] == 62.5
    # KOOS4 = mean of Pain, Symptoms, Sport/Rec, QOL (Kise 2016); ADL is not part of it.
    assert result.scores["koos4"] == pytest.approx((100 - 25 * 16 / 9 + 75 + 0 + 62.5) / 4)
    assert list(result.scores) == ["pain", "symptoms", "adl", "sport_rec", "qol", "koos4"]
    assert result.valid is True
    assert result.invalid == []
    assert result.missing_items == []


def test_koos_mean_uses_only_the_answered_items(outcomes: OutcomesSettings) -> None:
    answers: dict[str, Any] = full_koos()
    answers["P9"] = None  # null and absent both mean unanswered
    del answers["P8"]
    answers["P1"] = 4
    result = score("koos", answers, outcomes)
    # P1..P7 = 4,1,2,3,4,0,1 -> 15 over 7 answered items.
    assert result.scores["pain"] == pytest.approx(100 - 25 * 15 / 7, abs=1e-12)
    assert result.missing_items == ["P8", "P9"]
    assert result.valid is True


@pytest.mark.parametrize("scale", list(KOOS_SCALES))
def test_each_koos_subscale_needs_half_its_items(scale: str, outcomes: OutcomesSettings) -> None:
    """KOOS user's guide 2012 (koos_scoring_2012): at least 50% of a subscale's items."""
    items = KOOS_SCALES[scale]
    needed = KOOS_MIN[scale]
    others = {i: 1 for s, ids in KOOS_SCALES.items() if s != scale for i in ids}

    at_rule = score("koos", {**others, **dict.fromkeys(items[:needed], 2)}, outcomes)
    assert at_rule.scores[scale] == 50.0
    assert scale not in at_rule.invalid
    assert at_rule.scores["koos4"] is not None

    below = score("koos", {**others, **dict.fromkeys(items[: needed - 1], 2)}, outcomes)
    assert below.scores[scale] is None
    assert scale in below.invalid
    assert below.valid is False
    assert below.missing_items == items[needed - 1 :]
    # KOOS4 is invalid exactly when one of its four subscales is.
    if scale in KOOS4_PARTS:
        assert below.scores["koos4"] is None
        assert below.invalid == [scale, "koos4"]
    else:
        assert below.scores["koos4"] == 75.0
        assert below.invalid == [scale]


def test_an_empty_koos_is_all_invalid_never_scored(outcomes: OutcomesSettings) -> None:
    result = score("koos", {}, outcomes)
    assert result.scores == dict.fromkeys(result.scores)
    assert result.invalid == ["pain", "symptoms", "adl", "sport_rec", "qol", "koos4"]
    assert len(result.missing_items) == 42
    assert result.missing_items[:3] == ["S1", "S2", "S3"]  # form order: Symptoms come first


# ------------------------------------------------------------------------------------ LEFS


def test_lefs_total_is_the_sum(outcomes: OutcomesSettings) -> None:
    answers = {item: (4 if n < 10 else 2) for n, item in enumerate(LEFS_ITEMS)}
    result = score("lefs", answers, outcomes)
    assert result.scores == {"total": 60.0}
    assert result.valid is True


def test_lefs_extremes(outcomes: OutcomesSettings) -> None:
    assert score("lefs", dict.fromkeys(LEFS_ITEMS, 0), outcomes).scores == {"total": 0.0}
    assert score("lefs", dict.fromkeys(LEFS_ITEMS, 4), outcomes).scores == {"total": 80.0}


def test_lefs_with_any_item_missing_is_invalid(outcomes: OutcomesSettings) -> None:
    """No published missing-item rule exists for the LEFS: one gap makes it invalid."""
    answers: dict[str, Any] = dict.fromkeys(LEFS_ITEMS, 3)
    answers["L7"] = None
    result = score("lefs", answers, outcomes)
    assert result.scores == {"total": None}
    assert result.invalid == ["total"]
    assert result.missing_items == ["L7"]
    assert result.valid is False


# ------------------------------------------------------------------------------------ IKDC


def ikdc_worked() -> dict[str, object]:
    return {
        "Q1": 2,
        "Q2": 6,  # reversed: 10 - 6 = 4
        "Q3": 3,  # reversed: 7
        "Q4": 2,
        "Q5": 3,
        "Q6": "yes",  # locking: yes = 0
        "Q7": 4,
        "Q8": 1,
        "Q9a": 3,
        "Q9b": 3,
        "Q9c": 2,
        "Q9d": 2,
        "Q9e": 4,
        "Q9f": 3,
        "Q9g": 1,
        "Q9h": 1,
        "Q9i": 2,
        "Q10": 6,
        "Q10_before": 9,  # accepted, never scored
    }


def test_ikdc_hand_worked_score(outcomes: OutcomesSettings) -> None:
    result = score("ikdc", ikdc_worked(), outcomes)
    # 2 + 4 + 7 + 2 + 3 + 0 + 4 + 1 + (3+3+2+2+4+3+1+1+2 = 21) + 6 = 50 of a maximum 87.
    assert result.scores["score"] == pytest.approx(50 / 87 * 100, abs=1e-12)
    assert result.valid is True
    assert result.missing_items == []


def test_ikdc_before_injury_item_does_not_change_the_score(outcomes: OutcomesSettings) -> None:
    answers = ikdc_worked()
    without = {k: v for k, v in answers.items() if k != "Q10_before"}
    assert score("ikdc", without, outcomes).scores == score("ikdc", answers, outcomes).scores
    assert "Q10_before" not in score("ikdc", without, outcomes).missing_items


def test_ikdc_valid_with_16_of_18_items_invalid_with_15(outcomes: OutcomesSettings) -> None:
    """Irrgang 2001 scoring: the sum of the answered items over their maxima, 16 of 18."""
    sixteen = {k: v for k, v in ikdc_worked().items() if k not in ("Q9h", "Q10")}
    result = score("ikdc", sixteen, outcomes)
    # 50 - 1 (Q9h) - 6 (Q10) = 43 over 87 - 4 - 10 = 73.
    assert result.scores["score"] == pytest.approx(43 / 73 * 100, abs=1e-12)
    assert result.valid is True
    assert result.missing_items == ["Q9h", "Q10"]

    fifteen = {k: v for k, v in sixteen.items() if k != "Q1"}
    result = score("ikdc", fifteen, outcomes)
    assert result.scores == {"score": None}
    assert result.invalid == ["score"]
    assert result.missing_items == ["Q1", "Q9h", "Q10"]


def test_ikdc_pain_items_are_reversed(outcomes: OutcomesSettings) -> None:
    best = {**ikdc_worked(), "Q2": 0}
    worst = {**ikdc_worked(), "Q2": 10}
    high = score("ikdc", best, outcomes).scores["score"]
    low = score("ikdc", worst, outcomes).scores["score"]
    assert high is not None
    assert low is not None
    # Never in pain (0) scores 10 points, constant pain (10) scores none.
    assert high - low == pytest.approx(10 / 87 * 100)
    assert high == pytest.approx((50 - 4 + 10) / 87 * 100)


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        (0, 0),
        (1, 1),
        ("yes", 0),
        ("no", 1),
        ("Yes", 0),
        (" NO ", 1),
        (True, 0),
        (False, 1),
        ("0", 0),
        ("1", 1),
        (1.0, 1),
    ],
)
def test_ikdc_q6_answer_forms(answer: object, points: int, outcomes: OutcomesSettings) -> None:
    answers = {**ikdc_worked(), "Q6": answer}
    result = score("ikdc", answers, outcomes).scores["score"]
    assert result == pytest.approx((50 + points) / 87 * 100)


@pytest.mark.parametrize("bad", ["maybe", 2, -1, 0.5])
def test_ikdc_q6_rejects_other_answers(bad: object, outcomes: OutcomesSettings) -> None:
    with pytest.raises(AnswerError) as info:
        score("ikdc", {**ikdc_worked(), "Q6": bad}, outcomes)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("Q6: ")


def test_ikdc_true_false_only_where_the_item_is_yes_no(outcomes: OutcomesSettings) -> None:
    with pytest.raises(AnswerError) as info:
        score("ikdc", {**ikdc_worked(), "Q1": True}, outcomes)
    assert info.value.problems == ["Q1: expected a whole number, not true/false"]


# ------------------------------------------------------------------------------------ NPRS


def test_nprs_is_the_answer(outcomes: OutcomesSettings) -> None:
    assert score("nprs", {"pain": 7}, outcomes).scores == {"pain": 7.0}
    assert score("nprs", {"PAIN": "0"}, outcomes).scores == {"pain": 0.0}
    missing = score("nprs", {"pain": None}, outcomes)
    assert missing.scores == {"pain": None}
    assert missing.invalid == ["pain"]
    assert missing.missing_items == ["pain"]
    with pytest.raises(AnswerError) as info:
        score("nprs", {"pain": 11}, outcomes)
    assert info.value.problems == ["pain: 11 is out of range 0-10"]


# ------------------------------------------------------------------------------ bad answers


def test_every_bad_answer_is_named_together(outcomes: OutcomesSettings) -> None:
    with pytest.raises(AnswerError) as info:
        score(
            "koos",
            {"P1": 2.5, "P2": "abc", "P3": 5, "Z9": 1, "P4": [1], "P5": "nan"},
            outcomes,
        )
    assert info.value.problems == [
        "P1: expected a whole number, not 2.5",
        "P2: expected a whole number, not 'abc'",
        "P3: 5 is out of range 0-4",
        "unknown item 'Z9'",
        "P4: expected a whole number, not list",
        "P5: expected a whole number, not 'nan'",
    ]


def test_integral_floats_and_numeric_strings_are_accepted(outcomes: OutcomesSettings) -> None:
    as_ints = score("lefs", dict.fromkeys(LEFS_ITEMS, 3), outcomes)
    as_text = score("lefs", dict.fromkeys(LEFS_ITEMS, " 3 "), outcomes)
    as_floats = score("lefs", dict.fromkeys(LEFS_ITEMS, 3.0), outcomes)
    assert as_ints == as_text == as_floats


def test_item_ids_are_case_insensitive_and_reported_canonically(
    outcomes: OutcomesSettings,
) -> None:
    result = score("koos", {"p1": 1, "sp1": 2, "q1": 0}, outcomes)
    assert "P1" not in result.missing_items
    assert "SP1" not in result.missing_items
    assert "P2" in result.missing_items
    with pytest.raises(AnswerError) as info:
        score("koos", {"p1": 1, "P1": 2}, outcomes)
    assert info.value.problems == ["P1: answered twice"]


def test_unknown_instrument(outcomes: OutcomesSettings) -> None:
    with pytest.raises(AnswerError) as info:
        score("womac", {}, outcomes)
    assert "unknown instrument 'womac'" in info.value.problems[0]


def test_json_shape_keeps_full_precision(outcomes: OutcomesSettings) -> None:
    result = score("koos", {"SP1": 3, "SP2": 4, "SP3": 4}, outcomes)
    payload = score_to_json(result)
    assert list(payload) == ["instrument", "valid", "scores", "invalid", "missing_items"]
    assert payload["scores"]["sport_rec"] == 100 / 12  # 8.333..., not rounded
    assert payload["scores"]["pain"] is None
    assert payload["instrument"] == "koos"


# ------------------------------------------------------------------------ interpretation


@pytest.mark.parametrize(
    ("instrument", "scale", "before", "after", "verdict"),
    [
        # KOOS: 10 points (Roos & Lohmander 2003: 8-10; the upper end is used).
        ("koos", "pain", 50, 60, "improved"),
        ("koos", "pain", 50, 59.9, "unchanged"),
        ("koos", "qol", 60, 50, "worse"),
        ("koos", "qol", 60, 50.1, "unchanged"),
        # LEFS: 9 points (Binkley 1999).
        ("lefs", "total", 40, 49, "improved"),
        ("lefs", "total", 40, 48, "unchanged"),
        ("lefs", "total", 40, 31, "worse"),
        # IKDC: 11.5 points (Irrgang 2006).
        ("ikdc", "score", 50, 61.5, "improved"),
        ("ikdc", "score", 50, 61.4, "unchanged"),
        ("ikdc", "score", 50, 38.5, "worse"),
        # NPRS: lower is better; a fall of 2 points or 30% (Farrar 2001).
        ("nprs", "pain", 7, 5, "improved"),
        ("nprs", "pain", 7, 6, "unchanged"),
        ("nprs", "pain", 3, 2, "improved"),  # 1 point is 33% of 3
        ("nprs", "pain", 5, 4, "unchanged"),  # 1 point is 20% of 5
        ("nprs", "pain", 10, 7, "improved"),  # exactly 30% of 10
        ("nprs", "pain", 4, 6, "worse"),
        ("nprs", "pain", 2, 3, "unchanged"),  # a rise counts from 2 points only
        ("nprs", "pain", 0, 0, "unchanged"),
    ],
)
def test_change_verdicts_at_the_mcid(
    instrument: str,
    scale: str,
    before: float,
    after: float,
    verdict: str,
    outcomes: OutcomesSettings,
) -> None:
    change = interpret_change(instrument, scale, before, after, outcomes)
    assert change.verdict == verdict
    assert change.difference == pytest.approx(after - before)
    assert change.source in {"roos_lohmander_2003", "binkley_1999", "irrgang_2006", "farrar_2001"}


def test_nprs_change_reports_the_threshold_that_applied(outcomes: OutcomesSettings) -> None:
    assert interpret_change("nprs", "pain", 3, 2, outcomes).mcid == pytest.approx(0.9)
    assert interpret_change("nprs", "pain", 8, 6, outcomes).mcid == 2
    assert interpret_change("nprs", "pain", 3, 5, outcomes).mcid == 2


def test_change_on_a_scale_without_a_published_mcid_is_refused(
    outcomes: OutcomesSettings,
) -> None:
    with pytest.raises(ValueError, match="no MCID for scale 'koos4'"):
        interpret_change("koos", "koos4", 40, 60, outcomes)
    with pytest.raises(ValueError, match="unknown instrument"):
        interpret_change("womac", "pain", 40, 60, outcomes)


# ------------------------------------------------------------------------------ properties


def answer_sets(items: list[str], top: dict[str, int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={item: st.one_of(st.none(), st.integers(0, top.get(item, 4))) for item in items},
    )


KOOS_ALL = [i for ids in KOOS_SCALES.values() for i in ids]
IKDC_TOP = {"Q2": 10, "Q3": 10, "Q6": 1, "Q10": 10}


@settings(max_examples=200, deadline=None)
@given(answers=answer_sets(KOOS_ALL, {}))
def test_koos_scores_stay_in_range_and_follow_the_half_rule(answers: dict[str, Any]) -> None:
    result = score("koos", answers, default_knowledge().outcomes)
    for scale, items in KOOS_SCALES.items():
        answered = sum(answers.get(i) is not None for i in items)
        value = result.scores[scale]
        assert (value is not None) == (answered >= KOOS_MIN[scale])
        assert value is None or 0 <= value <= 100
    parts_valid = all(result.scores[p] is not None for p in KOOS4_PARTS)
    assert (result.scores["koos4"] is not None) == parts_valid
    assert result.valid == all(v is not None for v in result.scores.values())


@settings(max_examples=200, deadline=None)
@given(answers=answer_sets(IKDC_ITEMS, IKDC_TOP))
def test_ikdc_score_stays_in_range_and_needs_16_items(answers: dict[str, Any]) -> None:
    result = score("ikdc", answers, default_knowledge().outcomes)
    answered = sum(answers.get(i) is not None for i in IKDC_ITEMS)
    value = result.scores["score"]
    assert (value is not None) == (answered >= 16)
    assert value is None or 0 <= value <= 100


@settings(max_examples=100, deadline=None)
@given(answers=answer_sets(LEFS_ITEMS, {}))
def test_lefs_total_stays_in_range_and_needs_every_item(answers: dict[str, Any]) -> None:
    result = score("lefs", answers, default_knowledge().outcomes)
    answered = sum(answers.get(i) is not None for i in LEFS_ITEMS)
    value = result.scores["total"]
    assert (value is not None) == (answered == 20)
    assert value is None or 0 <= value <= 80


@settings(max_examples=100, deadline=None)
@given(answers=answer_sets(KOOS_ALL, {}), order=st.permutations(KOOS_ALL))
def test_csv_row_scoring_agrees_with_single_scoring(
    answers: dict[str, Any], order: list[str]
) -> None:
    """The batch path (text cells, any column order) gives exactly the single-response result."""
    outcomes = default_knowledge().outcomes
    cells = ["" if answers.get(i) is None else str(answers[i]) for i in order]
    assert row_scorer("koos", order, outcomes)(cells) == score("koos", answers, outcomes)


def test_row_scoring_reads_yes_no_and_refuses_bad_cells(outcomes: OutcomesSettings) -> None:
    score_row = row_scorer("ikdc", ["Q6", "Q1"], outcomes)
    assert score_row([True, 4]) == score("ikdc", {"Q6": "yes", "Q1": "4"}, outcomes)
    assert score_row(["  ", " 3.0 "]) == score("ikdc", {"Q1": 3}, outcomes)
    with pytest.raises(AnswerError) as info:
        score_row([[1], True])
    assert info.value.problems == [
        "Q6: expected a whole number, not list",
        "Q1: expected a whole number, not true/false",
    ]
    with pytest.raises(AnswerError) as info:
        row_scorer("ikdc", ["Q6", "q6", "Q99"], outcomes)
    assert info.value.problems == ["Q6: given twice", "unknown item 'Q99'"]


def test_the_four_instruments_are_offered(outcomes: OutcomesSettings) -> None:
    assert INSTRUMENTS == ("koos", "lefs", "ikdc", "nprs")
    assert set(outcomes.instruments) == set(INSTRUMENTS)
