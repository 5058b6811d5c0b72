"""Pure follow-up schedule: which questionnaires a person answers and which are due.

No database and no clock: dates are passed in (the clinic's local dates), and the settings come
from followup.yaml.

The baseline is due at the first visit: the first booked initial evaluation or the first care
plan, whichever came first (the service finds that date). Each instrument is then due
`interval_days` after its last response, so a late questionnaire moves the next one rather than
piling up two. After discharge no follow-up is due; a discharge questionnaire is due from the
discharge date unless one was answered in the week before it, and is no longer asked for a
week after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from popliteal.knowledge.schema import FollowupSettings

Occasion = Literal["baseline", "follow_up", "discharge"]
MAIN_INSTRUMENTS = ("koos", "lefs", "ikdc")


def main_instrument(settings: FollowupSettings, *, condition: str | None, preferred: str) -> str:
    """KOOS or the clinic's preferred instrument for knee-joint causes; LEFS for the causes
    followup.yaml lists (thigh, calf and nerve)."""
    if condition is not None and condition in settings.instruments.lefs_for_conditions:
        return "lefs"
    return preferred if preferred in MAIN_INSTRUMENTS else "koos"


def instruments_for(
    settings: FollowupSettings, *, condition: str | None, preferred: str
) -> tuple[str, ...]:
    """The person's questionnaires: the main instrument, then those everyone answers (NPRS)."""
    main = main_instrument(settings, condition=condition, preferred=preferred)
    return (main, *(i for i in settings.instruments.always if i != main))


@dataclass(frozen=True)
class Due:
    instrument: str
    occasion: Occasion
    due_on: date
    days_overdue: int


def due(
    today: date,
    baseline_on: date | None,
    responses: Mapping[str, Sequence[date]],
    interval_days: int,
    discharged_on: date | None,
    *,
    instruments: Sequence[str],
    settings: FollowupSettings,
) -> list[Due]:
    """The questionnaires due today or earlier, in the order of `instruments`.

    `responses` gives, per instrument, the dates of the person's responses (any occasion).
    Nothing is due before the first visit (`baseline_on` None or in the future).
    """
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    out: list[Due] = []
    window = timedelta(days=settings.schedule.discharge_window_days)
    for instrument in instruments:
        dates = sorted(responses.get(instrument, ()))
        if discharged_on is not None:
            if today < discharged_on or today > discharged_on + window:
                continue
            if any(d >= discharged_on - window for d in dates):
                continue
            out.append(Due(instrument, "discharge", discharged_on, (today - discharged_on).days))
            continue
        if baseline_on is None:
            continue
        if not dates:
            if baseline_on <= today:
                out.append(Due(instrument, "baseline", baseline_on, (today - baseline_on).days))
            continue
        next_on = max(dates[-1] + timedelta(days=interval_days), baseline_on)
        if next_on <= today:
            out.append(Due(instrument, "follow_up", next_on, (today - next_on).days))
    return out
