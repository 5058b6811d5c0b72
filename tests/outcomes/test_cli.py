"""`popliteal score INSTRUMENT FILE [--json]` as a user runs it: the JSON and CSV contracts,
and exit 2 with nothing on stdout for bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import batch

RunCli = Callable[..., subprocess.CompletedProcess[str]]
LEFS_ALL_3 = {f"L{i}": 3 for i in range(1, 21)}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_response_with_json_output(run_cli: RunCli, tmp_path: Path) -> None:
    answers = {"SP1": 3, "sp2": "4", "SP3": 4.0, "P1": None, "Q1": 2, "Q2": 2}
    path = write(tmp_path, "answers.json", json.dumps(answers))
    done = run_cli("score", "koos", str(path), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert list(payload) == ["instrument", "valid", "scores", "invalid", "missing_items"]
    assert payload["instrument"] == "koos"
    assert payload["valid"] is False
    assert payload["scores"] == {
        "pain": None,
        "symptoms": None,
        "adl": None,
        "sport_rec": 100 / 12,  # full precision: 8.333333333333334
        "qol": 50.0,
        "koos4": None,
    }
    assert payload["invalid"] == ["pain", "symptoms", "adl", "koos4"]
    assert payload["missing_items"][:2] == ["S1", "S2"]
    assert "SP1" not in payload["missing_items"]
    assert "P1" in payload["missing_items"]


def test_json_response_as_a_readable_table(run_cli: RunCli, tmp_path: Path) -> None:
    answers = {f"Q9{c}": 4 for c in "abcdefghi"}
    answers.update({"Q1": 4, "Q2": 0, "Q3": 0, "Q4": 4, "Q5": 4, "Q7": 4, "Q8": 3})
    path = write(tmp_path, "ikdc.json", json.dumps({**answers, "Q6": "no"}))
    done = run_cli("score", "IKDC", str(path))
    assert done.returncode == 0, done.stderr
    assert "IKDC" in done.stdout
    # 16 of 18 answered (Q10 missing): (87 - 10 - 1) / (87 - 10) x 100 = 98.70..., one decimal.
    assert "98.7" in done.stdout
    assert "missing items: Q10" in done.stdout
    assert "not a diagnosis" in done.stdout


def test_the_table_marks_an_invalid_score(run_cli: RunCli, tmp_path: Path) -> None:
    path = write(tmp_path, "lefs.json", json.dumps({**LEFS_ALL_3, "L20": None}))
    done = run_cli("score", "lefs", str(path))
    assert done.returncode == 0, done.stderr
    assert "not scored" in done.stdout
    assert "60.0" not in done.stdout


def test_csv_gives_a_csv_of_scores(run_cli_process: RunCli, tmp_path: Path) -> None:
    header = ",".join(f"L{i}" for i in range(1, 21))
    full = ",".join(["4"] * 10 + ["2"] * 10)
    gap = ",".join(["3"] * 19 + [""])
    path = write(tmp_path, "lefs.csv", f"id,{header}\np1,{full}\np2,{gap}\n")
    done = run_cli_process("score", "lefs", str(path))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["id", "valid", "total", "invalid", "missing_items"]
    assert rows[0] == {
        "id": "p1",
        "valid": "true",
        "total": "60.0",
        "invalid": "",
        "missing_items": "",
    }
    assert rows[1] == {
        "id": "p2",
        "valid": "false",
        "total": "",
        "invalid": "total",
        "missing_items": "L20",
    }


def test_csv_without_id_and_with_json_output(run_cli: RunCli, tmp_path: Path) -> None:
    path = write(tmp_path, "pain.csv", "pain\n7\n\n3\n")
    done = run_cli("score", "nprs", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"instrument": "nprs", "valid": True, "scores": {"pain": 7.0}, "invalid": []}
        | {"missing_items": []},
        {"instrument": "nprs", "valid": True, "scores": {"pain": 3.0}, "invalid": []}
        | {"missing_items": []},
    ]
    plain = run_cli("score", "nprs", str(path))
    assert plain.stdout.splitlines() == [
        "valid,pain,invalid,missing_items",
        "true,7.0,,",
        "true,3.0,,",
    ]


def test_csv_with_json_output_carries_the_id(run_cli: RunCli, tmp_path: Path) -> None:
    path = write(tmp_path, "koos.csv", "ID,SP1,SP2,SP3\nabc,0,0,0\n")
    done = run_cli("score", "koos", str(path), "--json")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert list(row)[:2] == ["id", "instrument"]
    assert row["id"] == "abc"
    assert row["scores"]["sport_rec"] == 100.0


def test_format_is_chosen_by_content_without_an_extension(run_cli: RunCli, tmp_path: Path) -> None:
    as_json = write(tmp_path, "answers", '  {"pain": 4}')
    as_csv = write(tmp_path, "answers-table", "pain\n4\n")
    assert json.loads(run_cli("score", "nprs", str(as_json), "--json").stdout)["scores"] == {
        "pain": 4.0
    }
    assert run_cli("score", "nprs", str(as_csv)).stdout.splitlines()[1] == "true,4.0,,"


@pytest.mark.parametrize(
    ("instrument", "name", "text", "message"),
    [
        ("womac", "a.json", "{}", "unknown instrument 'womac'"),
        ("koos", "a.json", '{"P1": 5, "X1": 1}', "unknown item 'X1'"),
        ("koos", "a.csv", "id,P1,P2\nx1,1,2\nx2,1,9\n", "row 2 (id x2): P2: 9 is out of range 0-4"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    instrument: str, name: str, text: str, message: str, run_cli: RunCli, tmp_path: Path
) -> None:
    path = write(tmp_path, name, text)
    done = run_cli("score", instrument, str(path), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("instrument", "name", "text", "problems"),
    [
        (
            "koos",
            "a.json",
            '{"P1": 5, "X1": 1}',
            ["P1: 5 is out of range 0-4", "unknown item 'X1'"],
        ),
        ("lefs", "a.json", '{"L1": 2.5}', ["L1: expected a whole number, not 2.5"]),
        ("nprs", "a.json", "[1, 2]", ["expected a JSON object of item id -> answer"]),
        ("koos", "a.csv", "P1,P2\n1,2\nz,1\n", ["row 2: P1: expected a whole number, not 'z'"]),
        ("koos", "a.csv", "P1,Pain\n1,2\n", ["header: unknown item 'Pain'"]),
        ("koos", "a.csv", "P1,p1\n1,2\n", ["header: P1: given twice"]),
        ("koos", "a.csv", "P1,P2\n1\n", ["row 1: 1 cells, the header has 2"]),
        ("koos", "a.csv", "", ["empty CSV: expected a header row of item ids"]),
        ("ikdc", "a.csv", "Q6\nmaybe\n", ["row 1: Q6: expected a whole number, not 'maybe'"]),
    ],
)
def test_batch_problems_name_the_file_row_and_item(
    instrument: str, name: str, text: str, problems: list[str], kb: Knowledge, tmp_path: Path
) -> None:
    """The same checks the command runs, in-process (the CLI prints these and exits 2)."""
    path = write(tmp_path, name, text)
    with pytest.raises(batch.BatchError) as info:
        batch.score_file(path, instrument, kb.outcomes)
    assert info.value.problems == [f"{path}: {p}" for p in problems]


def test_batch_accepts_yes_no_blank_and_spaced_cells(kb: Knowledge, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Q6,Q1\nyes,4\n , 2 \nNO,\n")
    rows = batch.score_file(path, "ikdc", kb.outcomes).rows
    assert [r.result.missing_items[:2] for r in rows] == [
        ["Q2", "Q3"],
        ["Q2", "Q3"],
        ["Q1", "Q2"],
    ]
    assert all(r.id is None for r in rows)


def test_a_bad_wholly_wrong_file_stops_early_and_summarises(kb: Knowledge, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "P1\n" + "9\n" * 5000)
    with pytest.raises(batch.BatchError) as info:
        batch.score_file(path, "koos", kb.outcomes)
    assert len(info.value.problems) < 5000
    assert "more problems" in str(info.value)


def test_an_unreadable_file_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("score", "koos", str(tmp_path / "nowhere.csv"))
    assert (done.returncode, done.stdout) == (2, "")
    assert "no such file" in done.stderr
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\xff\xfe\x00P1\n")
    done = run_cli("score", "koos", str(binary))
    assert (done.returncode, done.stdout) == (2, "")
    assert "not UTF-8" in done.stderr


def test_an_id_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """OWASP CSV injection: an id starting with =, +, - or @ gets a leading quote in the CSV."""
    path = write(tmp_path, "pain.csv", 'id,pain\n"=HYPERLINK(""x"")",7\n@SUM(1),3\nplain,2\n')
    done = run_cli("score", "nprs", str(path))
    assert done.returncode == 0, done.stderr
    ids = [row[0] for row in csv.reader(io.StringIO(done.stdout))][1:]
    assert ids == ['\'=HYPERLINK("x")', "'@SUM(1)", "plain"]
