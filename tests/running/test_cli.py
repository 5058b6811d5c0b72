"""`popliteal load` run as a process, as a runner or a clinician would run it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import MILE_KM
from popliteal.running import report_json, rules
from tests.running.fixtures import (
    DEFAULT_START,
    daily_csv,
    daily_json,
    gpx_bytes,
    route,
    sample_fit,
    sample_gpx,
    sample_tcx,
)

Run = Callable[..., CompletedProcess[str]]
CONTRACT_KEYS = {
    "unit",
    "weekly_totals",
    "week_over_week_change_pct",
    "acwr_rolling",
    "acwr_ewma",
    "longest_run_spike_pct",
    "surface_share",
    "flags",
}
# 21 days of 3 km, then a week of 10 km every other day: a sudden build-up.
BUILD_UP = [3.0] * 21 + [10.0, 0.0, 10.0, 0.0, 10.0, 0.0, 10.0]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def load_json(run_cli: Run, *args: str | Path) -> dict[str, Any]:
    proc = run_cli("load", *map(str, args), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def flag_ids(out: dict[str, Any]) -> list[str]:
    return [f["id"] for f in out["flags"]]


def test_json_is_the_contract_and_the_rules_own_report(
    run_cli_process: Run, tmp_path: Path, kb: Knowledge
) -> None:
    out = load_json(run_cli_process, write(tmp_path, "build_up.json", daily_json(BUILD_UP)))
    assert set(out) >= CONTRACT_KEYS
    for flag in out["flags"]:
        assert set(flag) == {"id", "message", "source"}
        assert flag["source"] in kb.sources or flag["source"] == "expert_judgement"
    # exactly what the pure rules give for the same days (the JSON's last entry is `today`)
    today = date.fromisoformat(out["today"])
    first = today - timedelta(days=len(BUILD_UP) - 1)
    runs = [
        rules.Run(day=first + timedelta(days=i), distance_km=km)
        for i, km in enumerate(BUILD_UP)
        if km
    ]
    expected = report_json.report_to_json(
        rules.load_report(runs, today=today, settings=kb.running, unit="km", start=first)
    )
    assert out == expected


def test_a_build_up_from_daily_json_gives_the_values_worked_by_hand(
    run_cli: Run, tmp_path: Path
) -> None:
    out = load_json(
        run_cli, write(tmp_path, "build_up.json", daily_json(BUILD_UP)), "--today", "2025-04-27"
    )
    assert out["unit"] == "km"
    assert out["today"] == "2025-04-27"
    assert out["days"] == 28
    # four 7-day blocks ending on the last day: 3 x 7 = 21 three times, then 4 x 10 = 40
    assert out["weekly_totals"] == pytest.approx([21, 21, 21, 40])
    # (40 - 21) / 21 = +90.48 %
    assert out["week_over_week_change_pct"] == pytest.approx(1900 / 21)
    # acute 40/7 per day, chronic (63 + 40)/28 per day: 40/7 * 28/103 = 160/103 = 1.553
    assert out["acwr_rolling"] == pytest.approx(160 / 103)
    # EWMA seeded with 3 and flat for 21 days; then acute (lambda 1/4) over 10,0,10,0,10,0,10:
    # 4.75, 3.5625, 5.171875, 3.87890625, 5.40917969, 4.05688477, 5.54266357 = 90811/16384;
    # chronic (lambda 2/29): 101/29, 2727/841, ... = 70276930409/17249876309 = 4.07405;
    # ratio 1.36048
    assert out["acwr_ewma"] == pytest.approx(
        (90811 / 16384) / (70276930409 / 17249876309), rel=1e-12
    )
    # the longest run of the last 7 days (10 km, the first of them) against the longest of
    # the 30 days before (3 km): (10 - 3) / 3 = +233.3 %
    assert out["longest_run_spike_pct"] == pytest.approx(700 / 3)
    # no surface given: all of it is unknown
    assert out["surface_share"]["unknown"] == 1.0
    assert flag_ids(out) == [
        "weekly_over_limit",  # 40 km > 24.14 km (15 mi) and 90% over the usual 21 km a week
        "run_spike_100",  # +233 % > 100 %
        "weekly_increase_over_30",  # +90 % > 30 %
        "acwr_over_1_5",  # rolling 1.55 > 1.5 (the EWMA's 1.36 is not)
    ]
    over = out["flags"][0]
    assert "40 km in the last 7 days" in over["message"]
    assert "about 90% more than your usual week (21 km)" in over["message"]
    assert over["source"] == "expert_judgement"
    assert out["symptomatic"] is None
    assert "about 1.6 times your usual running" in out["flags"][3]["message"]
    assert "EWMA" not in out["flags"][3]["message"]


def test_steady_running_gives_ratios_of_one_and_no_flags(run_cli: Run, tmp_path: Path) -> None:
    """28 days of 3 km: 21 km a week (under 24.14 km), every week alike."""
    out = load_json(run_cli, write(tmp_path, "steady.json", daily_json([3.0] * 28)))
    assert out["weekly_totals"] == pytest.approx([21, 21, 21, 21])
    assert out["week_over_week_change_pct"] == pytest.approx(0)
    assert out["acwr_rolling"] == pytest.approx(1)
    assert out["acwr_ewma"] == pytest.approx(1)
    assert out["longest_run_spike_pct"] == pytest.approx(0)
    assert out["flags"] == []


def test_a_daily_file_in_miles_reports_in_miles_unless_told_otherwise(
    run_cli: Run, tmp_path: Path
) -> None:
    """16 mi a week is over the seed's 15 miles a week; 16 mi = 25.749504 km."""
    week = [4.0, 0.0, 4.0, 0.0, 4.0, 0.0, 4.0]
    path = write(tmp_path, "miles.json", daily_json(week, unit="mi"))
    miles = load_json(run_cli, path)
    assert miles["unit"] == "mi"
    assert miles["weekly_totals"] == pytest.approx([16])
    assert "16 mi in the last 7 days, above 15 mi a week" in miles["flags"][0]["message"]
    km = load_json(run_cli, path, "--unit", "km")
    assert km["unit"] == "km"
    assert km["weekly_totals"] == pytest.approx([16 * MILE_KM])
    assert "25.75 km in the last 7 days, above 24.14 km a week" in km["flags"][0]["message"]
    # the ratios do not depend on the unit
    assert km["acwr_ewma"] == pytest.approx(miles["acwr_ewma"])


def test_csv_days_left_out_are_days_without_running(run_cli: Run, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "days.csv",
        daily_csv([("2025-03-01", "5"), ("2025-03-03", "6"), ("2025-03-10", "8")]),
    )
    out = load_json(run_cli, path)
    # 1 to 10 March: the last day with data is today; blocks 1-3 March (5 + 6) and 4-10 (8)
    assert out["today"] == "2025-03-10"
    assert out["days"] == 10
    assert out["daily"] == [5, 0, 6, 0, 0, 0, 0, 0, 0, 8]
    assert out["weekly_totals"] == pytest.approx([11, 8])
    assert out["week_over_week_change_pct"] is None  # needs two full weeks
    assert out["acwr_rolling"] is None  # needs 28 days
    # 8 km on 10 March against the longest of the 30 days before, 6 km: +33.3 %
    assert out["longest_run_spike_pct"] == pytest.approx(100 / 3)
    assert flag_ids(out) == ["run_spike_30"]
    # two more days without running: blocks 1-5 March (11) and 6-12 March (8)
    later = load_json(run_cli, path, "--today", "2025-03-12")
    assert later["days"] == 12
    assert later["weekly_totals"] == pytest.approx([11, 8])


def test_gpx_tcx_and_fit_runs_are_read_and_added_up(run_cli: Run, tmp_path: Path) -> None:
    gpx = write(tmp_path, "monday.gpx", sample_gpx(5.0, start=DEFAULT_START))
    tcx = write(tmp_path, "wednesday.tcx", sample_tcx(8.0, start=DEFAULT_START + timedelta(2)))
    fit = write(tmp_path, "friday.fit", sample_fit(6.0, start=DEFAULT_START + timedelta(4)))
    out = load_json(run_cli, gpx, tcx, fit)
    # 3 to 7 March 2025: the last day with data is the Friday run's
    assert out["today"] == "2025-03-07"
    assert out["days"] == 5
    daily = out["daily"]
    assert math.isclose(daily[0], 5.0, rel_tol=0.01)  # measured along the GPX track
    assert daily[1:] == pytest.approx([0, 8.0, 0, 6.0])  # the TCX and FIT devices' distances
    assert math.isclose(out["weekly_totals"][0], 19.0, rel_tol=0.01)
    # 8 km on Wednesday against 5 km on Monday: +60 %
    assert math.isclose(out["longest_run_spike_pct"], 60.0, rel_tol=0.02)
    assert flag_ids(out) == ["run_spike_30"]


def test_a_file_given_twice_and_a_run_exported_twice_count_once(
    run_cli: Run, tmp_path: Path
) -> None:
    gpx = write(tmp_path, "run.gpx", sample_gpx(5.0))
    copy = write(tmp_path, "copy of run.gpx", sample_gpx(5.0))
    fit = write(tmp_path, "run.fit", sample_fit(5.0))  # the same run, from the watch
    once = load_json(run_cli, gpx)
    proc = run_cli("load", str(gpx), str(gpx), str(copy), str(fit), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == once
    assert "run.gpx: given twice; counted once" in proc.stderr
    assert "the same file as" in proc.stderr
    assert "run.fit: the same run as" in proc.stderr


def test_surface_applies_to_every_run_given(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "steady.json", daily_json([3.0] * 28))
    out = load_json(run_cli, path, "--surface", "road_or_concrete")
    assert out["surface_share"]["road_or_concrete"] == 1.0
    assert out["surface_share"]["unknown"] == 0.0
    assert flag_ids(out) == ["mostly_hard_surface"]  # symptoms unknown: assumed


def test_readable_output_has_weeks_ratios_flags_sources_and_the_disclaimer(
    run_cli: Run, tmp_path: Path
) -> None:
    path = write(tmp_path, "build_up.json", daily_json(BUILD_UP))
    proc = run_cli("load", str(path), "--today", "2025-04-27")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # Rich wraps lines to the terminal width
    assert "2025-04-21 to 2025-04-27" in text  # the last block
    assert "40.00" in text
    assert "+90.5%" in text
    assert "1.55" in text
    assert "1.36" in text
    assert "+233.3%" in text
    for flag_id in ("weekly_over_limit", "run_spike_100", "weekly_increase_over_30"):
        assert flag_id in text
    # 40 km against a usual week of 21 km: flagged by the rise over the usual week
    assert "(source: expert_judgement)" in text
    assert "(source: gabbett_2016)" in text
    assert text.rstrip().endswith("call your local emergency number.")
    assert "decision support, not a diagnosis" in text


def test_a_short_history_says_why_ratios_are_missing(run_cli: Run, tmp_path: Path) -> None:
    proc = run_cli("load", str(write(tmp_path, "short.json", daily_json([5.0, 0.0, 5.0]))))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "not available" in text
    assert "chronic window incomplete: 3 of 28 days" in text
    assert "Flags: none" in text


# ---------------------------------------------------------------------------------------------
# Bad input: a message naming the file (or option) and the problem, nothing on stdout, exit 2.

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<gpx><trk><name>&lol3;</name></trk></gpx>
"""


def _future_gpx() -> bytes:
    return gpx_bytes(route(50, 10.0, start=datetime.now(UTC) + timedelta(days=10)))


BAD_FILES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "empty": ("empty.gpx", lambda: b"", "is empty"),
    "not_gps": ("notes.txt", lambda: b"just some notes\n", "is not a GPS file"),
    "other_xml": ("page.gpx", lambda: b"<html><body/></html>", "XML of another kind"),
    "truncated_gpx": ("cut.gpx", lambda: sample_gpx(1.0)[:-400], "truncated"),
    "truncated_fit": ("cut.fit", lambda: sample_fit(1.0)[:-200], "truncated"),
    "entities": ("laughs.gpx", lambda: BILLION_LAUGHS, "entit"),
    "future": ("later.gpx", _future_gpx, "in the future"),
    "bad_json": ("days.json", lambda: b'{"unit": "km", "daily": [5, ', "not valid JSON"),
    "json_unit": ("days.json", lambda: b'{"unit": "yards", "daily": [5]}', "unit must be"),
    "json_not_number": ("days.json", lambda: b'{"unit": "km", "daily": ["x"]}', "not a number"),
    "json_negative": ("days.json", lambda: b'{"unit": "km", "daily": [5, -1]}', "negative"),
    "json_absurd": ("days.json", lambda: b'{"unit": "km", "daily": [5000]}', "not believable"),
    "csv_header": ("days.csv", lambda: b"date,km\n2025-03-01,5\n", "header"),
    "csv_date": ("days.csv", lambda: b"date,distance_km\n01/03/2025,5\n", "not a date"),
    "csv_future": ("days.csv", lambda: b"date,distance_km\n2999-01-01,5\n", "in the future"),
    "not_utf8": ("days.csv", lambda: b"date,distance_km\n2025-03-01,\xff\xfe\n", "UTF-8"),
}


def assert_refused(proc: CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    message = " ".join(proc.stderr.split())
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_by_name(run_cli: Run, tmp_path: Path, case: str) -> None:
    name, make, problem = BAD_FILES[case]
    path = write(tmp_path, name, make())
    good = write(tmp_path, "good.gpx", sample_gpx(5.0))
    assert_refused(run_cli("load", str(good), str(path), "--json"), name, problem)


def test_a_missing_file_is_refused_by_name(run_cli: Run, tmp_path: Path) -> None:
    assert_refused(run_cli("load", str(tmp_path / "nowhere.gpx")), "nowhere.gpx", "no such file")


def test_a_folder_is_refused(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    assert_refused(run_cli("load", str(tmp_path / "runs")), "runs", "is a folder")


def test_an_unreadable_file_is_refused(run_cli: Run, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write(tmp_path, "secret.gpx", sample_gpx(1.0))
    path.chmod(0)
    assert_refused(run_cli("load", str(path)), "secret.gpx", "cannot read")


def test_a_file_over_25_mb_is_refused_by_its_size_unread(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "huge.gpx"
    with path.open("wb") as sparse:  # a hole: no 25 MB written, and nothing worth reading
        sparse.truncate(25 * 1024 * 1024 + 1)
    assert_refused(run_cli("load", str(path), "--json"), "huge.gpx", "larger than the 25 MB limit")
    exact = tmp_path / "exactly.json"
    with exact.open("wb") as sparse:  # at the limit it is read (and then found not to be JSON)
        sparse.truncate(25 * 1024 * 1024)
    at_limit = run_cli("load", str(exact))
    assert_refused(at_limit, "exactly.json")
    assert "limit" not in at_limit.stderr


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--unit", "furlongs", "--unit must be km or mi"),
        ("--surface", "sand", "--surface must be one of road_or_concrete"),
        ("--today", "31/03/2025", "--today must be a date like 2025-03-31"),
        ("--today", "2025-02-01", "is before the first day with data (2025-03-03)"),
    ],
)
def test_a_bad_option_is_refused(
    run_cli: Run, tmp_path: Path, option: str, value: str, problem: str
) -> None:
    path = write(tmp_path, "run.gpx", sample_gpx(5.0))
    assert_refused(run_cli("load", str(path), option, value, "--json"), problem)


def test_no_file_at_all_is_a_usage_error(run_cli: Run) -> None:
    proc = run_cli("load", "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
