"""Licensed wording: a clinic's file is validated at load, and the wording shown falls back
from the clinic's to the shipped free wording to our neutral labels."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from popliteal.config import load_settings
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.wording import (
    NOT_LOADED,
    WordingError,
    load_wording_dir,
    load_wording_file,
    parse_wording,
    wording_for,
)

EXAMPLE = Path(__file__).parent / "koos_wording_example.yaml"
RunCli = Callable[..., subprocess.CompletedProcess[str]]


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def problems_of(data: Any, kb: Knowledge) -> list[str]:
    with pytest.raises(WordingError) as info:
        parse_wording(data, kb.outcomes, name="clinic.yaml")
    return info.value.problems


def test_the_shipped_example_is_a_valid_koos_wording_file(kb: Knowledge) -> None:
    wording = load_wording_file(EXAMPLE, kb.outcomes)
    assert wording.instrument == "koos"
    assert wording.source == "clinic"
    assert wording.marker is None
    assert [i.id for i in wording.items] == [i.id for i in kb.outcomes.instruments["koos"].items]
    assert all(len(i.options) == 5 for i in wording.items)
    # Made-up placeholders only, never the licensed text.
    assert all(i.text and i.text.startswith("Placeholder") for i in wording.items)


def test_every_item_must_be_present(kb: Knowledge) -> None:
    data = example()
    del data["items"]["P5"]
    del data["items"]["Q4"]
    assert problems_of(data, kb) == ["clinic.yaml: items missing: P5, Q4"]


def test_option_count_must_match_the_answer_range(kb: Knowledge) -> None:
    data = example()
    data["items"]["S3"]["options"] = ["a", "b", "c"]
    assert problems_of(data, kb) == [
        "clinic.yaml: item S3, field options: 3 labels for answers 0-4 (needs 5)"
    ]


def test_unknown_ids_repeats_and_empty_fields_are_named(kb: Knowledge) -> None:
    data = example()
    data["items"]["X1"] = {"text": "x", "options": ["a"] * 5}
    data["items"]["s1"] = data["items"]["S1"]  # S1 again, in other case
    data["items"]["P2"] = {"text": "", "options": ["a"] * 5, "note": "?"}
    assert problems_of(data, kb) == [
        "clinic.yaml: item P2: unknown field 'note'",
        "clinic.yaml: item P2, field text: missing",
        "clinic.yaml: item X1: unknown item for koos",
        "clinic.yaml: item S1: given twice",
    ]


def test_licence_and_instrument_are_required(kb: Knowledge) -> None:
    data = example()
    data["licence"] = {"holder": "Clinic"}
    assert problems_of(data, kb) == ["clinic.yaml: field licence.reference: missing"]
    assert problems_of({**example(), "instrument": "womac"}, kb) == [
        "clinic.yaml: field instrument: expected one of koos, lefs, ikdc, nprs, not 'womac'"
    ]


def test_ikdc_wording_covers_its_ranges(kb: Knowledge) -> None:
    """IKDC items answer 0-4, 0-10 or yes/no: the option counts follow the item."""
    items = {
        item.id: {"text": f"Placeholder {item.id}", "options": ["x"] * (item.max - item.min + 1)}
        for item in kb.outcomes.instruments["ikdc"].items
    }
    data = {"instrument": "ikdc", "licence": {"holder": "C", "reference": "R"}, "items": items}
    wording = parse_wording(data, kb.outcomes, name="ikdc.yaml")
    counts = {i.id: len(i.options) for i in wording.items}
    assert (counts["Q1"], counts["Q2"], counts["Q6"], counts["Q10_before"]) == (5, 11, 2, 11)
    items["Q6"]["options"] = ["yes", "no", "maybe"]
    assert problems_of(data, kb) == [
        "clinic.yaml: item Q6, field options: 3 labels for answers 0-1 (needs 2)"
    ]


def test_a_file_that_is_not_yaml_or_not_there(kb: Knowledge, tmp_path: Path) -> None:
    bad = tmp_path / "koos.yaml"
    bad.write_text("instrument: [koos\n", encoding="utf-8")
    with pytest.raises(WordingError, match="not valid YAML"):
        load_wording_file(bad, kb.outcomes)
    with pytest.raises(WordingError, match="no such file"):
        load_wording_file(tmp_path / "none.yaml", kb.outcomes)


def test_wording_shown_falls_back_from_clinic_to_shipped_to_labels(kb: Knowledge) -> None:
    koos = wording_for("koos", kb.outcomes)
    assert koos.source == "labels"
    assert koos.marker == NOT_LOADED
    assert all(i.text is None and i.options == () for i in koos.items)
    assert koos.items[0].label == "knee swelling"

    lefs = wording_for("lefs", kb.outcomes)
    assert lefs.source == "shipped"
    assert lefs.marker is None
    assert lefs.items[11].text == "Walking a mile."
    assert lefs.items[0].options[0] == "Extreme difficulty or unable to perform activity"
    assert wording_for("nprs", kb.outcomes).items[0].options[-1].startswith("10")
    assert wording_for("ikdc", kb.outcomes).marker == NOT_LOADED

    clinic = {"koos": load_wording_file(EXAMPLE, kb.outcomes)}
    assert wording_for("koos", kb.outcomes, clinic).source == "clinic"
    assert wording_for("ikdc", kb.outcomes, clinic).source == "labels"


def test_a_wording_folder_loads_one_file_per_instrument(kb: Knowledge, tmp_path: Path) -> None:
    (tmp_path / "koos.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    assert list(load_wording_dir(tmp_path, kb.outcomes)) == ["koos"]
    (tmp_path / "koos-copy.yml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(WordingError, match="a second wording for koos"):
        load_wording_dir(tmp_path, kb.outcomes)
    with pytest.raises(WordingError, match="is not a folder"):
        load_wording_dir(tmp_path / "koos.yaml", kb.outcomes)


def test_the_wording_folder_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POPLITEAL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POPLITEAL_SECRET_KEY", "test-secret")
    monkeypatch.delenv("POPLITEAL_WORDING_DIR", raising=False)
    assert load_settings().wording_dir is None
    monkeypatch.setenv("POPLITEAL_WORDING_DIR", str(tmp_path / "wording"))
    assert load_settings().wording_dir == tmp_path / "wording"


def test_check_wording_command(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("outcomes", "check-wording", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "ok: koos wording for 42 items" in done.stdout

    data = example()
    data["items"]["A7"]["options"] = ["only one"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run_cli("outcomes", "check-wording", str(broken))
    assert (done.returncode, done.stdout) == (2, "")
    assert "item A7, field options: 1 labels for answers 0-4 (needs 5)" in " ".join(
        done.stderr.split()
    )


def test_a_broken_wording_folder_stops_the_app_at_start(tmp_path: Path) -> None:
    from popliteal.config import Settings
    from popliteal.server import create_app

    folder = tmp_path / "wording"
    folder.mkdir()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        secret_key="test-secret-key",
        var_dir=tmp_path,
        secure_cookies=False,
        login_max_failures_account=5,
        login_max_failures_address=20,
        login_window_minutes=15,
        session_hours=12,
        wording_dir=folder,
    )
    (folder / "koos.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    app = create_app(settings)
    assert app.state.outcome_wording["koos"].licence_holder.startswith("Example Knee Clinic")
    app.state.engine.dispose()

    data = example()
    del data["items"]["P3"]["text"]
    (folder / "koos.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(WordingError) as info:
        create_app(settings)
    message = str(info.value)
    assert f"POPLITEAL_WORDING_DIR {folder}" in message
    assert f"{folder / 'koos.yaml'}: item P3, field text: missing" in message


def test_serve_refuses_a_broken_wording_folder_before_starting(tmp_path: Path) -> None:
    """`popliteal serve` stops with exit 2 naming file, item and field, and serves nothing."""
    folder = tmp_path / "wording"
    folder.mkdir()
    (folder / "koos.yaml").write_text(
        "instrument: koos\nlicence: {holder: x, reference: y}\nitems: {P3: {options: [a]}}\n"
    )
    env = {
        **os.environ,
        "POPLITEAL_WORDING_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
        "POPLITEAL_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "popliteal", "serve", "--no-migrate", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "koos.yaml: item P3, field text: missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "never.db").exists()
