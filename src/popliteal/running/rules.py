"""Running load: daily and weekly distance, week-over-week change, single-run spikes, surfaces,
acute:chronic workload ratios, and the flags tied to pain (clinical-evidence.md §3.12).

Pure: no database, no clock (today is passed in), no I/O. Distances are kilometres inside; a
report converts them to the person's unit (km or miles) only for display. Thresholds come from
running.yaml; the windows that define the metrics (7 and 28 days, the 30-day look-back) are the
definitions the cited studies use and are fixed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from popliteal.knowledge.schema import MILE_KM, SURFACES, Cited, RunningSettings

KM_PER_MILE = MILE_KM  # 1.609344, the international mile
Unit = Literal["km", "mi"]
UNITS: tuple[Unit, ...] = ("km", "mi")

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
SPIKE_LOOKBACK_DAYS = 30
# A "run" shorter than this (a watch started by mistake, a few metres of GPS drift) is not a
# longest run to compare with: dividing by it would report a meaningless spike of millions of %.
MIN_COMPARABLE_RUN_KM = 0.1
EWMA_ACUTE_LAMBDA = 2 / (ACUTE_DAYS + 1)  # 0.25
EWMA_CHRONIC_LAMBDA = 2 / (CHRONIC_DAYS + 1)  # 2/29
MAX_RUN_KM = 1000.0  # a day's running above this is a data error, and keeps every sum finite
# Sums of distances converted from miles differ from the limit by a rounding error or two;
# "above" means above by more than that, so exactly 15 mi is not flagged.
_TOLERANCE = 1e-9

ACWR_CONVENTIONS = {
    "rolling": (
        "coupled: acute = mean daily distance of the last 7 days, chronic = mean daily distance "
        "of the last 28 days including them; null with fewer than 28 days or no chronic load"
    ),
    "ewma": (
        "EWMA_t = lambda * load_t + (1 - lambda) * EWMA_(t-1), lambda = 2/(N+1) with N = 7 "
        "(acute) and N = 28 (chronic), seeded with the first day's load; ratio on the last day; "
        "null when the chronic EWMA is 0"
    ),
}

_SURFACE_WORDS = {
    "road_or_concrete": "roads or concrete",
    "uneven_or_trail": "uneven ground or trails",
    "track_or_treadmill": "a track or treadmill",
    "grass_or_mixed": "grass or mixed ground",
}


def _check_pain(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{name} must be a whole number from 0 to 10, not {value!r}")


@dataclass(frozen=True)
class Run:
    """One run, or a day's total when only daily totals are known."""

    day: date
    distance_km: float
    surface: str | None = None  # one of SURFACES, or None when unknown
    pain_during: int | None = None  # 0-10
    pain_next_morning: int | None = None  # 0-10
    pain_before: int | None = None  # that morning's logged pain, when known
    duration_s: float | None = None
    walk_run_level: int | None = None  # set for return-to-run sessions

    def __post_init__(self) -> None:
        if not math.isfinite(self.distance_km) or not 0 <= self.distance_km <= MAX_RUN_KM:
            raise ValueError(
                f"distance_km must be from 0 to {MAX_RUN_KM:g}, not {self.distance_km!r}"
            )
        if self.surface is not None and self.surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, not {self.surface!r}")
        _check_pain("pain_during", self.pain_during)
        _check_pain("pain_next_morning", self.pain_next_morning)
        _check_pain("pain_before", self.pain_before)
        if self.duration_s is not None and not (
            math.isfinite(self.duration_s) and self.duration_s >= 0
        ):
            raise ValueError(f"duration_s must be a non-negative number, not {self.duration_s!r}")
        if self.walk_run_level is not None and self.walk_run_level < 1:
            raise ValueError(f"walk_run_level starts at 1, not {self.walk_run_level!r}")

    @property
    def baseline_pain(self) -> int | None:
        """The pain next morning's pain is compared with: the morning's log, else pain during."""
        return self.pain_before if self.pain_before is not None else self.pain_during

    @property
    def worse_next_morning(self) -> bool | None:
        """Did the knee hurt more next morning than its baseline? None while not known."""
        if self.pain_next_morning is None or self.baseline_pain is None:
            return None
        return self.pain_next_morning > self.baseline_pain


@dataclass(frozen=True)
class Flag:
    id: str
    message: str
    source: str  # a sources.yaml key, or "expert_judgement"


@dataclass(frozen=True)
class LoadReport:
    unit: Unit
    today: date
    days: int
    daily: list[float]  # in `unit`, oldest first, zero-filled
    weekly_totals: list[float]  # in `unit`, oldest first
    week_over_week_change_pct: float | None
    acwr_rolling: float | None
    acwr_ewma: float | None
    longest_run_spike_pct: float | None
    surface_share: dict[str, float]  # SURFACES keys + "unknown": shares of distance, 0..1
    flags: list[Flag]
    symptomatic: bool | None
    notes: list[str] = field(default_factory=list)
    usual_week: float | None = None  # in `unit`: mean of the full weeks in the 4 weeks before


def to_unit(km: float, unit: Unit) -> float:
    """Convert kilometres to the person's unit (the seeds speak in miles)."""
    if unit == "km":
        return km
    if unit == "mi":
        return km / KM_PER_MILE
    raise ValueError(f"unit must be 'km' or 'mi', not {unit!r}")


def daily_loads(runs: Sequence[Run], *, start: date, end: date) -> list[float]:
    """Kilometres per day from `start` to `end` inclusive, oldest first, 0 on days without runs.

    Several runs on one day add up; runs outside the range are left out. Empty when end < start.
    """
    n = (end - start).days + 1
    loads = [0.0] * max(n, 0)
    for run in runs:
        i = (run.day - start).days
        if 0 <= i < n:
            loads[i] += run.distance_km
    return loads


def weekly_totals(daily: Sequence[float]) -> list[float]:
    """Totals of consecutive 7-day blocks ending on the last day, oldest first.

    The oldest block may be partial and is still listed: 14 days give 2 totals, 10 days give
    [first 3 days, last 7 days], 0 days give [].
    """
    totals: list[float] = []
    end = len(daily)
    while end > 0:
        totals.append(math.fsum(daily[max(0, end - 7) : end]))
        end -= 7
    totals.reverse()
    return totals


def week_over_week_change_pct(weekly: Sequence[float]) -> float | None:
    """Percent change of the last weekly total over the one before: (last - prev) / prev * 100.

    None with fewer than 2 totals or when the previous week had under 100 m of running (no
    base to compare with: a watch started by mistake would make any week an "infinite" rise;
    the same floor as the single-run spike). The caller passes complete weeks only:
    `load_report` gives None while the previous block is partial (fewer than 14 days of
    history), since a 3-day block would inflate the increase.
    """
    if len(weekly) < 2:
        return None
    previous, last = weekly[-2], weekly[-1]
    if previous < MIN_COMPARABLE_RUN_KM:
        return None
    return (last - previous) / previous * 100


def usual_week_km(daily: Sequence[float]) -> float | None:
    """The person's usual week: the mean total of the full 7-day blocks in the 28 days before
    the last 7 (the chronic window, not coupled with this week). None without one full week.

    The 15-mile line is judged against it, so someone who has long run more is not flagged for
    doing what they always do.
    """
    before = list(daily[:-ACUTE_DAYS])[-CHRONIC_DAYS:]
    full = len(before) // ACUTE_DAYS
    if full == 0:
        return None
    weeks = [
        math.fsum(before[len(before) - (k + 1) * ACUTE_DAYS : len(before) - k * ACUTE_DAYS])
        for k in range(full)
    ]
    return math.fsum(weeks) / full


def about_pct(pct: float) -> str:
    """A percentage as people say it: whole under 20, then to 5, from 100 to 10 ("about 90")."""
    size = abs(pct)
    step = 1 if size < 20 else 5 if size < 100 else 10
    return f"{math.floor(size / step + 0.5) * step:g}"  # half up: 12.5 steps -> 13


def day_words(day: date) -> str:
    """A date as the pages write it: Tue 1 Dec."""
    return f"{day:%a} {day.day} {day:%b}"


def acwr_rolling(daily: Sequence[float]) -> float | None:
    """Coupled rolling acute:chronic ratio on the last day (Gabbett 2016).

    Acute = mean of the last 7 days, chronic = mean of the last 28 days including those 7.
    None with fewer than 28 days of history (chronic window incomplete) or a chronic load of 0.
    """
    if len(daily) < CHRONIC_DAYS:
        return None
    acute = math.fsum(daily[-ACUTE_DAYS:]) / ACUTE_DAYS
    chronic = math.fsum(daily[-CHRONIC_DAYS:]) / CHRONIC_DAYS
    if chronic <= 0:
        return None
    return acute / chronic


def acwr_ewma(daily: Sequence[float]) -> float | None:
    """Exponentially weighted acute:chronic ratio on the last day.

    lambda = 2/(N+1) with N = 7 (acute) and 28 (chronic); EWMA_t = lambda * load_t +
    (1 - lambda) * EWMA_(t-1), both seeded with the first day's load, so a value exists from day
    1 (1.0 on a single day with running). None for no days or a chronic EWMA of 0.
    """
    if not daily:
        return None
    acute = chronic = daily[0]
    for load in daily[1:]:
        acute = EWMA_ACUTE_LAMBDA * load + (1 - EWMA_ACUTE_LAMBDA) * acute
        chronic = EWMA_CHRONIC_LAMBDA * load + (1 - EWMA_CHRONIC_LAMBDA) * chronic
    if chronic <= 0:
        return None
    return acute / chronic


@dataclass(frozen=True)
class _Spike:
    longest_km: float
    day: date
    previous_km: float

    @property
    def pct(self) -> float:
        return (self.longest_km - self.previous_km) / self.previous_km * 100


def _spike(runs: Sequence[Run], today: date) -> _Spike | None:
    recent = [r for r in runs if 0 <= (today - r.day).days < 7 and r.distance_km > 0]
    if not recent:
        return None
    longest = max(r.distance_km for r in recent)
    # Of equally long runs the first counts: later ones are compared with it and show no spike.
    day = min(r.day for r in recent if r.distance_km == longest)
    before = [
        r.distance_km
        for r in runs
        if 1 <= (day - r.day).days <= SPIKE_LOOKBACK_DAYS and r.distance_km >= MIN_COMPARABLE_RUN_KM
    ]
    if not before:
        return None
    return _Spike(longest_km=longest, day=day, previous_km=max(before))


def longest_run_spike_pct(runs: Sequence[Run], *, today: date) -> float | None:
    """How much longer the longest run of the last 7 days is than the longest run of the 30 days
    before it, in percent: (L - P) / P * 100 (Frandsen 2025, Garmin-RUNSAFE).

    The last 7 days end today. Several runs on one day are separate runs (not added up); runs on
    the longest run's own day are not "before" it. Of equally long runs the earliest counts.
    None when there is no run in the last 7 days or none of at least 100 m in the 30 days before
    it. Negative when the recent longest run is shorter.
    """
    spike = _spike(runs, today)
    return None if spike is None else spike.pct


def surface_share(runs: Sequence[Run], *, today: date, days: int = 28) -> dict[str, float]:
    """Share of distance (0..1) on each surface in the `days` days ending today.

    Keys: every SURFACES key plus "unknown" (no surface recorded). All 0 when there was no
    distance in the window.
    """
    totals = dict.fromkeys((*SURFACES, "unknown"), 0.0)
    for run in runs:
        if 0 <= (today - run.day).days < days:
            totals[run.surface or "unknown"] += run.distance_km
    total = math.fsum(totals.values())
    if total <= 0:
        return dict.fromkeys(totals, 0.0)
    return {key: km / total for key, km in totals.items()}


def symptomatic_from_pain(
    pain: Sequence[tuple[date, int]], *, today: date, settings: RunningSettings
) -> bool | None:
    """Is the knee symptomatic: any logged pain at or above the threshold within the window?

    `pain` holds (day, 0-10) knee-pain scores from any log (mornings, sessions, runs). None when
    nothing was logged in the window: unknown, which the load flags treat as symptomatic.
    """
    rule = settings.load.symptomatic
    recent = [score for day, score in pain if 0 <= (today - day).days < rule.window_days]
    if not recent:
        return None
    return max(recent) >= rule.pain_at_least


def _num(x: float) -> str:
    """A number for a message: at most 2 decimals, no trailing zeros (24.14, 15, 10.01)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _source(cited: Cited) -> str:
    return cited.source if cited.source is not None else "expert_judgement"


def _above(value: float, limit: float) -> bool:
    return value > limit + _TOLERANCE


def load_report(
    runs: Sequence[Run],
    *,
    today: date,
    settings: RunningSettings,
    unit: Unit = "km",
    symptomatic: bool | None = None,
    start: date | None = None,
) -> LoadReport:
    """Compute every load metric and flag for the runs up to and including `today`.

    The daily series runs from `start` (default: the first run's day; today when there are no
    runs) to today; runs before `start` or after today are left out of everything. Distances
    are shown in `unit`; ratios and percentages are unitless. `symptomatic` None means unknown:
    the symptomatic-only flags then assume a painful knee and say so.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be 'km' or 'mi', not {unit!r}")
    notes: list[str] = []
    later = sum(1 for r in runs if r.day > today)
    if later:
        notes.append(f"{later} run(s) dated after {today.isoformat()} left out")
    if start is None:
        start = min((r.day for r in runs if r.day <= today), default=today)
    if start > today:
        raise ValueError(f"start {start.isoformat()} is after today {today.isoformat()}")
    kept = [r for r in runs if start <= r.day <= today]

    daily_km = daily_loads(kept, start=start, end=today)
    weekly_km = weekly_totals(daily_km)
    days = len(daily_km)
    wow = week_over_week_change_pct(weekly_km) if days >= 2 * ACUTE_DAYS else None
    if days < 2 * ACUTE_DAYS:
        notes.append(f"week-over-week change needs two full weeks: {days} of {2 * ACUTE_DAYS} days")
    elif wow is None:
        notes.append("week-over-week change not computed: no running in the previous week")
    rolling = acwr_rolling(daily_km)
    ewma = acwr_ewma(daily_km)
    if days < CHRONIC_DAYS:
        notes.append(
            f"chronic window incomplete: {days} of {CHRONIC_DAYS} days; no 4-week ratio yet, "
            f"and the weighted ratio rests on {days} day(s) only"
        )
    elif rolling is None:
        notes.append("rolling ratio not computed: no running in the last 28 days")
    if ewma is None:
        notes.append("weighted ratio not computed: no running in the series")
    spike = _spike(kept, today)
    usual = usual_week_km(daily_km)
    shares = surface_share(kept, today=today, days=settings.load.surface_majority.window_days)
    if symptomatic is None:
        notes.append("symptom status unknown: flags that apply while symptomatic assume it is")

    flags = _flags(
        kept,
        today=today,
        settings=settings,
        unit=unit,
        symptomatic=symptomatic,
        last_7_km=math.fsum(daily_km[-ACUTE_DAYS:]),
        usual_km=usual,
        weekly_km=weekly_km,
        wow=wow,
        rolling=rolling,
        ewma=ewma,
        spike=spike,
        shares=shares,
    )
    return LoadReport(
        unit=unit,
        today=today,
        days=days,
        daily=[to_unit(km, unit) for km in daily_km],
        weekly_totals=[to_unit(km, unit) for km in weekly_km],
        week_over_week_change_pct=wow,
        acwr_rolling=rolling,
        acwr_ewma=ewma,
        longest_run_spike_pct=None if spike is None else spike.pct,
        surface_share=shares,
        flags=flags,
        symptomatic=symptomatic,
        notes=notes,
        usual_week=None if usual is None else to_unit(usual, unit),
    )


def _flags(
    runs: Sequence[Run],
    *,
    today: date,
    settings: RunningSettings,
    unit: Unit,
    symptomatic: bool | None,
    last_7_km: float,
    usual_km: float | None,
    weekly_km: Sequence[float],
    wow: float | None,
    rolling: float | None,
    ewma: float | None,
    spike: _Spike | None,
    shares: dict[str, float],
) -> list[Flag]:
    """The load flags, in a fixed order; only the highest single-run spike tier is kept."""
    rules = settings.load
    flags: list[Flag] = []

    def dist(km: float) -> str:
        return f"{_num(to_unit(km, unit))} {unit}"

    painful = symptomatic is not False
    assumed = (
        " We do not know whether your knee hurts at the moment, so we assumed it does."
        if symptomatic is None
        else ""
    )

    limit = rules.weekly_limit
    usual_rule = rules.weekly_limit_above_usual
    if _above(last_7_km, limit.km):
        ran = f"You ran {dist(last_7_km)} in the last 7 days, above {dist(limit.km)} a week"
        if symptomatic is True:
            flags.append(
                Flag(
                    "weekly_over_limit",
                    f"{ran}, while your knee hurts. Running more than that is a common reason "
                    "for knee pain. Run less until the knee settles.",
                    _source(limit),
                )
            )
        elif usual_km is None and symptomatic is None:
            flags.append(
                Flag(
                    "weekly_over_limit",
                    f"{ran}. We do not have your earlier weeks to compare with. Running more "
                    "than that is a common reason for knee pain in people building up their "
                    "running, so build up slowly." + assumed,
                    _source(limit),
                )
            )
        elif usual_km is not None and _above(
            last_7_km, usual_km * (1 + usual_rule.above_pct / 100)
        ):
            more = (last_7_km - usual_km) / usual_km * 100 if usual_km > 0 else None
            than = (
                f"about {about_pct(more)}% more than your usual week ({dist(usual_km)})"
                if more is not None
                else "after weeks without running"
            )
            flags.append(
                Flag(
                    "weekly_over_limit",
                    f"{ran}, {than}. More than {dist(limit.km)} a week is a common reason for "
                    "knee pain in people building up their running. Build up more slowly: "
                    f"no more than {_num(usual_rule.above_pct)}% above your usual week.",
                    _source(usual_rule),
                )
            )

    if spike is not None:
        fired = [t for t in rules.run_spike_tiers if _above(spike.pct, t.above_pct)]
        if fired:
            tier = fired[-1]
            flags.append(
                Flag(
                    tier.id,
                    f"Your run of {dist(spike.longest_km)} on {day_words(spike.day)} was about "
                    f"{about_pct(spike.pct)}% longer than your longest run in the 30 days "
                    f"before it ({dist(spike.previous_km)}). Single runs "
                    "this much longer than usual raise the injury risk; keep each run within "
                    f"{_num(rules.run_spike_tiers[0].above_pct)}% of your recent longest.",
                    _source(tier),
                )
            )

    increase = rules.week_over_week
    if wow is not None and _above(wow, increase.above_pct):
        flags.append(
            Flag(
                "weekly_increase_over_30",
                f"You ran about {about_pct(wow)}% more than the week before "
                f"({dist(weekly_km[-2])}, then {dist(weekly_km[-1])}). Adding more than "
                f"{_num(increase.above_pct)}% in a week was linked to more injuries in new "
                "runners.",
                _source(increase),
            )
        )

    acwr = rules.acwr
    over = [value for value in (rolling, ewma) if value is not None and _above(value, acwr.above)]
    if over:
        flags.append(
            Flag(
                "acwr_over_1_5",
                f"Your last 7 days were about {max(over):.1f} times your usual running of the "
                f"last 4 weeks, more than {_num(acwr.above)} times. This is a rough guide only: "
                f"{acwr.contested}.",
                _source(acwr),
            )
        )

    surfaces = rules.surface_majority
    for flag_id, surface in (
        ("mostly_hard_surface", "road_or_concrete"),
        ("mostly_uneven_surface", "uneven_or_trail"),
    ):
        share = shares[surface]
        if painful and _above(share, surfaces.above_share):
            flags.append(
                Flag(
                    flag_id,
                    f"About {round(share * 100)}% of your distance in the last "
                    f"{surfaces.window_days} days was on {_SURFACE_WORDS[surface]}, more than "
                    f"{_num(surfaces.above_share * 100)}%. While the knee hurts, try level, "
                    f"softer ground such as a track, treadmill or grass ({surfaces.caveat})."
                    + assumed,
                    _source(surfaces),
                )
            )

    recent = [r for r in runs if 0 <= (today - r.day).days < ACUTE_DAYS]
    ceiling = rules.run_pain
    hurt = [
        r for r in recent if r.pain_during is not None and r.pain_during > ceiling.pain_during_max
    ]
    if hurt:
        worst = max(hurt, key=lambda r: (r.pain_during or 0, r.day))
        flags.append(
            Flag(
                "pain_during_run_over_3",
                f"Your knee hurt {worst.pain_during}/10 during your run on "
                f"{day_words(worst.day)}, above {ceiling.pain_during_max}/10. Run less, or go "
                f"back a level, until runs hurt {ceiling.pain_during_max}/10 or less.",
                _source(ceiling),
            )
        )

    worse = [r for r in recent if r.worse_next_morning]
    if worse:
        last = max(worse, key=lambda r: r.day)
        flags.append(
            Flag(
                "worse_next_morning",
                f"The morning after your run on {day_words(last.day)} your knee hurt "
                f"{last.pain_next_morning}/10, more than the {last.baseline_pain}/10 before. "
                f"{rules.next_morning.text} Until it is, run less or rest.",
                _source(rules.next_morning),
            )
        )
    return flags
