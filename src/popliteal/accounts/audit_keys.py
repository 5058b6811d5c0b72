"""The per-person audit keys: sealing events as they are chained, opening them for readers,
and deleting a person's key when they delete their account (accounts/audit_seal.py says why).

Which events are sealed: those about one patient (`patient_id` set), and those a patient's
own login did (`actor_user_id` is a patient's user: logins, password changes). Staff-only and
anonymous events without a patient stay plain: they are about no one person. An event with no
address and no detail has nothing to hide and stays plain, so no key is made for it. Nor is a
key made again for a deleted account: its later events (the deletion itself, a clinician
reading the kept record) are written plain and carry no personal detail.

Keys are made at commit, under the audit append lock (accounts/audit_log.py), so two
transactions never make two keys for one person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from popliteal.accounts.audit_seal import Opened, new_key, open_fields, seal, sealed_for
from popliteal.accounts.models import AuditEvent, AuditKey, Patient

_CHUNK = 500  # ids per IN (...) when looking keys up


def _subject(
    session: Session, row: AuditEvent, by_user: dict[int, Patient | None]
) -> Patient | None:
    """The one person this event is about, if any."""
    if row.patient_id is not None:
        return session.get(Patient, row.patient_id)
    if row.actor_user_id is None:
        return None
    if row.actor_user_id not in by_user:
        by_user[row.actor_user_id] = session.scalar(
            select(Patient).where(Patient.user_id == row.actor_user_id)
        )
    return by_user[row.actor_user_id]


def _key_for(session: Session, patient_id: int, made: dict[int, bytes]) -> bytes:
    if patient_id not in made:
        stored = session.get(AuditKey, patient_id)
        if stored is None:
            stored = AuditKey(patient_id=patient_id, key=new_key())
            session.add(stored)
        made[patient_id] = stored.key
    return made[patient_id]


def seal_rows(session: Session, rows: Iterable[AuditEvent]) -> None:
    """Seal the personal fields of each event about one person, before it is hashed."""
    by_user: dict[int, Patient | None] = {}
    made: dict[int, bytes] = {}
    for row in rows:
        if not row.address and not row.detail:
            continue
        if sealed_for(dict(row.detail or {})) is not None:
            continue  # already sealed
        person = _subject(session, row, by_user)
        if person is None or person.deleted_at is not None:
            continue
        key = _key_for(session, person.id, made)
        row.detail = seal(
            key, patient_id=person.id, address=row.address, detail=dict(row.detail or {})
        )
        row.address = ""


def _keys(session: Session, patient_ids: set[int]) -> dict[int, bytes]:
    ids = sorted(patient_ids)
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.execute(
            select(AuditKey.patient_id, AuditKey.key).where(AuditKey.patient_id.in_(chunk))
        )
        found.update((patient_id, key) for patient_id, key in rows)
    return found


def open_stored(
    session: Session, stored: Sequence[tuple[str, dict[str, Any] | None]]
) -> list[Opened]:
    """Each stored (address, detail) as a reader shows it: opened with its person's key, or
    marked erased when that key was deleted."""
    wanted = {pid for _, detail in stored if (pid := sealed_for(detail)) is not None}
    keys = _keys(session, wanted) if wanted else {}
    return [
        open_fields(keys.get(sealed_for(detail) or 0), address, detail)
        for address, detail in stored
    ]


def open_events(session: Session, events: Sequence[AuditEvent]) -> list[Opened]:
    """`open_stored` for whole events."""
    return open_stored(session, [(e.address, dict(e.detail or {})) for e in events])


def forget(session: Session, *, patient_id: int) -> None:
    """Delete the person's key: their sealed events can no longer be read by anyone."""
    session.execute(delete(AuditKey).where(AuditKey.patient_id == patient_id))
