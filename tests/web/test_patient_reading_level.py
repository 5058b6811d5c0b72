"""Every page a person or a visitor reads, walked from the app's own routes (a page added later
is walked the day it is added): US grade 8 or below (Flesch-Kincaid, as the knowledge texts are
checked) and no internal id, file name, section mark or statistics jargon (issue 18)."""

from __future__ import annotations

import html
import re
from typing import Any

import textstat
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.models import QuestionnaireResponse
from popliteal.server import ROUTERS
from popliteal.sessions.models import SessionLog
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records
from tests.sessions.factories import save_demo_plan
from tests.web.test_patient_words import JARGON

MAX_GRADE = 8.0
LONG = 15  # words: a sentence this long is graded on its own too ...
HARD = 12.0  # ... and must not read above this grade
# Pages a person cannot reach in this walk, and why.
NOT_WALKED = {
    "/account/two-step": "staff only",
    "/login/code": "the staff two-step code page",
    "/reset-password": "needs a token from an email (tests/accounts cover its words)",
    "/book/confirm": "needs a chosen slot (tests/booking walk it)",
    "/book/verify": "needs a token from an email: walked below with a bad one (its 400 page)",
    "/welcome": "needs a token from an email: walked below with a bad one (its 400 page)",
    "/my/appointments/{appointment_id:int}/cancel": "a form reached from the appointment",
    "/my/appointments/{appointment_id:int}/reschedule": "a form reached from the appointment",
    # walked as a visitor, before logging in (a signed-in person is sent on from these)
    "/login": "walked as a visitor",
    "/screening/{screening_id}": "walked as a visitor (a step of a screening under way)",
}
BLOCKS = r"</?(p|li|h[1-6]|dt|dd|td|th|tr|label|legend|button|option|figcaption|summary|caption|div|section|article|br|ul|ol|dl|table|form|fieldset|select)\b[^>]*>"  # noqa: E501


def readable_text(page: str) -> str:
    """The words of the page's main part as sentences: each block (paragraph, list item,
    heading, label, cell) ends a sentence, as a reader takes it in."""
    found = re.search(r"<main\b[^>]*>(.*?)</main>", page, re.S)
    main = found.group(1) if found else page
    main = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r'<section class="card patient-header".*?</section>', " ", main, flags=re.S)
    sentences = []
    for chunk in re.sub(BLOCKS, "\x00", main).split("\x00"):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", chunk)).split())
        if not text:
            continue
        sentences.append(text if text[-1] in ".!?:" else text + ".")
    return " ".join(sentences)


def patient_pages(fill: dict[str, list[str]]) -> list[str]:
    """Every page for a person or a visitor, each parameter filled from `fill`."""
    paths: list[str] = []
    for route in (r for router in ROUTERS for r in router.routes):
        path = getattr(route, "path", "")
        if "GET" not in getattr(route, "methods", ()) or path.startswith(("/api", "/staff")):
            continue
        if path.endswith((".svg", ".pdf", ".ics", ".zip")) or path in NOT_WALKED:
            continue
        names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
        filled = [path]
        for name in names:
            assert name in fill, f"no value for {name} of {path}: add one"
            filled = [
                re.sub(r"\{" + name + r"(?::\w+)?\}", value, p)
                for p in filled
                for value in fill[name]
            ]
        paths += filled
    return sorted(set(paths))


def check(client: Any, path: str, problems: list[tuple[str, Any]], status: int = 200) -> None:
    """Read one page as a person would; note what is wrong with it."""
    page = client.get(path)
    if page.status_code != status:
        problems.append((path, page.status_code))
        return
    text = readable_text(page.text)
    grade = textstat.flesch_kincaid_grade(text)
    if grade > MAX_GRADE:
        problems.append((path, f"grade {grade}"))
    # and no long, hard sentence hides in an easy page (one sentence alone grades higher than
    # a page, so the bar for it is higher); words quoted as written (a questionnaire's validated
    # wording, a quote from the clinic's pages, marked data-verbatim) are kept as they are
    plain = readable_text(
        re.sub(r"<(p|li)\b[^>]*data-verbatim.*?</\1>", " ", page.text, flags=re.S)
    )
    for sentence in re.split(r"(?<=[.!?:])\s+", plain):
        if len(sentence.split()) >= LONG and textstat.flesch_kincaid_grade(sentence) > HARD:
            problems.append((path, sentence))
    found = JARGON.findall(text) + re.findall(r"\b[0-9a-f]{32}\b|\b[a-z]+_[a-z_]+\b", text)
    if found:
        problems.append((path, sorted(set(found))))


def test_every_patient_page_reads_at_grade_8_or_below_without_ids_or_jargon(
    client: Any, db: Session, kb: Knowledge
) -> None:
    problems: list[tuple[str, Any]] = []
    # A visitor: the login page and a step of a screening under way.
    check(client, "/login", problems)
    # The pages of an e-mailed link that is wrong or used up: plain words too.
    check(client, "/book/verify?token=not-a-real-link", problems, status=400)
    check(client, "/welcome?token=not-a-real-link", problems, status=400)
    started = client.post("/screening", data={"csrf_token": csrf_from(client, "/screening")})
    assert started.status_code == 303
    check(client, started.headers["location"], problems)
    # The demo person with a plan, a session under way and a questionnaire answered.
    demo = demo_records(db)
    save_demo_plan(db, kb, demo.patient_id)
    login(client, PATIENT.email, PATIENT.password)
    csrf = csrf_from(client, "/my/today")
    session = client.post(
        "/my/session", data={"csrf_token": csrf, "pain_before": "3", "mode": "home"}
    )
    assert session.status_code == 303
    client.post("/my/questionnaires/nprs", data={"csrf_token": csrf, "item_pain": "4"})
    session_id = db.scalar(select(SessionLog.id))
    response_id = db.scalar(select(QuestionnaireResponse.id))
    db.rollback()
    fill = {
        "condition_id": sorted(kb.conditions),
        "screening_id": [demo.screening_id],
        "appointment_id": [str(demo.appointment_id)],
        "instrument": sorted(kb.outcomes.instruments),
        "response_id": [str(response_id)],
        "session_id": [f"{session_id}?step={n}" for n in (1, 2, 3, 4)],
    }
    paths = patient_pages(fill)
    assert len(paths) > 40  # every condition, questionnaire and session step included
    for path in paths:
        check(client, path, problems)
    assert problems == []


def test_the_reader_counts_blocks_as_sentences_and_the_check_flags_hard_text() -> None:
    easy = readable_text(
        '<main id="main"><h1>Today</h1><ul><li>Bridge</li><li>Walk</li></ul></main>'
    )
    assert easy == "Today. Bridge. Walk."
    hard = readable_text(
        '<main id="main"><p>Posterolateral corner insufficiency necessitates comprehensive '
        "multidisciplinary orthopaedic evaluation and reconstruction considerations.</p></main>"
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE
