"""The clinic's administrators set up booking: appointment types and weekly availability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor, Role
from popliteal.booking.errors import BookingError
from popliteal.booking.models import MODES, AppointmentType, Availability
from popliteal.booking.slots import check_clinician
from popliteal.db import transaction
from popliteal.errors import NotAllowed


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("this is for the clinic's administrators")


def _clean_modes(modes: Sequence[str]) -> list[str]:
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise BookingError(f"unknown mode {unknown[0]!r}; choose from: {', '.join(MODES)}")
    chosen = [m for m in MODES if m in modes]
    if not chosen:
        raise BookingError("choose at least one way the visit can take place")
    return chosen


def update_type(
    session: Session,
    *,
    actor: Actor,
    type_id: int,
    name: str,
    minutes: int,
    modes: Sequence[str],
    active: bool,
) -> AppointmentType:
    """Change an appointment type's name, length, modes and whether it can be booked."""
    _require_admin(actor)
    with transaction(session):
        kind = session.get(AppointmentType, type_id)
        if kind is None or kind.clinic_id != actor.clinic_id:
            raise NotAllowed("no such appointment type")
        name = name.strip()
        if not name or len(name) > 120:
            raise BookingError("the name must have 1 to 120 characters")
        if not 5 <= minutes <= 480:
            raise BookingError("the length must be between 5 and 480 minutes")
        kind.name = name
        kind.minutes = minutes
        kind.modes = _clean_modes(modes)
        kind.active = active
    return kind


def list_availability(session: Session, *, clinic_id: int) -> list[Availability]:
    """The clinic's weekly blocks, by clinician, weekday and start."""
    return list(
        session.scalars(
            select(Availability)
            .where(Availability.clinic_id == clinic_id)
            .order_by(Availability.clinician_id, Availability.weekday, Availability.start_time)
        )
    )


def add_availability(
    session: Session,
    *,
    actor: Actor,
    clinician_id: int,
    weekday: int,
    start: time,
    end: time,
    modes: Sequence[str],
) -> Availability:
    """Add a weekly block for one of the clinic's clinicians."""
    _require_admin(actor)
    with transaction(session):
        check_clinician(session, clinic_id=actor.clinic_id, clinician_id=clinician_id)
        if not 0 <= weekday <= 6:
            raise BookingError("choose a day of the week")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise BookingError("give times without a time zone: they are in the clinic's time zone")
        if end <= start:
            raise BookingError("the block must end after it starts")
        block = Availability(
            clinic_id=actor.clinic_id,
            clinician_id=clinician_id,
            weekday=weekday,
            start_time=start,
            end_time=end,
            modes=_clean_modes(modes),
        )
        session.add(block)
    return block


def remove_availability(session: Session, *, actor: Actor, availability_id: int) -> None:
    """Remove a weekly block (booked visits stay booked)."""
    _require_admin(actor)
    with transaction(session):
        block = session.get(Availability, availability_id)
        if block is None or block.clinic_id != actor.clinic_id:
            raise NotAllowed("no such availability block")
        session.delete(block)
