"""The clinician's patient list at scale (issue 17): paged, searched and ordered in SQL, one
audit event per view, and the same number of SQL statements for a page of 5 or of 50."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import AuditEvent, Clinic, User
from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.clock import utcnow
from popliteal.demo import ADMIN, CHIRO, DEMO_ANSWERS
from popliteal.demo.scale import load_scale
from tests.accounts.factories import add_patient
from tests.conftest import login
from tests.running.factories import demo_records
from tests.screening.factories import EMERGENCY_ANSWERS, add_screening


def text_of(page: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def names_on(page: Any) -> list[str]:
    """The patients' names in the order the table lists them."""
    return [
        html.unescape(n)
        for n in re.findall(r'<a href="/staff/patients/\d+">([^<]+)</a>', page.text)
    ]


@pytest.fixture
def staff(client: Any) -> Any:
    login(client, ADMIN.email, ADMIN.password)
    return client


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def people(db: Session, kb: Any, count: int) -> None:
    """The demo clinic with `count` made-up patients with histories (the --scale loader)."""
    clinic = db.scalar(select(Clinic))
    assert clinic is not None
    load_scale(db, kb, clinic, count)


@pytest.mark.postgres
def test_a_page_costs_the_same_statements_for_5_or_60_patients(
    app: Any, staff: Any, db: Session, kb: Any
) -> None:
    people(db, kb, 5)
    staff.get("/staff/patients")  # warm: the nav's cached clinic name and the like
    with statements(app) as small:
        assert staff.get("/staff/patients").status_code == 200
    people(db, kb, 60)  # 55 more: now a full page of 50 and a second page
    with statements(app) as full:
        page = staff.get("/staff/patients")
    assert len(names_on(page)) == 50
    assert len(full) == len(small)
    with statements(app) as record:
        staff.get(f"/staff/patients/{demo_records(db).patient_id}")
    db.rollback()
    # bounded too: its count does not grow with rows (about 50 statements: each card of the
    # record is one area's read, and every read of health data writes its audit event; the
    # events' details are sealed with the person's audit key: one read, one insert the first time)
    assert len(record) < len(full) + 47


def test_pages_of_fifty_with_links_and_search_by_name_or_email(
    staff: Any, db: Session, kb: Any
) -> None:
    people(db, kb, 60)
    first, second = staff.get("/staff/patients"), staff.get("/staff/patients?page=2")
    assert len(names_on(first)) == 50
    assert len(names_on(second)) == 11  # 60 made-up patients and the demo patient
    assert not set(names_on(first)) & set(names_on(second))
    assert "Patients 1\u201350 of 61" in text_of(first)
    assert 'href="?page=2"' in first.text
    assert 'rel="next"' in first.text
    assert 'aria-current="page"' in second.text
    assert 'rel="prev"' in second.text
    assert names_on(staff.get("/staff/patients?page=99")) == names_on(second)  # the last page
    assert staff.get("/staff/patients?page=0").status_code == 422

    found = staff.get("/staff/patients", params={"q": "Riley"})
    assert names_on(found)
    assert all("Riley" in n for n in names_on(found))
    by_email = staff.get("/api/patients", params={"q": "SCALE-00007@demo"})
    assert [p["email"] for p in by_email.json()] == ["scale-00007@demo.popliteal.test"]
    assert by_email.headers["x-total-count"] == "1"
    assert "No patient matches" in text_of(staff.get("/staff/patients", params={"q": "%_x"}))


@pytest.mark.postgres
def test_order_is_urgency_and_open_alerts_then_next_visit_then_name(
    staff: Any, db: Session, kb: Any
) -> None:
    demo = demo_records(db)
    clinic_id = demo.clinic_id

    def person(name: str) -> int:
        slug = name.lower().replace(" ", ".")
        return add_patient(db, clinic_id=clinic_id, name=name, email=f"{slug}@x.test").id

    emergency, alerted, soon, later = (
        person("Zed Emergency"),
        person("Yan Alert"),
        person("Bo Soon"),
        person("Al Later"),
    )
    add_screening(db, kb, clinic_id=clinic_id, patient_id=emergency, answers=EMERGENCY_ANSWERS)
    db.add(
        OutcomeAlert(
            clinic_id=clinic_id,
            patient_id=alerted,
            kind="red_flag",
            urgency="urgent",
            rule_id="rf_dvt_suspected",
            reason="Calf swelling reported at a check-in",
            source="check_in",
        )
    )
    kind = db.scalar(select(AppointmentType).where(AppointmentType.code == "follow_up"))
    chiro = db.scalar(select(User.id).where(User.email == CHIRO.email))
    assert kind is not None
    assert chiro is not None
    for who, days in ((soon, 2), (later, 5)):
        starts = utcnow().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=days)
        db.add(
            Appointment(
                clinic_id=clinic_id,
                clinician_id=chiro,
                patient_id=who,
                type_id=kind.id,
                mode="in_clinic",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
            )
        )
    db.commit()
    listed = names_on(staff.get("/staff/patients"))
    # the emergency screening, then the open urgent alert; then the conservative demo patient
    # (visit tomorrow); then no urgency: the sooner visit first, then the later one
    assert listed == ["Zed Emergency", "Yan Alert", "Jordan Demo", "Bo Soon", "Al Later"]
    assert [p["full_name"] for p in staff.get("/api/patients").json()] == listed


@pytest.mark.postgres
def test_a_row_shows_the_open_red_flags_and_the_safety_questions_left_unsure(
    staff: Any, db: Session, kb: Any
) -> None:
    """The list reads only these parts of each screening's stored result (by a JSON path in
    the database): the red flag's title and the two safety questions answered "not sure"."""
    clinic_id = demo_records(db).clinic_id
    flagged = add_patient(db, clinic_id=clinic_id, name="Zed Flagged", email="zed@x.test").id
    unsure = add_patient(db, clinic_id=clinic_id, name="Casey Unsure", email="casey@x.test").id
    add_screening(db, kb, clinic_id=clinic_id, patient_id=flagged, answers=EMERGENCY_ANSWERS)
    not_sure = {**DEMO_ANSWERS, "calf_swelling": None, "breathless_or_chest_pain": None}
    add_screening(db, kb, clinic_id=clinic_id, patient_id=unsure, answers=not_sure)
    db.commit()
    page = staff.get("/staff/patients")
    rows = {
        name: row
        for row in page.text.split("</tr>")
        for name in ("Zed Flagged", "Casey Unsure", "Jordan Demo")
        if f">{name}</a>" in row
    }
    assert 'data-red-flags="1"' in rows["Zed Flagged"]
    assert 'data-safety-not-completed="2"' in rows["Casey Unsure"]
    assert "data-red-flags" not in rows["Casey Unsure"]
    assert "data-safety-not-completed" not in rows["Jordan Demo"]
    listed = {p["full_name"]: p for p in staff.get("/api/patients").json()}
    assert len(listed["Zed Flagged"]["red_flags"]) == 1
    assert listed["Zed Flagged"]["red_flags"][0]["title"] in rows["Zed Flagged"]
    assert sorted(listed["Casey Unsure"]["safety_not_ruled_out"]) == [
        "breathless_or_chest_pain",
        "calf_swelling",
    ]


def test_a_list_view_is_one_audit_event_naming_the_people_on_the_page(
    staff: Any, db: Session, kb: Any
) -> None:
    people(db, kb, 8)
    before = db.scalar(select(func.count(AuditEvent.id)))
    db.rollback()
    staff.get("/staff/patients?q=scale")
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[before or 0 :]
    assert [(e.action, e.entity, e.patient_id) for e in events] == [("read", "patient_list", None)]
    assert len(events[0].detail["patient_ids"]) == 8
    assert events[0].detail["searched"] is True
    assert "scale" not in str(events[0].detail)  # what was typed is not kept (a name, maybe)
