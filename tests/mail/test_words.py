"""What the e-mails say: grade 8 or below for patients, and nothing about health beyond the
visit itself (an inbox is not a private place)."""

from __future__ import annotations

import re

import pytest
import textstat

from popliteal.mail.render import render

MAX_GRADE = 8.0
CLINIC = {"clinic_name": "Springfield Knee Clinic", "clinic_phone": "555-0199", "subject": "S"}
VISIT = {
    **CLINIC,
    "person_name": "Sam Lee",
    "when": "Tuesday 5 January 2027 at 10:00",
    "zone_name": "CST",
    "type_name": "Free screening",
    "minutes": 30,
    "clinician_name": "Alex Park, PT",
    "where": "Springfield Knee Clinic, 100 Main Street",
    "video_link": "https://video.example.org/room/1",
    "attached": True,
    "notice_hours": 24,
}
LINKED = {**CLINIC, "person_name": "Sam Lee", "link": "https://x.example/a", "valid_for": "1 hour"}
MESSAGES = [
    *[
        ("appointment", {**VISIT, "change": c})
        for c in ("booked", "moved", "cancelled", "reminder")
    ],
    ("questionnaire_due", LINKED),
    ("password_reset", LINKED),
    ("verify_address", LINKED),
    ("verify_address", {**LINKED, "visit": "Free screening, Tuesday 5 January 2027 at 10:00"}),
    ("booking_attempt", {**LINKED, "visit": "Free screening, Tuesday 5 January 2027 at 10:00"}),
    ("booking_attempt", {**LINKED, "link": "", "visit": ""}),
    ("invitation", {**LINKED, "inviter_name": "Alex Park"}),
]
# Words that would tell a reader of the inbox about the person's health.
HEALTH_WORDS = re.compile(
    r"\b(diagnos\w*|condition|urgen\w*|red flag|symptom\w*|screening result|pain score|koos|"
    r"lefs|ikdc|injur\w*|tear|cyst|clot|dvt)\b",
    re.IGNORECASE,
)


def _prose(text: str) -> str:
    """The sentences, without links and the "When: ..." detail lines."""
    lines = [line for line in text.splitlines() if not re.match(r"^\w+: ", line)]
    return re.sub(r"https?://\S+", "", "\n".join(lines))


@pytest.mark.parametrize(("name", "context"), MESSAGES)
def test_every_message_is_grade_8_or_below_and_names_no_health_detail(
    name: str, context: dict[str, object]
) -> None:
    text, html = render(name, **context)
    assert textstat.flesch_kincaid_grade(_prose(text)) <= MAX_GRADE, text
    assert HEALTH_WORDS.search(text) is None
    assert HEALTH_WORDS.search(html) is None
    assert "Sam Lee" in text


def test_html_bodies_escape_what_people_typed() -> None:
    _, html = render("appointment", **{**VISIT, "person_name": "<b>Sam</b>", "change": "booked"})
    assert "&lt;b&gt;Sam&lt;/b&gt;" in html
