"""The caller: the actor carries its role (a Role) and the address it asks from, and the audit
trail takes that address unless an anonymous caller's is given explicitly."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import audit_keys
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, User
from popliteal.accounts.rules import Actor, Role
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.errors import NotAllowed
from tests.conftest import login


def _user(db: Session, email: str) -> User:
    found = db.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def _audited(db: Session, entity_id: str) -> list[tuple[int | None, str]]:
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == entity_id)).all()
    return [(e.actor_user_id, e.address) for e in events]


def test_actor_for_turns_the_stored_role_into_a_role_and_keeps_the_address(db: Session) -> None:
    patient = accounts_service.actor_for(db, _user(db, PATIENT.email), address="192.0.2.7")
    chiro = accounts_service.actor_for(db, _user(db, CHIRO.email))
    admin = accounts_service.actor_for(db, _user(db, ADMIN.email))
    assert (patient.role, chiro.role, admin.role) == (Role.PATIENT, Role.CLINICIAN, Role.ADMIN)
    assert patient.role == "patient"  # a StrEnum: plain strings still compare equal
    assert patient.patient_id is not None
    assert chiro.patient_id is None
    assert (patient.is_staff, chiro.is_staff, admin.is_staff) == (False, True, True)
    assert (patient.address, chiro.address) == ("192.0.2.7", "")


def test_audit_takes_the_callers_address_unless_one_is_given(db: Session) -> None:
    user = _user(db, CHIRO.email)
    caller = Actor(user_id=user.id, role=Role.CLINICIAN, clinic_id=user.clinic_id, address="a1")
    common: dict[str, Any] = {"action": "read", "entity": "probe", "patient_id": None}
    accounts_service.audit(db, actor=caller, entity_id="from-actor", **common)
    accounts_service.audit(db, actor=caller, entity_id="explicit", address="a2", **common)
    accounts_service.audit(
        db, actor=None, entity_id="anonymous", clinic_id=user.clinic_id, **common
    )
    accounts_service.audit(
        db, actor=None, entity_id="anon-address", clinic_id=user.clinic_id, address="a3", **common
    )
    db.commit()
    assert _audited(db, "from-actor") == [(user.id, "a1")]
    assert _audited(db, "explicit") == [(user.id, "a2")]
    assert _audited(db, "anonymous") == [(None, "")]
    assert _audited(db, "anon-address") == [(None, "a3")]


def test_a_request_audits_with_the_address_it_came_from(app: Any, client: Any, db: Session) -> None:
    """The actor the dependency builds carries the client address, all the way to the audit."""
    login(client, PATIENT.email, PATIENT.password)
    assert client.get("/api/me/outcomes").status_code == 200
    patient_id = accounts_service.actor_for(db, _user(db, PATIENT.email)).patient_id
    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.patient_id == patient_id,
            AuditEvent.entity == "questionnaire_response",
            AuditEvent.action == "read",
        )
    ).all()
    assert events
    assert {o.address for o in audit_keys.open_events(db, events)} == {"testclient"}


def test_only_a_patient_has_an_own_record() -> None:
    """The "me" routes read the caller's own record; a staff caller has none and is refused."""
    assert Actor(user_id=1, role=Role.PATIENT, clinic_id=1, patient_id=7).own_patient_id == 7
    with pytest.raises(NotAllowed):
        _ = Actor(user_id=2, role=Role.CLINICIAN, clinic_id=1).own_patient_id


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("1234567890", "most common"),
        ("password12", "most common"),
        ("aaaaabbbbb", "too few characters"),
        ("jordan.demo@example.com", "email address"),
        ("jordandemo", "email address or your name"),
    ],
)
def test_easy_passwords_are_refused(password: str, why: str) -> None:
    """OWASP ASVS 2.1: common passwords, repeats and the person's own address or name."""
    from popliteal.accounts.rules import password_problem

    problem = password_problem(password, email="jordan.demo@example.com", name="Jordan Demo")
    assert why in (problem or "")


def test_a_passphrase_passes() -> None:
    from popliteal.accounts.rules import password_problem

    assert password_problem("correct horse battery", email="a@b.co", name="Al Bo") is None
    assert password_problem("demo-patient-2026", email="patient@demo.popliteal.test") is None
