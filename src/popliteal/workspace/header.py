"""The patient header: who this is and where they stand, in one line a clinician reads before
anything else on a patient page (issue 18): name, age, side, main complaint, urgency, open
alerts and next visit.

Built from the same sources as the patient list (screening standing, open alerts, booked
appointments), so the header and the list never disagree about a person's urgency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import User
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import AppointmentRead
from popliteal.alerts import service as alerts_service
from popliteal.booking import service as booking_service
from popliteal.booking.models import Appointment
from popliteal.booking.views import AppointmentView
from popliteal.db import reading
from popliteal.errors import NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import urgency_rank
from popliteal.screening import staff_service
from popliteal.screening import standing as screening_standing
from popliteal.screening.models import Screening
from popliteal.workspace.service import STAFF_ONLY, appointment_read, appointments_query

SIDES = {"left": "Left knee", "right": "Right knee", "both": "Both knees"}


@dataclass(frozen=True)
class PatientHeader:
    """What the header card shows; None where the record does not say."""

    patient_id: int
    full_name: str
    age: int | None
    side: str | None
    complaint: str | None
    urgency: str | None
    urgency_label: str | None
    open_alerts: int
    next_visit: AppointmentRead | None


def age_on(born: date | None, today: date, stated: Any = None) -> int | None:
    """Age in whole years on `today`; the age the person gave in a screening when the record
    has no date of birth (the screening asks for it; registration does not)."""
    if born is not None:
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if isinstance(stated, int | float) and not isinstance(stated, bool) and 0 <= stated < 130:
        return int(stated)
    return None


def _newest_answer(screenings: Sequence[Screening], finding: str) -> Any:
    return next((s.answers[finding] for s in screenings if finding in (s.answers or {})), None)


def _complaint(screenings: Sequence[Screening]) -> str | None:
    """The top condition of the newest ranking, in the words the patient sees."""
    for screening in screenings:
        ranked = (screening.result or {}).get("conditions") or []
        if ranked:
            top = ranked[0]
            return str(top.get("patient_name") or top.get("name") or "") or None
    return None


def patient_header(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int, now: datetime
) -> PatientHeader:
    """The header of one patient of the actor's clinic (NotAllowed otherwise); a read only,
    the page that shows it audits the read of the record."""
    with reading(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        clinic = accounts_service.staff_clinic(session, actor)
        screenings = session.scalars(
            select(Screening)
            .where(Screening.patient_id == patient.id, Screening.status == "complete")
            .order_by(Screening.created_at.desc(), Screening.id.desc())
        ).all()
        standing = screening_standing.patient_standing(session, [patient.id]).get(patient.id)
        alerts = alerts_service.open_alerts_of(session, actor=actor, patient_ids=[patient.id])
        upcoming = session.execute(
            appointments_query()
            .where(
                Appointment.patient_id == patient.id,
                Appointment.status == "booked",
                Appointment.starts_at >= now,
            )
            .order_by(Appointment.starts_at)
            .limit(1)
        ).first()
        next_visit = None
        if upcoming is not None:
            appointment, kind, clinician = upcoming
            next_visit = appointment_read(appointment, kind, clinician, clinic.timezone)
        # as the patient list: an open alert is never hidden by a calmer screening
        urgencies = [standing.urgency] if standing else []
        urgencies += [a.urgency for a in alerts if a.urgency]
        urgency = min(urgencies, key=lambda u: urgency_rank(u, unknown=9), default=None)
        side = _newest_answer(screenings, "knee_side")
        return PatientHeader(
            patient_id=patient.id,
            full_name=patient.full_name,
            age=age_on(
                patient.date_of_birth,
                clock.local_today(clinic.timezone, now),
                _newest_answer(screenings, "age_years"),
            ),
            side=SIDES.get(side) if isinstance(side, str) else None,
            complaint=_complaint(screenings),
            urgency=urgency,
            urgency_label=staff_service.URGENCY_LABELS.get(urgency, urgency) if urgency else None,
            open_alerts=len(alerts),
            next_visit=next_visit,
        )


def page_header_builder(kb: Knowledge) -> Callable[[Session, User, int], PatientHeader | None]:
    """The builder base.html calls for every staff page about one person (the app factory puts
    it on `app.state.patient_header`; web/templating.py `staff_patient_header`): the request's
    session, the signed-in staff member and the patient id from the URL. None when the patient
    is not one of the clinic's: the page itself answers that with its 404 (and its audit)."""

    def build(session: Session, user: User, patient_id: int) -> PatientHeader | None:
        actor = accounts_service.actor_for(session, user)
        try:
            return patient_header(
                session, kb=kb, actor=actor, patient_id=patient_id, now=clock.utcnow()
            )
        except NotAllowed:
            return None

    return build


def my_next_visit(session: Session, user: User) -> AppointmentView | None:
    """The signed-in person's soonest booked visit, for pages on floors below booking (the
    screening result offers it instead of another "Book a free screening"; the app factory puts
    it on `app.state.my_next_visit`, web/templating.py `my_next_visit`). None for staff."""
    if user.is_staff:
        return None
    actor = accounts_service.actor_for(session, user)
    return booking_service.next_visit(session, actor=actor, now=clock.utcnow())
