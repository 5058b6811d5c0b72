"""outcomes.yaml: the instruments load as published, every rule is cited, licensed wording is
never shipped, and a broken file is refused naming what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from tests.knowledge.editing import edited_copy, problems_of


def broken(tmp_path: Path, edit: Callable[[Any], None]) -> Path:
    return edited_copy(tmp_path, "outcomes.yaml", edit)


def test_koos_items_scales_and_the_2012_missing_data_rule(kb: Knowledge) -> None:
    koos = kb.outcomes.instruments["koos"]
    ids = [item.id for item in koos.items]
    assert len(ids) == 42
    assert ids[:7] == [f"S{i}" for i in range(1, 8)]  # form order: Symptoms first
    assert ids[-4:] == ["Q1", "Q2", "Q3", "Q4"]
    rule = {s.key: (len(s.items), s.min_answered.value) for s in koos.scales}
    assert rule == {
        "pain": (9, 5),
        "symptoms": (7, 4),
        "adl": (17, 9),
        "sport_rec": (5, 3),
        "qol": (4, 2),
    }
    assert {s.min_answered.source for s in koos.scales} == {"koos_scoring_2012"}
    assert [(c.key, c.mean_of) for c in koos.composites] == [
        ("koos4", ["pain", "symptoms", "sport_rec", "qol"])
    ]
    assert all((item.min, item.max) == (0, 4) for item in koos.items)


def test_ikdc_items_reversal_and_unscored_item(kb: Knowledge) -> None:
    ikdc = kb.outcomes.instruments["ikdc"]
    by_id = {item.id: item for item in ikdc.items}
    assert [i for i, item in by_id.items() if item.reversed] == ["Q2", "Q3"]
    assert [i for i, item in by_id.items() if item.yes_no] == ["Q6"]
    assert [i for i, item in by_id.items() if not item.scored] == ["Q10_before"]
    (scale,) = ikdc.scales
    assert (len(scale.items), scale.min_answered.value) == (18, 16)
    assert sum(by_id[i].max for i in scale.items) == 87  # the form's raw maximum


def test_mcids_and_their_sources(kb: Knowledge) -> None:
    found = {
        name: {(m.scale, m.points, m.percent, m.source) for m in inst.mcid}
        for name, inst in kb.outcomes.instruments.items()
    }
    assert found["lefs"] == {("total", 9, None, "binkley_1999")}
    assert found["ikdc"] == {("score", 11.5, None, "irrgang_2006")}
    assert found["nprs"] == {("pain", 2, 30, "farrar_2001")}
    assert {m[0] for m in found["koos"]} == {"pain", "symptoms", "adl", "sport_rec", "qol"}
    assert {m[3] for m in found["koos"]} == {"roos_lohmander_2003"}
    # Sources we could not read in full are marked recalled, never passed off as found.
    assert kb.sources["farrar_2001"].kind == "found"
    assert kb.sources["koos_scoring_2012"].kind == "found"
    for key in ("roos_lohmander_2003", "binkley_1999", "irrgang_2006", "irrgang_2001"):
        assert kb.sources[key].kind == "recalled"


def test_wording_ships_only_for_free_instruments(kb: Knowledge) -> None:
    instruments = kb.outcomes.instruments
    for name in ("koos", "ikdc"):
        assert instruments[name].licence.free is False
        assert all(item.text is None and not item.options for item in instruments[name].items)
        assert instruments[name].stem is None
    assert "Mapi Research Trust" in instruments["koos"].licence.holder
    assert "AOSSM" in instruments["ikdc"].licence.holder
    for name in ("lefs", "nprs"):
        assert instruments[name].licence.free is True
        assert all(item.text and item.options for item in instruments[name].items)
    assert len(instruments["lefs"].items) == 20


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["instruments"]["lefs"]["mcid"][0]["source"] = "nobody_2031"

    assert problems_of(broken(tmp_path, edit)) == [
        "outcomes.yaml: lefs, mcid total: source 'nobody_2031' is not in sources.yaml"
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["instruments"]["koos"]["scales"][0]["min_answered"].update(value=10),
            "min_answered 10 is more than its 9 items",
        ),
        (
            lambda d: d["instruments"]["lefs"]["items"][0].update(options=["a", "b"]),
            "item L1: 2 options for answers 0-4 (needs 5)",
        ),
        (
            lambda d: d["instruments"]["koos"]["items"][0].update(text="licensed words"),
            "licensed wording must not be shipped",
        ),
        (
            lambda d: d["instruments"]["ikdc"]["scales"][0]["items"].append("Q11"),
            "scale score: unknown item 'Q11'",
        ),
        (
            lambda d: d["instruments"]["koos"]["composites"][0]["mean_of"].append("nope"),
            "composite koos4: unknown scale nope",
        ),
        (lambda d: d["instruments"].pop("nprs"), "instruments missing: nprs"),
        (
            lambda d: d["instruments"]["koos"]["items"].append(
                {"id": "s1", "label": "x", "max": 4}
            ),
            "item ids must be unique (case-insensitively)",
        ),
        (
            lambda d: d["instruments"]["koos"]["scales"][0].update(
                min_answered={"value": 5, "source": None}
            ),
            "give exactly one of 'source'",
        ),
    ],
)
def test_a_broken_outcomes_file_is_refused(
    edit: Callable[[Any], None], message: str, tmp_path: Path
) -> None:
    found = problems_of(broken(tmp_path, edit))
    assert len(found) == 1
    assert found[0].startswith("outcomes.yaml: ")
    assert message in found[0]
