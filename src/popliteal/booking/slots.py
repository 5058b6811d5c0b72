"""Free slots: the clinic's appointment types and clinicians, and the times open to book.

The weekly availability blocks minus the booked visits and the live holds, through the pure
slot grid (booking/rules.py); a time is offered only while it is free, within the clinic's
notice and horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Clinic, User
from popliteal.booking import rules
from popliteal.booking.errors import BookingError, SlotTaken
from popliteal.booking.models import MODES, Appointment, AppointmentType, Availability
from popliteal.booking.views import MODE_NAMES
from popliteal.clock import day_start, local_date, utcnow

MAX_RANGE_DAYS = 92


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    clinician_id: int
    clinician_name: str


def list_types(
    session: Session, *, clinic_id: int, include_inactive: bool = False
) -> list[AppointmentType]:
    """The clinic's appointment types (active ones unless asked otherwise)."""
    query = select(AppointmentType).where(AppointmentType.clinic_id == clinic_id)
    if not include_inactive:
        query = query.where(AppointmentType.active)
    return list(session.scalars(query.order_by(AppointmentType.minutes, AppointmentType.id)))


def get_type(session: Session, *, clinic_id: int, ref: str) -> AppointmentType:
    """An active appointment type by code or id; BookingError naming the choices if unknown."""
    query = select(AppointmentType).where(
        AppointmentType.clinic_id == clinic_id, AppointmentType.active
    )
    ref = ref.strip()
    if (type_id := rules.row_id(ref)) is not None:
        query = query.where(AppointmentType.id == type_id)
    else:
        query = query.where(AppointmentType.code == ref)
    kind = session.scalar(query)
    if kind is None:
        codes = ", ".join(t.code for t in list_types(session, clinic_id=clinic_id))
        raise BookingError(f"unknown appointment type {ref!r}; choose one of: {codes}")
    return kind


def list_clinicians(session: Session, *, clinic_id: int) -> list[User]:
    """Active clinicians and admins of the clinic (the people who can be booked)."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.clinic_id == clinic_id,
                User.role.in_(("clinician", "admin")),
                User.is_active,
            )
            .order_by(User.display_name)
        )
    )


def check_mode(kind: AppointmentType, mode: str) -> None:
    """BookingError unless this type is offered this way."""
    if mode not in MODES:
        raise BookingError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    if mode not in kind.modes:
        offered = ", ".join(MODE_NAMES[m].lower() for m in kind.modes if m in MODE_NAMES)
        raise BookingError(
            f"{kind.name} is not offered as {MODE_NAMES[mode].lower()}; "
            f"it is offered: {offered or 'nowhere at the moment'}"
        )


def check_clinician(session: Session, *, clinic_id: int, clinician_id: int | None) -> None:
    """BookingError unless the clinician (None: any) can be booked at this clinic."""
    if clinician_id is None:
        return
    if clinician_id not in {u.id for u in list_clinicians(session, clinic_id=clinic_id)}:
        raise BookingError(f"unknown clinician {clinician_id}")


def _blocks(session: Session, clinic_id: int) -> list[rules.Block]:
    active = {u.id for u in list_clinicians(session, clinic_id=clinic_id)}
    rows = session.scalars(select(Availability).where(Availability.clinic_id == clinic_id))
    return [
        rules.Block(r.clinician_id, r.weekday, r.start_time, r.end_time, tuple(r.modes))
        for r in rows
        if r.clinician_id in active
    ]


def _busy(
    session: Session,
    *,
    clinic_id: int,
    since: datetime,
    until: datetime,
    now: datetime,
    exclude_id: int | None = None,
) -> list[rules.Busy]:
    """Booked visits, and held ones whose hold has not run out (booking/holds.py)."""
    query = select(Appointment).where(
        Appointment.clinic_id == clinic_id,
        or_(
            Appointment.status == "booked",
            and_(Appointment.status == "held", Appointment.hold_expires_at > now),
        ),
        Appointment.ends_at > since,
        Appointment.starts_at < until,
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return [rules.Busy(a.clinician_id, a.starts_at, a.ends_at) for a in session.scalars(query)]


def _free(
    session: Session,
    *,
    clinic: Clinic,
    kind: AppointmentType,
    mode: str,
    first_day: date,
    last_day: date,
    now: datetime,
    clinician_id: int | None = None,
    exclude_id: int | None = None,
    ignore_bookings: bool = False,
    min_notice_hours: int | None = None,
) -> list[rules.Slot]:
    zone = clinic.zone
    since = day_start(first_day - timedelta(days=1), zone)
    until = day_start(last_day + timedelta(days=2), zone)
    busy = (
        []
        if ignore_bookings
        else _busy(
            session,
            clinic_id=clinic.id,
            since=since,
            until=until,
            now=now,
            exclude_id=exclude_id,
        )
    )
    return rules.free_slots(
        blocks=_blocks(session, clinic.id),
        busy=busy,
        tz=clinic.timezone,
        minutes=kind.minutes,
        mode=mode,
        type_modes=kind.modes,
        first_day=first_day,
        last_day=last_day,
        now=now,
        min_notice_hours=clinic.min_booking_notice_hours
        if min_notice_hours is None
        else min_notice_hours,
        horizon_days=clinic.booking_horizon_days,
        clinician_id=clinician_id,
    )


def list_slots(
    session: Session,
    *,
    clinic: Clinic,
    type_ref: str,
    mode: str,
    first_day: date,
    last_day: date,
    clinician_id: int | None = None,
    now: datetime | None = None,
) -> list[SlotView]:
    """Free slots for this type and mode between two clinic-local days (inclusive)."""
    now = now or utcnow()
    if last_day < first_day:
        raise BookingError("the end date is before the start date")
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise BookingError(f"ask for at most {MAX_RANGE_DAYS} days at a time")
    kind = get_type(session, clinic_id=clinic.id, ref=type_ref)
    check_mode(kind, mode)
    check_clinician(session, clinic_id=clinic.id, clinician_id=clinician_id)
    names = {u.id: u.display_name for u in list_clinicians(session, clinic_id=clinic.id)}
    slots = _free(
        session,
        clinic=clinic,
        kind=kind,
        mode=mode,
        first_day=first_day,
        last_day=last_day,
        now=now,
        clinician_id=clinician_id,
    )
    return [SlotView(s.starts_at, s.ends_at, s.clinician_id, names[s.clinician_id]) for s in slots]


def pick_slot(
    session: Session,
    *,
    clinic: Clinic,
    kind: AppointmentType,
    mode: str,
    starts_at: datetime,
    clinician_id: int | None,
    now: datetime,
    prefer: int | None = None,
    exclude_id: int | None = None,
    min_notice_hours: int | None = None,
) -> rules.Slot:
    """The free slot starting at `starts_at` (SlotTaken when booked, BookingError if never open)."""
    day = local_date(starts_at, clinic.zone)

    def free(*, ignore_bookings: bool) -> list[rules.Slot]:
        return [
            s
            for s in _free(
                session,
                clinic=clinic,
                kind=kind,
                mode=mode,
                first_day=day,
                last_day=day,
                now=now,
                clinician_id=clinician_id,
                exclude_id=exclude_id,
                ignore_bookings=ignore_bookings,
                min_notice_hours=min_notice_hours,
            )
            if s.starts_at == starts_at
        ]

    matching = free(ignore_bookings=False)
    if not matching:
        open_at_all = free(ignore_bookings=True)
        if open_at_all:
            raise SlotTaken("That time was just taken. Please pick another time.")
        raise BookingError("That time is not open for booking. Please pick a time from the list.")
    for slot in matching:
        if slot.clinician_id == prefer:
            return slot
    return matching[0]
