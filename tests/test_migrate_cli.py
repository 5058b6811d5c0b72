"""`popliteal db upgrade` and `popliteal demo load` from a fresh directory, as `make run` does."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "popliteal", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": "", **(env or {})},
    )


TABLES = (
    *("clinics", "users", "patients", "appointment_types", "appointments", "screenings"),
    *("care_plans", "care_plan_versions", "session_logs", "pain_logs", "activities"),
    *("questionnaire_responses", "range_of_motion", "outcome_alerts", "discharges"),
)


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        found = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    conn.close()
    return found


def test_upgrade_then_demo_twice_makes_one_demo_clinic_with_history(tmp_path: Path) -> None:
    assert _run("db", "upgrade", cwd=tmp_path).returncode == 0
    counts = []
    for _ in range(2):
        done = _run("demo", "load", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Demo Sports & Orthopedic Rehab" in done.stderr
        counts.append(_counts(tmp_path / "var" / "popliteal.db"))
    assert counts[0] == counts[1]  # loading again changes nothing
    found = counts[0]
    assert found["clinics"] == 1
    assert found["users"] == 6  # two clinicians, the demo patient and three more people
    assert found["appointment_types"] == 3
    # weeks of care to show on first start: every chart has data, one alert, one discharge
    for table in TABLES[4:]:
        assert found[table] > 0, table
    assert found["outcome_alerts"] == 1
    assert found["discharges"] == 1
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    done = _run(
        "db",
        "upgrade",
        cwd=tmp_path,
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
    )
    assert done.returncode == 2
    assert "cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr
