"""Sealing an audit event's personal fields with its person's key (crypto-shredding), as pure
functions.

The audit trail is append-only and hash-chained, so a deleted account's events can never be
edited. Instead, the personal part of an event about one person (its client address and its
detail) is stored encrypted with a key kept for that person alone (`audit_keys`); deleting
the account deletes the key, and the stored ciphertext becomes unreadable noise. The chain
hashes what is stored (the ciphertext), so it verifies the same before and after.

Stored form: `address` is empty and `detail` is `{"sealed": base64(nonce + AES-256-GCM
ciphertext), "key": patient_id}`. The patient id is the associated data, so a sealed value
copied onto another person's event does not open."""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = "sealed"
KEY = "key"
# What a reader shows in place of an address or detail whose key was deleted.
ERASED = "erased"
_NONCE_BYTES = 12


def new_key() -> bytes:
    """A random 256-bit key for one person."""
    return AESGCM.generate_key(bit_length=256)


def _aad(patient_id: int) -> bytes:
    return f"popliteal audit event of patient {patient_id}".encode()


def seal(key: bytes, *, patient_id: int, address: str, detail: dict[str, Any]) -> dict[str, Any]:
    """The stored `detail` that replaces `address` and `detail` (the address column is emptied)."""
    plain = json.dumps({"address": address, "detail": detail}, sort_keys=True).encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, _aad(patient_id))
    return {SEALED: base64.b64encode(sealed).decode("ascii"), KEY: patient_id}


def sealed_for(detail: dict[str, Any] | None) -> int | None:
    """The patient id whose key sealed this stored detail (None for a plain one)."""
    if not detail or set(detail) != {SEALED, KEY}:
        return None
    patient_id = detail[KEY]
    if not isinstance(patient_id, int) or not isinstance(detail[SEALED], str):
        return None
    return patient_id


@dataclass(frozen=True)
class Opened:
    """An event's address and detail as a reader may show them."""

    address: str
    detail: dict[str, Any]
    erased: bool = False


def open_fields(key: bytes | None, address: str, detail: dict[str, Any] | None) -> Opened:
    """The readable address and detail of a stored event; `erased` when its key is gone (or
    the sealed value does not open with it). Never raises."""
    patient_id = sealed_for(detail)
    if patient_id is None or detail is None:
        return Opened(address=address, detail=dict(detail or {}))
    if key is None:
        return Opened(address=ERASED, detail={}, erased=True)
    try:
        raw = base64.b64decode(detail[SEALED], validate=True)
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(patient_id))
        opened = json.loads(plain)
        return Opened(address=str(opened["address"]), detail=dict(opened["detail"]))
    except (InvalidTag, binascii.Error, ValueError, KeyError, TypeError):
        return Opened(address=ERASED, detail={}, erased=True)
