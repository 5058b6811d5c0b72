"""The graded walk-run programme: which level to do next, and when (clinical-evidence.md §3.12).

Pure: no database, no clock (today is passed in). Levels and rules come from running.yaml:
University of Delaware levels (at most 4 sessions in any 7 days, not on consecutive days, no more
than 2 levels up in 7 days) and the military return-to-run protocol (repeat each level at least
twice, level surfaces). A level is passed only with pain during at most 3/10, no more pain next
morning than before, on a preferred surface. Every run counts for rest days and weekly volume,
not only walk-run sessions: a knee does not care which programme a run belonged to.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from popliteal.knowledge.schema import RunningSettings
from popliteal.running.rules import KM_PER_MILE, Run

Action = Literal["start", "repeat", "progress", "step_back", "rest"]
_WEEK = 7
_SURFACE_WORDS = {
    "road_or_concrete": "road or concrete",
    "uneven_or_trail": "uneven ground or trail",
    "track_or_treadmill": "a track or treadmill",
    "grass_or_mixed": "grass or mixed ground",
}


@dataclass(frozen=True)
class WalkRunAdvice:
    level: int  # the level to do next
    action: Action
    reason: str  # plain English
    can_run_today: bool
    next_run_on: date
    sessions_this_week: int  # runs in the 7 days ending today
    max_sessions_per_week: int
    weekly_cap_km: float
    planned_week_km: float  # the planned sessions in the 7 days from today, at `level`
    preferred_surfaces: list[str]


@dataclass(frozen=True)
class WalkRunLevelInfo:
    number: int
    description: str
    distance_km: float
    distance_mi: float
    segments: list[tuple[str, float]]  # (walk / jog / run, miles), in order
    repeats: int | None  # None: alternate the segments until the distance is covered


def walk_run_levels(settings: RunningSettings) -> list[WalkRunLevelInfo]:
    """The programme's levels, easiest first, for pages and handouts."""
    return [
        WalkRunLevelInfo(
            number=level.level,
            description=level.description,
            distance_km=level.total_miles * KM_PER_MILE,
            distance_mi=level.total_miles,
            segments=[(s.activity, s.miles) for s in level.segments],
            repeats=level.repeats,
        )
        for level in settings.walk_run.levels
    ]


@dataclass(frozen=True)
class _Decision:
    level: int
    action: Action
    reason: str


def _surface(run: Run) -> str:
    return _SURFACE_WORDS[run.surface] if run.surface else "an unrecorded surface"


def _passed(run: Run, *, pain_max: int, preferred: Sequence[str]) -> bool:
    """Was this session done within the pain rules, next morning known, on a preferred surface?"""
    return (
        run.pain_during is not None
        and run.pain_during <= pain_max
        and run.worse_next_morning is False
        and run.surface in preferred
    )


def _decide(
    sessions: Sequence[Run], *, today: date, settings: RunningSettings, start_level: int
) -> _Decision:
    """The level for the next session and why, from the walk-run sessions so far."""
    programme = settings.walk_run
    top = len(programme.levels)
    pain_max = settings.load.run_pain.pain_during_max
    preferred = list(programme.preferred_surfaces.surfaces)
    if not sessions:
        return _Decision(
            start_level, "start", f"Start the walk-run programme at level {start_level}."
        )
    last = sessions[-1]
    current = last.walk_run_level or start_level
    lower = max(1, current - 1)
    on = last.day.isoformat()
    back = (
        f"go back to level {lower}"
        if lower < current
        else "stay at level 1, and talk to your clinician if it keeps hurting"
    )
    if last.pain_during is not None and last.pain_during > pain_max:
        return _Decision(
            lower,
            "step_back",
            f"Your knee hurt {last.pain_during}/10 during level {current} on {on}, above "
            f"{pain_max}/10: {back}.",
        )
    if last.worse_next_morning:
        return _Decision(
            lower,
            "step_back",
            f"The morning after level {current} on {on} your knee hurt "
            f"{last.pain_next_morning}/10, more than the {last.baseline_pain}/10 before: {back}.",
        )
    if last.pain_during is None:
        return _Decision(
            current,
            "repeat",
            f"Pain during your level {current} session on {on} was not recorded: repeat level "
            f"{current} and note how much the knee hurts (0-10).",
        )
    if last.pain_next_morning is None:
        return _Decision(
            current,
            "repeat",
            f"Next-morning pain after your level {current} session on {on} is not known yet: "
            f"repeat level {current}, and move up only once you know the knee settled overnight.",
        )
    if last.surface not in preferred:
        return _Decision(
            current,
            "repeat",
            f"Your last session was on {_surface(last)}: repeat level {current} on level ground "
            "(a track, treadmill or grass) before moving up.",
        )
    streak = 0
    for run in reversed(sessions):
        if run.walk_run_level != current or not _passed(
            run, pain_max=pain_max, preferred=preferred
        ):
            break
        streak += 1
    needed = programme.min_sessions_per_level.value
    if streak < needed:
        return _Decision(
            current,
            "repeat",
            f"Level {current} done without trouble {streak} time(s) in a row; do it {needed} "
            "times before moving up.",
        )
    if current >= top:
        return _Decision(
            top,
            "repeat",
            f"You have completed the last level ({top}) without trouble: keep to it and ask "
            "your clinician about going back to your usual running.",
        )
    allowed = programme.max_levels_per_7_days.value
    moved = sum(
        1
        for prev, run in itertools.pairwise(sessions)
        if 0 <= (today - run.day).days < _WEEK
        and (run.walk_run_level or 0) > (prev.walk_run_level or 0)
    )
    if moved >= allowed:
        return _Decision(
            current,
            "repeat",
            f"You moved up {moved} levels in the last 7 days, the most allowed: repeat level "
            f"{current} for now.",
        )
    return _Decision(
        current + 1,
        "progress",
        f"Level {current} went well {streak} times in a row (pain at most {pain_max}/10, no "
        f"more pain next morning, on level ground): move up to level {current + 1}.",
    )


def walk_run_advice(
    runs: Sequence[Run], *, today: date, settings: RunningSettings, start_level: int = 1
) -> WalkRunAdvice:
    """What to do next in the walk-run programme: which level, whether today, and why.

    `runs` are the person's runs (walk-run sessions have `walk_run_level` set); runs after today
    are ignored. Progress needs the required number of passed sessions in a row at the current
    level and at most 2 level rises in the 7 days ending today; pain above the ceiling during a
    session, or more pain next morning, steps back a level; unknown pain holds the level. A run
    today or yesterday, 4 runs in the last 7 days, or the weekly cap means rest: `next_run_on`
    says when, and `reason` also tells the level for then.
    """
    programme = settings.walk_run
    top = len(programme.levels)
    if not 1 <= start_level <= top:
        raise ValueError(f"start_level must be from 1 to {top}, not {start_level}")
    done = sorted((r for r in runs if r.day <= today and r.distance_km > 0), key=lambda r: r.day)
    sessions = [r for r in done if r.walk_run_level is not None]
    for run in sessions:
        if run.walk_run_level is not None and run.walk_run_level > top:
            raise ValueError(f"walk_run_level {run.walk_run_level} is above the last level {top}")
    decision = _decide(sessions, today=today, settings=settings, start_level=start_level)
    level_km = programme.levels[decision.level - 1].total_miles * KM_PER_MILE
    cap_km = programme.weekly_cap.share_of_limit * settings.load.weekly_limit.km
    max_sessions = programme.max_sessions_per_week.value
    history = [(r.day, r.distance_km) for r in done]

    def blocked(day: date, planned: Sequence[tuple[date, float]]) -> str | None:
        """Why no session fits on `day`, or None when one does."""
        runs_so_far = [*history, *planned]
        if any(d == day for d, _ in runs_so_far):
            return "you already ran today" if day == today else "a run is planned that day"
        if any(d == day - timedelta(days=1) for d, _ in runs_so_far):
            return "you ran yesterday; keep a rest day between runs"
        window = [(d, km) for d, km in runs_so_far if 1 <= (day - d).days < _WEEK]
        if len(window) >= max_sessions:
            return f"you have had {len(window)} runs in the last 7 days, the most allowed"
        if math.fsum(km for _, km in window) + level_km > cap_km + 1e-9:
            return f"another session would take the week over {cap_km / KM_PER_MILE:.0f} miles"
        return None

    next_run_on = next(
        today + timedelta(days=i)
        for i in range(_WEEK + 1)
        if not blocked(today + timedelta(days=i), [])
    )
    planned: list[tuple[date, float]] = []
    for i in range(_WEEK):
        day = today + timedelta(days=i)
        if blocked(day, planned) is None:
            planned.append((day, level_km))

    can_run_today = next_run_on == today
    action: Action = decision.action
    reason = decision.reason
    if not can_run_today:
        why = blocked(today, [])
        action = "rest"
        reason = (
            f"Rest today: {why}. Next session on {next_run_on.isoformat()} (level "
            f"{decision.level}). {decision.reason}"
        )
    return WalkRunAdvice(
        level=decision.level,
        action=action,
        reason=reason,
        can_run_today=can_run_today,
        next_run_on=next_run_on,
        sessions_this_week=sum(1 for d, _ in history if 0 <= (today - d).days < _WEEK),
        max_sessions_per_week=max_sessions,
        weekly_cap_km=cap_km,
        planned_week_km=math.fsum(km for _, km in planned),
        preferred_surfaces=list(programme.preferred_surfaces.surfaces),
    )
