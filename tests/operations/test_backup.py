"""`popliteal backup` / `restore`: a copy taken while the service writes holds every write
acknowledged before it began, and restores into an empty database that passes its checks."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url

from popliteal import backup, migrate
from popliteal.db import make_engine
from popliteal.screening.models import Screening
from tests.conftest import RunCli

WAIT = 30  # seconds a condition may take on a busy machine; nothing sleeps


class Writer:
    """A thread committing screenings one by one; an id is recorded only after its commit
    returned (acknowledged), as a client of the service would see it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            self.clinic_id = conn.execute(text("SELECT min(id) FROM clinics")).scalar_one()
        self.acked: list[str] = []
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                row_id = secrets.token_hex(16)
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(Screening).values(
                            id=row_id, clinic_id=self.clinic_id, knowledge_version="test"
                        )
                    )
                with self.changed:
                    self.acked.append(row_id)
                    self.changed.notify_all()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(
                lambda: len(self.acked) >= count or self.error is not None, timeout=WAIT
            )
        assert self.error is None, self.error

    def snapshot(self) -> list[str]:
        with self.changed:
            return list(self.acked)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT)
        assert self.error is None, self.error


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> str:
    """A new, empty database of the test's kind. On PostgreSQL a second database beside the
    worker's, kept between runs and emptied by dropping its schema (dropping a whole database
    waits for a checkpoint of the shared server: 20 s here)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    import psycopg
    from psycopg import sql

    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = url.set(database=name)
    with psycopg.connect(
        target.set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return target.render_as_string(hide_password=False)


def _screening_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(Screening.id)))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_backup_during_writes_holds_every_acknowledged_write(
    database_url: str, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite = database_url.startswith("sqlite")
    # SQLite: small steps, and a write acknowledged between every two of them, so the copy
    # surely overlaps the writes and must still be the database as it was when it began.
    # PostgreSQL: pg_dump runs while the writer goes on.
    monkeypatch.setattr(backup, "SQLITE_STEP_PAGES", 16)
    engine = make_engine(database_url)
    during: list[str] = []
    copy = tmp_path / "copy.backup"
    with Writer(engine) as writer:
        writer.wait_for(5)

        def one_more_write(_left: int, _total: int) -> None:
            seen = len(writer.snapshot())
            writer.wait_for(seen + 1)
            during.extend(writer.snapshot()[seen:])

        before = writer.snapshot()
        report = backup.backup(database_url, copy, progress=one_more_write)
        writer.wait_for(len(writer.snapshot()) + 1)  # still writing after the copy
    engine.dispose()
    assert report.revision == migrate.head()
    assert copy.stat().st_mode & 0o077 == 0

    result = backup.restore(empty_url, copy)
    assert result.revision_now == migrate.head()
    restored = _screening_ids(empty_url)
    assert set(before) <= restored
    assert len(restored) >= len(before)
    if sqlite:
        assert len(during) >= 3  # several steps, with writes committed while each copied
        assert not set(during) & restored  # one snapshot: nothing committed after it began
        assert result.integrity == "ok"
        path = make_url(empty_url).database
        with sqlite3.connect(str(path)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(empty_url, copy)


def test_backup_refuses_to_replace_a_file_unless_forced(
    database_url: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    copy = tmp_path / "nightly.db"
    copy.write_text("yesterday's")
    refused = run_cli("backup", "-o", str(copy))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert "--force" in refused.stderr
    assert copy.read_text() == "yesterday's"
    done = run_cli("backup", "-o", str(copy), "--force")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(copy)
    assert copy.read_bytes().startswith(b"SQLite format 3\x00")
    database = make_url(database_url).database
    itself = run_cli("backup", "-o", str(database), "--force")
    assert itself.returncode == 2
    assert "is the database itself" in itself.stderr
    assert _screening_ids(database_url)  # untouched


def test_restore_refuses_a_database_that_is_not_empty(
    database_url: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run_cli("backup", "-o", str(tmp_path / "copy.db")).returncode == 0
    refused = run_cli("restore", str(tmp_path / "copy.db"))
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr
    assert "Traceback" not in refused.stderr

    (tmp_path / "notes.txt").write_text("not a backup")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    wrong = run_cli("restore", str(tmp_path / "notes.txt"))
    assert wrong.returncode == 2
    assert "is not a SQLite backup" in wrong.stderr
    missing = run_cli("restore", str(tmp_path / "nothing.db"))
    assert missing.returncode == 2
    assert "no backup file" in missing.stderr


def test_restore_of_an_older_backup_brings_it_to_this_schema(
    database_url: str, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = migrate.alembic_config(database_url)
    from alembic.script import ScriptDirectory

    previous = ScriptDirectory.from_config(scripts).get_revision(migrate.head()).down_revision
    assert isinstance(previous, str)
    migrate.downgrade(database_url, previous)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run_cli("backup", "-o", str(tmp_path / "old.db")).returncode == 0

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    done = run_cli("restore", str(tmp_path / "old.db"))
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())  # the console wraps long lines
    assert f"schema revision {previous}, migrated to {migrate.head()}" in said
    assert migrate.current(f"sqlite:///{tmp_path / 'new.db'}") == migrate.head()
