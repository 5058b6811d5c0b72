"""The sender against a real SMTP server: a server that is down at first, two senders at
once, refusals, and the offline folder."""

from __future__ import annotations

import stat
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.db import transaction
from popliteal.mail import sender
from popliteal.mail.models import OutboxMessage
from popliteal.mail.outbox import Attachment, enqueue
from popliteal.mail.transport import SmtpTransport, parse_smtp_url, transport_for
from tests.conftest import RunCli
from tests.mail.conftest import SmtpServer, attachment, body

FROM = "Clinic <clinic@example.com>"


def queue(db: Session, count: int) -> None:
    with transaction(db):
        for n in range(count):
            enqueue(
                db,
                to=f"person{n}@example.com",
                subject=f"Message {n}",
                text=f"Hello {n}",
                html=f"<p>Hello {n}</p>",
                kind="test",
            )


def send(db: Session, server: SmtpServer) -> sender.RunReport:
    return sender.run_once(db, transport=SmtpTransport(parse_smtp_url(server.url)), mail_from=FROM)


def statuses(db: Session) -> list[str]:
    db.expire_all()
    return [m.status for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.mark.postgres
def test_a_server_down_at_first_gets_every_message_later_once(
    db: Session, smtp_server: SmtpServer, pinned_clock: time_machine.Traveller
) -> None:
    queue(db, 3)
    smtp_server.stop()
    assert send(db, smtp_server).retrying == 3
    assert send(db, smtp_server).retrying == 0  # backing off: nothing is tried again at once
    assert statuses(db) == ["pending"] * 3
    smtp_server.start()
    pinned_clock.shift(timedelta(minutes=1, seconds=5))
    assert send(db, smtp_server).sent == 3
    pinned_clock.shift(timedelta(hours=7))
    assert send(db, smtp_server).sent == 0
    received = smtp_server.inbox.messages
    assert sorted(m["Subject"] for m in received) == ["Message 0", "Message 1", "Message 2"]
    assert len({m["Message-ID"] for m in received}) == 3
    assert statuses(db) == ["sent"] * 3


@pytest.mark.postgres
def test_two_senders_at_once_never_send_one_message_twice(
    app: Any, db: Session, smtp_server: SmtpServer, pinned_clock: time_machine.Traveller
) -> None:
    queue(db, 12)
    start = threading.Barrier(2)
    reports: list[sender.RunReport] = []

    def run() -> None:
        with app.state.sessionmaker() as session:
            start.wait(timeout=30)
            reports.append(send(session, smtp_server))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.sent for r in reports) == 12
    subjects = sorted(m["Subject"] for m in smtp_server.inbox.messages)
    assert subjects == sorted(f"Message {n}" for n in range(12))
    assert statuses(db) == ["sent"] * 12


def test_an_address_refused_for_good_is_marked_failed_for_the_admin(
    db: Session,
    database_url: str,
    smtp_server: SmtpServer,
    pinned_clock: time_machine.Traveller,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue(db, 1)
    smtp_server.inbox.refuse = "550 5.1.1 no such mailbox"
    assert send(db, smtp_server).failed == 1
    [failed] = sender.failed_messages(db, clinic_id=None)
    assert failed.to_address == "person0@example.com"
    assert "550" in failed.last_error
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = run_cli("notify", "status")
    assert result.returncode == 0
    assert "failed: 1" in result.stdout
    assert "person0@example.com after 1 tries" in result.stdout


def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(
    db: Session, smtp_server: SmtpServer, pinned_clock: time_machine.Traveller
) -> None:
    queue(db, 1)
    smtp_server.inbox.refuse = "451 4.3.0 try again later"
    outcomes = []
    for _ in range(sender.MAX_ATTEMPTS):
        report = send(db, smtp_server)
        outcomes.append("failed" if report.failed else "retrying" if report.retrying else "-")
        pinned_clock.shift(sender.BACKOFF_LONGEST + timedelta(seconds=1))
    assert outcomes == ["retrying"] * (sender.MAX_ATTEMPTS - 1) + ["failed"]
    assert send(db, smtp_server).failed == 0
    assert smtp_server.inbox.messages == []


def test_the_wait_between_attempts_doubles_up_to_six_hours() -> None:
    waits = [sender.backoff(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == timedelta(hours=6)


def test_without_a_mail_server_messages_are_files_in_a_private_folder(
    db: Session, tmp_path: Path, pinned_clock: time_machine.Traveller
) -> None:
    with transaction(db):
        enqueue(
            db,
            to="person@example.com",
            subject="Hello",
            text="Plain words",
            html="<p>Plain words</p>",
            attachments=[Attachment("visit.ics", "text/calendar; method=REQUEST", b"BEGIN:X")],
            kind="test",
        )
    transport = transport_for(None, tmp_path)
    assert sender.run_once(db, transport=transport, mail_from=FROM).sent == 1
    folder = tmp_path / "outbox"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [eml] = list(folder.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "person@example.com"
    assert body(message) == "Plain words\n"
    assert attachment(message, "visit.ics") == b"BEGIN:X"


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.example.org:2525")
    assert (plain.host, plain.port, plain.tls, plain.starttls) == (
        "mail.example.org",
        2525,
        False,
        False,
    )
    assert plain.username is None
    tls = parse_smtp_url("smtps://me%40example.org:p%3Ass@mail.example.org")
    assert (tls.port, tls.tls, tls.username, tls.password) == (465, True, "me@example.org", "p:ss")
    start = parse_smtp_url("smtp://u:p@mail.example.org?starttls=true")
    assert (start.port, start.starttls) == (587, True)
    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        parse_smtp_url("http://mail.example.org")


def test_a_bad_smtp_url_is_a_clear_message(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("POPLITEAL_SMTP_URL", "mail.example.org")
    result = run_cli("notify", "run", "--once")
    assert result.returncode == 2
    assert "smtp:// or smtps://" in result.stderr


def test_a_malformed_address_fails_at_once_and_the_others_still_go(
    db: Session, smtp_server: SmtpServer, pinned_clock: time_machine.Traveller
) -> None:
    with transaction(db):
        for to in ("a@b@c", "person@example.com"):
            enqueue(db, to=to, subject="Hi", text="t", html="", kind="test")
    report = send(db, smtp_server)
    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in smtp_server.inbox.messages] == ["person@example.com"]
