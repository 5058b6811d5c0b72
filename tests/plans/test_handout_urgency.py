"""The handout's "get help" signs sit under the same urgency messages as the screening result
and the check-ins, with the clinic's emergency number: the paper never says "the same day"
where the screen says "now"."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic
from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.handout import NEXT_VISIT, RED_FLAGS, render_handout
from tests.conftest import login
from tests.plans.test_handout import is_pdf_download, pdf_text, save_demo_plan


def _message(kb: Knowledge, level: str, number: str) -> tuple[str, str]:
    message = kb.advice.urgency_messages[level]  # type: ignore[index]
    action = " ".join(message.action.split()).replace("{emergency_number}", number)
    return " ".join(message.heading.split()), action


def test_the_handout_groups_the_signs_under_the_one_urgency_message(
    client: Any, db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    plan = save_demo_plan(db, kb)
    login(client, PATIENT.email, PATIENT.password)

    response = client.get("/my/plan/handout.pdf")

    assert is_pdf_download(response), response.text[:500]
    text = pdf_text(response.content, tmp_path)
    emergency, go_now = _message(kb, "emergency", "911")
    urgent, see_doctor = _message(kb, "urgent", "911")
    assert f"{emergency} if:" in text
    assert f"Stop your exercises. {go_now}" in text
    assert "Call 911 if you are short of breath" in text
    assert f"{urgent} if:" in text
    assert f"Stop your exercises. {see_doctor}" in text
    assert f"{NEXT_VISIT} if:" in text
    assert text.index(emergency) < text.index(urgent) < text.index(NEXT_VISIT)
    emergency_part = text[text.index(emergency) : text.index(urgent)]
    for flag in RED_FLAGS:
        assert flag in emergency_part, flag
    for ref in plan.refer_when:
        if ref["urgency"] == "emergency":
            assert ref["text"] in emergency_part, ref["text"]
    for old in ("Get help now", "next day or two", "get medical help the same day"):
        assert old not in text, old


def test_the_handout_names_the_clinics_emergency_number(
    db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    plan = save_demo_plan(db, kb)
    clinic = db.scalar(select(Clinic).order_by(Clinic.id))
    assert clinic is not None
    db.expunge(clinic)
    db.rollback()

    pdf = render_handout(
        kb=kb,
        plan=plan,
        clinic=clinic,
        patient_name="Sam Example",
        today=date(2026, 12, 7),
        emergency_number="112",
    )

    text = pdf_text(pdf, tmp_path)
    assert _message(kb, "emergency", "112")[1] in text
    assert "Call 112 if you are short of breath" in text
    assert "911" not in text
