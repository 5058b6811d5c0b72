"""The audit trail's hash chain, as pure functions: each event's hash covers its own fields and
the hash of the event before it, so editing, removing or reordering a stored event breaks
every later link (`popliteal audit verify` finds the first break).

The serialisation is canonical JSON (sorted keys, no spaces, UTC time to the microsecond,
`detail` as the database gives it back), so the hash computed before the insert is the hash
recomputed from the stored row on either database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The "previous hash" of the first event.
GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainedFields:
    """What an event's hash covers (every column but its id and its own hashes)."""

    at: datetime
    clinic_id: int | None
    actor_user_id: int | None
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    address: str
    detail: dict[str, Any]


def stored_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """`detail` as a JSON column returns it (integer keys become text, tuples lists)."""
    normal: dict[str, Any] = json.loads(json.dumps(detail or {}))
    return normal


def canonical(fields: ChainedFields, prev_hash: str) -> bytes:
    """The bytes hashed for one event."""
    payload = {
        "at": fields.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "clinic_id": fields.clinic_id,
        "actor_user_id": fields.actor_user_id,
        "action": fields.action,
        "entity": fields.entity,
        "entity_id": fields.entity_id,
        "patient_id": fields.patient_id,
        "address": fields.address,
        "detail": stored_detail(fields.detail),
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def event_hash(fields: ChainedFields, prev_hash: str) -> str:
    """SHA-256 (hex) of the event's canonical form, linked to the one before it."""
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored event as the verifier reads it."""

    id: int
    fields: ChainedFields
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """The first event whose link does not hold, and why."""

    event_id: int
    reason: str


def first_break(links: Iterable[Link], start: str = GENESIS) -> tuple[Break | None, int, str]:
    """Walk events oldest first: (the first break or None, events checked, the last hash)."""
    expected_prev = start
    count = 0
    for link in links:
        count += 1
        if link.prev_hash != expected_prev:
            why = "its link to the event before it does not match (an event was removed or edited)"
            return Break(link.id, why), count, expected_prev
        if event_hash(link.fields, link.prev_hash) != link.hash:
            return Break(link.id, "its content does not match its hash (it was edited)"), count, ""
        expected_prev = link.hash
    return None, count, expected_prev
