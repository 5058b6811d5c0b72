"""Database engine, sessions and the declarative base shared by every area's models.

SQLite (the default, one file under var/) runs in WAL mode with foreign keys on, and every
transaction starts with BEGIN IMMEDIATE: writers queue for the single write lock up front, so
a check-then-insert (the booking overlap check) cannot interleave with another writer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused (DTZ bugs).

    SQLite keeps them as UTC text in one fixed format, so text order is time order and the
    overlap trigger can compare them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class JSONText(str):
    """A JSON document serialised already (for a response too): a JSON column stores it as it
    is instead of serialising the value a second time."""


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, JSONText) else json.dumps(value)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_file(path: str | None) -> None:
    """Create the SQLite file readable by its owner only (0600): it holds health records.
    SQLite gives its -wal and -shm files the same mode."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        return  # a folder that does not exist: SQLite reports it on first use


def make_engine(url: str) -> Engine:
    """An engine for this URL, with the SQLite settings above when it is SQLite."""
    if url.startswith("sqlite"):
        _private_file(make_url(url).database)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            json_serializer=_json_serializer,
        )
        _sqlite_setup(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json_serializer
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def transaction(
    session: Session, *, on_conflict: Callable[[], Exception] | None = None
) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back when anything escapes it.

    Services write their changes and audit rows inside the block and raise the domain error
    when something is wrong; they never commit or roll back by hand. A unique or foreign-key
    violation at commit (two requests racing for the same row) becomes `on_conflict()`, the
    error the person can act on, instead of a crash.
    """
    try:
        yield session
        session.commit()
    except IntegrityError:
        session.rollback()
        if on_conflict is None:
            raise
        raise on_conflict() from None
    except BaseException:
        session.rollback()
        raise


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A read: the transaction ends on the way out, whatever happens, so a reader never keeps
    SQLite's write lock (BEGIN IMMEDIATE) while the page renders."""
    try:
        yield session
    finally:
        session.rollback()
