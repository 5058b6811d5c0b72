"""Backups of a running service and restores into a new database (`popliteal backup/restore`).

SQLite: SQLite's online backup API, run on the raw connection inside one read transaction.
In WAL mode the server's writers go on while the copy runs, and the copy is the database as
it was when the read began: every write committed before that is in it, nothing committed
during the copy is (so the copy never restarts, however busy the server is).

PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and `pg_restore`, from
PostgreSQL's client tools. Connection details go to them in PG* environment variables, not on
the command line, where any local user could read a password.

A restore goes into an empty database only, is checked (SQLite's integrity check; the schema
revision is one this code knows), and is migrated to this code's schema when it is older.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from popliteal import migrate
from popliteal.db import make_engine

# Pages copied per step of the SQLite backup (4 MiB with 4 KiB pages): a progress hook sees
# the copy advance; the read transaction keeps all steps on one snapshot.
SQLITE_STEP_PAGES = 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
PG_TOOLS_HINT = "install PostgreSQL's client tools (Debian: apt-get install postgresql-client)"

# Called after each step of a SQLite backup with (pages remaining, pages in all).
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """Something the operator can fix: the message says what (the CLI exits 2 with it)."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    revision: str | None
    method: str


@dataclass(frozen=True)
class RestoreReport:
    revision_in_backup: str
    revision_now: str
    integrity: str


def backup(
    url: str, dest: Path, *, force: bool = False, progress: Progress | None = None
) -> BackupReport:
    """Copy the database at `url` to `dest` while the service keeps running."""
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists: choose another name or pass --force")
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder: give a file name")
    if not dest.parent.is_dir():
        raise BackupError(f"the folder {dest.parent} does not exist")
    if url.startswith("sqlite") and _same_file(dest, _sqlite_path(url)):
        raise BackupError(f"{dest} is the database itself: write the backup somewhere else")
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    _private_new_file(partial)
    try:
        if url.startswith("sqlite"):
            revision = _backup_sqlite(url, partial, progress)
            method = "SQLite online backup"
        else:
            revision = _backup_postgresql(url, partial)
            method = "pg_dump (custom format)"
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(dest, dest.stat().st_size, revision, method)


def restore(url: str, source: Path) -> RestoreReport:
    """Restore the backup `source` into the empty database at `url`, check it and bring its
    schema to this code's revision."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if url.startswith("sqlite"):
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup (the database is SQLite)")
        revision, integrity = _restore_sqlite(url, source)
    else:
        if not magic.startswith(PG_MAGIC):
            raise BackupError(
                f"{source} is not a pg_dump custom-format backup (the database is PostgreSQL)"
            )
        revision, integrity = _restore_postgresql(url, source)
    if revision != migrate.head():
        migrate.upgrade(url)
    now = migrate.current(url) or ""
    return RestoreReport(revision_in_backup=revision, revision_now=now, integrity=integrity)


def _same_file(dest: Path, database: Path) -> bool:
    """Whether `dest` is the database or one of its -wal/-shm/-journal companions."""
    target = dest.resolve()
    base = database.resolve()
    companions = {f"{base.name}{suffix}" for suffix in ("-wal", "-shm", "-journal")}
    return target == base or (target.parent == base.parent and target.name in companions)


def _private_new_file(path: Path) -> None:
    """Create `path` readable by its owner only (a backup holds health records)."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _known_revision(revision: str | None, where: str) -> str:
    """The backup's schema revision, if this code knows it (older ones are migrated)."""
    if revision is None:
        raise BackupError(f"{where} holds no popliteal schema (no alembic_version)")
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"{where} has schema revision {revision}, which this version of popliteal does "
            "not know: restore it with the version that made it"
        )
    return revision


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("backup and restore need a SQLite database in a file")
    return Path(database)


def _backup_sqlite(url: str, partial: Path, progress: Progress | None) -> str | None:
    path = _sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    engine = make_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
            source.execute("BEGIN")  # deferred: the first read below fixes the snapshot
            try:
                revision = _sqlite_revision(source)
                target = sqlite3.connect(partial)
                try:
                    source.backup(
                        target,
                        pages=SQLITE_STEP_PAGES,
                        progress=(lambda _s, left, total: progress(left, total))
                        if progress
                        else None,
                    )
                    # One self-contained file: no -wal beside it.
                    target.execute("PRAGMA journal_mode = DELETE")
                    integrity = _integrity(target)
                finally:
                    target.close()
            finally:
                source.execute("ROLLBACK")
        finally:
            raw.close()
    finally:
        engine.dispose()
    if integrity != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {integrity}")
    return revision


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def _restore_sqlite(url: str, source: Path) -> tuple[str, str]:
    target_path = _sqlite_path(url)
    if target_path.is_file() and target_path.stat().st_size > 0:
        with sqlite3.connect(f"file:{target_path}?mode=ro", uri=True) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        conn.close()
        if tables:
            raise BackupError(
                f"the database at {target_path} is not empty ({tables} tables): restore "
                "into a new database (move this file away, or set DATABASE_URL to a new file)"
            )
    try:
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from None
    try:
        integrity = _integrity(backup_conn)
        if integrity != "ok":
            raise BackupError(f"{source} fails SQLite's integrity check: {integrity}")
        revision = _known_revision(_sqlite_revision(backup_conn), str(source))
        if not target_path.parent.is_dir():
            raise BackupError(f"the folder {target_path.parent} does not exist")
        if not target_path.exists():
            os.close(os.open(target_path, os.O_CREAT | os.O_WRONLY, 0o600))
        target = sqlite3.connect(target_path)
        try:
            backup_conn.backup(target)
            integrity = _integrity(target)
        finally:
            target.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a usable SQLite backup: {exc}") from None
    finally:
        backup_conn.close()
    if integrity != "ok":
        raise BackupError(f"the restored database fails SQLite's integrity check: {integrity}")
    return revision, integrity


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: {PG_TOOLS_HINT}")
    return found


def _pg_env(url: str) -> dict[str, str]:
    """libpq's environment variables for this URL (a password never on the command line)."""
    parsed = make_url(url)
    env = {**os.environ}
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", str(parsed.port) if parsed.port else None),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value:
            env[key] = str(value)
    sslmode = parsed.query.get("sslmode")  # e.g. sslmode=require
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return env


def _run_pg(args: list[str], url: str, what: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments from this module
        args, env=_pg_env(url), capture_output=True, check=False, timeout=6 * 3600
    )
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        raise BackupError(f"{what} failed: {detail}")
    return done


def _backup_postgresql(url: str, partial: Path) -> str | None:
    tool = _pg_tool("pg_dump")
    _run_pg([tool, "--format=custom", "--no-owner", "--file", str(partial)], url, "pg_dump")
    return migrate.current(url)


def _pg_table_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema "
                    "NOT IN ('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(count)


COPY_ROW = re.compile(r"^COPY [\w.\"]*alembic_version .*FROM stdin;\n([^\n]+)\n", re.MULTILINE)


def _restore_postgresql(url: str, source: Path) -> tuple[str, str]:
    tool = _pg_tool("pg_restore")
    tables = _pg_table_count(url)
    if tables:
        name = make_url(url).database
        raise BackupError(
            f"the database {name} is not empty ({tables} tables): restore into a new, "
            "empty database (createdb NAME, then point DATABASE_URL at it)"
        )
    listed = _run_pg(
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(source)],
        url,
        "pg_restore (reading the backup)",
    )
    found = COPY_ROW.search(listed.stdout.decode(errors="replace"))
    revision = _known_revision(found.group(1).strip() if found else None, str(source))
    _run_pg(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            make_url(url).database or "",
            str(source),
        ],
        url,
        "pg_restore",
    )
    restored = migrate.current(url)
    if restored != revision:
        raise BackupError(f"after the restore the schema revision reads {restored!r}")
    return revision, "pg_restore completed in one transaction"
