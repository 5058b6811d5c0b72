"""A condition page says the care it needs in the one message for its urgency level (the
screening result's words), and its own "when to get help" text never names another place or
time: a clot page must not say both "go now" and "get checked at urgent care today"."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.knowledge.schema import URGENCY_ORDER

KB = default_knowledge()
CONDITIONS = sorted(KB.conditions)

# Places and times that differ from each level's message. Emergency care is the only place
# for an emergency; an urgent or specialist page may still send the reader to emergency care
# when a worse sign appears (the urgent message says so too), so sentences naming emergency
# care are escalations and are not checked there. Self-care pages name no time of their own.
ELSEWHERE = {
    "emergency": (
        "urgent care",
        "see a doctor",
        "doctor's office",
        "book",
        "within",
        "day or two",
        "few days",
        "week",
        "same day",
        "today",
        "soon",
    ),
    "urgent": ("urgent care", "book", "day or two", "a week", "same day"),
    "surgical_consult": ("day or two", "week or two", "a week", "days", "today", "same day"),
}


def _visible(page: str) -> str:
    # Past the <body ...> tag itself: its hx-headers hold the random CSRF token, which may
    # contain "911" by chance.
    body = page.split("<body", 1)[-1].split(">", 1)[-1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _message(kb: Knowledge, level: str, number: str = "911") -> tuple[str, str]:
    message = kb.advice.urgency_messages[level]  # type: ignore[index]
    action = " ".join(message.action.split()).replace("{emergency_number}", number)
    return " ".join(message.heading.split()), action


def other_care_named(level: str, text: str) -> list[str]:
    """The phrases in a when-to-get-help text that send the reader elsewhere or at another time."""
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        lowered = sentence.lower()
        if level != "emergency" and "emergency" in lowered:
            continue
        found += [phrase for phrase in ELSEWHERE.get(level, ()) if phrase in lowered]
    return found


@pytest.mark.parametrize("condition_id", CONDITIONS)
def test_a_condition_page_says_its_care_in_the_one_urgency_message(
    client: Any, db: Session, kb: Knowledge, condition_id: str
) -> None:
    level = kb.conditions[condition_id].usual_care
    heading, action = _message(kb, level)
    phone = db.scalar(select(Clinic.phone).order_by(Clinic.id))
    db.rollback()
    assert phone

    page = client.get(f"/conditions/{condition_id}")

    assert page.status_code == 200
    assert page.text.count("data-urgency=") == 1
    assert f'data-urgency="{level}"' in page.text
    words = _visible(page.text)
    assert heading in words
    assert action in words
    for other in URGENCY_ORDER:
        if other != level:
            assert _message(kb, other)[0] not in words, other
    calls = ('href="tel:911"', f'href="tel:{phone.replace(" ", "")}"')
    for link in calls:
        assert (link in page.text) == (level in ("emergency", "urgent")), link


@pytest.mark.parametrize("condition_id", CONDITIONS)
def test_no_condition_text_names_other_care_than_its_message(condition_id: str) -> None:
    condition = KB.conditions[condition_id]
    assert other_care_named(condition.usual_care, condition.when_to_get_help) == []


def test_the_checks_name_only_care_the_message_does_not_and_do_catch_a_clash() -> None:
    for level, phrases in ELSEWHERE.items():
        heading, action = _message(KB, level)
        assert [p for p in phrases if p in f"{heading} {action}".lower()] == [], level
    old_fracture = "Go to emergency care or an urgent care clinic today for an X-ray."
    assert other_care_named("emergency", old_fracture) == ["urgent care", "today"]
    old_aneurysm = "See a doctor within a day or two about a throbbing lump."
    assert other_care_named("urgent", old_aneurysm) == ["day or two"]
    escalation = "Call your emergency number if your foot turns cold, pale or numb."
    assert other_care_named("urgent", escalation) == []


@pytest.fixture
def app_112(settings: Any, kb: Knowledge, pinned_clock: Any) -> Iterator[Any]:
    from popliteal.server import create_app

    application = create_app(dataclasses.replace(settings, emergency_number="112"), kb=kb)
    yield application
    application.state.engine.dispose()


def test_the_clinics_emergency_number_is_the_one_named_and_called(app_112: Any) -> None:
    from starlette.testclient import TestClient

    with TestClient(app_112, follow_redirects=False) as client:
        page = client.get("/conditions/dvt")

    assert 'href="tel:112"' in page.text
    assert "Call 112" in _visible(page.text)
    # the visible words and every link; not the whole source, where a random CSRF token may
    # happen to contain the digits 911
    assert "911" not in _visible(page.text)
    assert "tel:911" not in page.text
