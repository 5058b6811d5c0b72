"""The unit of work every service ends with: committed on success, nothing kept on an error,
a racing duplicate reported as the person's conflict."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from popliteal.db import make_sessionmaker, reading, transaction


class _Base(DeclarativeBase):
    """Its own metadata: the probe table is no part of the app's schema."""


class _Row(_Base):
    __tablename__ = "uow_probe"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)


class Taken(ValueError):
    pass


@pytest.fixture
def session(tmp_path) -> Session:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    _Row.__table__.create(engine)  # type: ignore[attr-defined]
    with make_sessionmaker(engine)() as s:
        yield s


def _names(session: Session) -> list[str]:
    with reading(session):
        return [r.name for r in session.query(_Row).order_by(_Row.name)]


def test_a_finished_block_is_committed(session: Session) -> None:
    with transaction(session):
        session.add(_Row(name="a"))
    session.close()
    assert _names(session) == ["a"]


def test_an_error_inside_the_block_keeps_nothing(session: Session) -> None:
    def refuse() -> None:
        with transaction(session):
            session.add(_Row(name="a"))
            session.flush()
            raise Taken("refused")

    with pytest.raises(Taken):
        refuse()
    assert _names(session) == []


def test_a_duplicate_at_commit_becomes_the_conflict_error(session: Session) -> None:
    with transaction(session):
        session.add(_Row(name="a"))

    def add_again() -> None:
        with transaction(session, on_conflict=lambda: Taken("that name is already taken")):
            session.add(_Row(name="a"))

    with pytest.raises(Taken, match="already"):
        add_again()
    assert _names(session) == ["a"]


def test_a_read_leaves_no_transaction_open(session: Session) -> None:
    with transaction(session):
        session.add(_Row(name="a"))
    _names(session)
    assert not session.in_transaction()
