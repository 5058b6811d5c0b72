"""What the booking routers share: base.html made safe to render, the page and error
responses, the chosen time and clinician read from a form, and free slots grouped by day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi import Request
from fastapi.responses import Response

from popliteal import clock
from popliteal.accounts.deps import ClinicDep, OptionalUser
from popliteal.accounts.models import Clinic
from popliteal.booking import rules
from popliteal.booking.errors import BookingError
from popliteal.booking.slots import SlotView
from popliteal.clock import local_today
from popliteal.web.deps import DbSession
from popliteal.web.templating import render


def page_setup(request: Request, session: DbSession, clinic: ClinicDep, user: OptionalUser) -> None:
    """Make base.html safe to render on every page of this router, error pages included.

    Works around two foundation traps (reported to the lead): clinic_name() opens a second
    session, which on SQLite waits for the write lock this request's open transaction holds;
    and error pages raised by the auth dependencies render after get_db has rolled back and
    closed the session, so the nav bar's user would be expired and detached.
    """
    if getattr(request.app.state, "clinic_name", None) is None:
        request.app.state.clinic_name = clinic.name
    if user is not None and user in session:
        session.expunge(user)  # keeps its loaded attributes whatever the session does next


DAYS_SHOWN = 7


@dataclass(frozen=True)
class SlotChoice:
    time: str
    start: str
    clinician_id: int | None
    clinician_name: str


@dataclass(frozen=True)
class Day:
    label: str
    slots: list[SlotChoice]


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """The friendly error page with this status, title and message."""
    return render(
        request, "error.html", {"title": title, "messages": [message], "status": status}, status
    )


def clinic_today(clinic: Clinic) -> date:
    """Today on the clinic's wall clock."""
    return local_today(clinic.zone)


def start_param(moment: datetime) -> str:
    """A slot's start as it travels in links and forms (UTC, to the minute)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_start(raw: str) -> datetime | None:
    """A start time from a link or form; None unless it is valid and carries its offset."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_clinician(raw: str | None) -> int | None:
    """The chosen clinician's id (None: any); BookingError for anything else."""
    if raw is None or raw in ("", "any"):
        return None
    found = rules.row_id(raw)
    if found is None:
        raise BookingError("choose a clinician from the list")
    return found


def group_by_day(slots: list[SlotView], *, tz: str, any_clinician: bool) -> list[Day]:
    """Slots grouped by clinic-local day; for "any clinician" each time is listed once."""
    zone = clock.zone(tz)
    days: dict[date, list[SlotChoice]] = {}
    seen: set[datetime] = set()
    for s in slots:
        if any_clinician and s.starts_at in seen:
            continue
        seen.add(s.starts_at)
        local = s.starts_at.astimezone(zone)
        days.setdefault(local.date(), []).append(
            SlotChoice(
                time=local.strftime("%H:%M %Z"),
                start=start_param(s.starts_at),
                clinician_id=None if any_clinician else s.clinician_id,
                clinician_name="" if any_clinician else s.clinician_name,
            )
        )
    return [Day(d.strftime("%A %d %B %Y"), choices) for d, choices in sorted(days.items())]
