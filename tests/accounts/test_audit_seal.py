"""Sealing an audit event's personal fields: only the person's key opens them, and without it
a reader gets "erased", never an error."""

from __future__ import annotations

from popliteal.accounts.audit_seal import ERASED, new_key, open_fields, seal, sealed_for


def test_a_sealed_event_opens_with_its_persons_key_only() -> None:
    key = new_key()
    stored = seal(key, patient_id=7, address="203.0.113.9", detail={"q": "Pat Knee"})
    assert "Pat Knee" not in repr(stored)
    assert "203.0.113.9" not in repr(stored)
    assert sealed_for(stored) == 7
    opened = open_fields(key, "", stored)
    assert (opened.address, opened.detail, opened.erased) == (
        "203.0.113.9",
        {"q": "Pat Knee"},
        False,
    )
    for wrong in (None, new_key()):
        gone = open_fields(wrong, "", stored)
        assert (gone.address, gone.detail, gone.erased) == (ERASED, {}, True)


def test_a_sealed_value_copied_onto_another_persons_event_does_not_open() -> None:
    key = new_key()
    stored = seal(key, patient_id=7, address="a", detail={"pain": 6})
    moved = {**stored, "key": 8}
    assert open_fields(key, "", moved).erased


def test_plain_and_damaged_details_are_shown_never_raised() -> None:
    plain = open_fields(None, "198.51.100.4", {"format": "fhir"})
    assert (plain.address, plain.detail, plain.erased) == (
        "198.51.100.4",
        {"format": "fhir"},
        False,
    )
    assert open_fields(new_key(), "", {"sealed": "not base64!", "key": 3}).erased
    assert sealed_for({"sealed": "x", "key": 3, "more": 1}) is None
