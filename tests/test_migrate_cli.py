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


def test_upgrade_then_demo_twice_makes_one_demo_clinic(tmp_path: Path) -> None:
    assert _run("db", "upgrade", cwd=tmp_path).returncode == 0
    for _ in range(2):
        done = _run("demo", "load", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Demo Sports & Orthopedic Rehab" in done.stderr
    db = tmp_path / "var" / "popliteal.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from clinics").fetchone() == (1,)
        assert conn.execute("select count(*) from users").fetchone() == (3,)
        assert conn.execute("select count(*) from appointment_types").fetchone() == (3,)
        assert conn.execute("select count(*) from appointments").fetchone() == (1,)
    conn.close()
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
