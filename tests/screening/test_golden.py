"""The engine says today what it said when the golden file was made (tests/screening/golden.py):
the same urgency, fired rules, order of causes, next questions and safety lists, and the same
probabilities to 1e-9. A speed-up must pass this unchanged."""

from __future__ import annotations

import math
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.screening.engine import screen
from tests.screening.golden import inputs, load, summary

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return load()


def test_every_golden_screening_is_unchanged(kb: Knowledge, golden: dict[str, Any]) -> None:
    # The knowledge version may move without the screening moving (wording of questionnaires,
    # plans): the outputs below decide. A change of screening content fails them, by label.
    expected = golden["screens"]
    seen = []
    for label, answers, role, asked in inputs(kb):
        seen.append(label)
        got = summary(screen(kb, answers, role=role, asked_once=asked))
        want = expected[label]
        probabilities = got.pop("p"), want["p"]
        assert got == {k: v for k, v in want.items() if k != "p"}, label
        assert all(
            math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)
            for a, b in zip(*probabilities, strict=True)
        ), label
    assert sorted(seen) == sorted(expected)
    assert len(seen) > 800
