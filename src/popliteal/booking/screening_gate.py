"""The triage gate: which screening a booking attaches, which one it offers, and whether an
emergency or urgent result refuses online booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.booking import rules
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.screening import service as screening_service
from popliteal.screening.models import Screening

# Every booking answers to this browser's or patient's newest screening of the last 30 days:
# leaving out the link must not get past the triage gate. That screening is only *offered*
# to the person, never attached unless they choose it: a shared browser must not hand one
# person's screening to another's record.
RECENT_SCREENING_DAYS = 30


def _recent_screening(
    session: Session, *, visitor_token: str | None, actor: Actor | None, now: datetime
) -> Screening | None:
    """The newest complete screening this visitor or patient took in the last 30 days."""
    mine = []
    if actor is not None and actor.patient_id is not None:
        mine.append(Screening.patient_id == actor.patient_id)
    if visitor_token:
        mine.append(
            and_(
                Screening.patient_id.is_(None),
                Screening.token_hash == screening_service.visitor_hash(visitor_token),
            )
        )
    if not mine:
        return None
    return session.scalar(
        select(Screening)
        .where(
            or_(*mine),
            Screening.status == "complete",
            Screening.created_at >= now - timedelta(days=RECENT_SCREENING_DAYS),
        )
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ScreeningChoice:
    """What a booking does with screenings.

    `chosen` is the screening the person chose to attach (None: attach nothing); `offered` is
    the one to offer as a choice (the chosen one, else this browser's or patient's newest calm
    screening of the last 30 days); `refusal` says why booking is not offered, and `gate` is
    the screening that refuses (the chosen one or the newest recent one, chosen or not).
    """

    chosen: Screening | None = None
    offered: Screening | None = None
    gate: Screening | None = None
    refusal: str | None = None


def choose_screening(
    session: Session,
    *,
    screening_id: str | None,
    use_recent: bool,
    visitor_token: str | None,
    actor: Actor | None,
    client_address: str,
    now: datetime,
) -> ScreeningChoice:
    chosen = None
    if screening_id:
        chosen = screening_service.get_visible(
            session,
            screening_id=screening_id,
            visitor_token=visitor_token,
            actor=actor,
            address=client_address,
        )
        refusal = rules.screening_refusal(urgency=chosen.urgency, status=chosen.status)
        if refusal:
            return ScreeningChoice(chosen=chosen, gate=chosen, refusal=refusal)
    recent = _recent_screening(session, visitor_token=visitor_token, actor=actor, now=now)
    if recent is not None:
        refusal = rules.screening_refusal(urgency=recent.urgency, status=recent.status)
        if refusal:
            return ScreeningChoice(chosen=chosen, gate=recent, refusal=refusal)
    if chosen is None and use_recent:
        chosen = recent
    return ScreeningChoice(chosen=chosen, offered=chosen or recent)


def screening_for_booking(
    session: Session,
    *,
    screening_id: str | None,
    visitor_token: str | None,
    actor: Actor | None,
    client_address: str = "",
    now: datetime | None = None,
) -> ScreeningChoice:
    """The screening a booking would attach (only `screening_id`), the one to offer, and why
    booking is refused (None: it is not).

    The gate also answers to this browser's or patient's newest screening of the last 30
    days, chosen or not: an emergency or urgent result there blocks online booking just the
    same.
    """
    with transaction(session):  # get_visible writes a read audit row
        choice = choose_screening(
            session,
            screening_id=screening_id,
            use_recent=False,
            visitor_token=visitor_token,
            actor=actor,
            client_address=client_address,
            now=now or utcnow(),
        )
    return choice
