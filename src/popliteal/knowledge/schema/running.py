"""running.yaml: the running load flags and the walk-run programme (the whole file is what the
running rules take)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, CitedNote, Text, _Strict

Surface = Literal["road_or_concrete", "uneven_or_trail", "track_or_treadmill", "grass_or_mixed"]
SURFACES: tuple[str, ...] = Surface.__args__  # type: ignore[attr-defined]
MILE_KM = 1.609344  # the international mile, exactly


class WeeklyLimit(Cited):
    """Weekly distance flagged while symptomatic or well above the usual week; in miles, the
    unit the seed page uses."""

    miles: float = Field(gt=0, le=200)

    @property
    def km(self) -> float:
        return self.miles * MILE_KM


class SpikeTier(Cited):
    id: Literal["run_spike_10", "run_spike_30", "run_spike_100"]
    above_pct: float = Field(gt=0, le=1000)


class PercentRule(Cited):
    above_pct: float = Field(gt=0, le=1000)


class AcwrRule(Cited):
    above: float = Field(gt=1, le=5)
    contested: Text  # why the ratio is only a secondary guard; shown with the flag


class PainCeiling(Cited):
    pain_during_max: int = Field(ge=0, le=10)


class SurfaceRule(Cited):
    above_share: float = Field(gt=0, lt=1)
    window_days: int = Field(ge=7, le=90)
    caveat: Text  # what the studies say about surfaces; shown with the flag


class SymptomaticRule(Cited):
    """The person counts as symptomatic with knee pain this high within the window."""

    window_days: int = Field(ge=1, le=90)
    pain_at_least: int = Field(ge=1, le=10)


class LoadRules(_Strict):
    weekly_limit: WeeklyLimit
    weekly_limit_above_usual: PercentRule
    run_spike_tiers: list[SpikeTier] = Field(min_length=1)
    week_over_week: PercentRule
    not_the_10_percent_rule: CitedNote
    acwr: AcwrRule
    run_pain: PainCeiling
    next_morning: CitedNote
    surface_majority: SurfaceRule
    symptomatic: SymptomaticRule

    @model_validator(mode="after")
    def _tiers_ascending(self) -> LoadRules:
        pcts = [t.above_pct for t in self.run_spike_tiers]
        ids = [t.id for t in self.run_spike_tiers]
        if pcts != sorted(set(pcts)) or len(set(ids)) != len(ids):
            raise ValueError("run_spike_tiers need distinct ids and strictly rising above_pct")
        return self


class WalkRunSegment(_Strict):
    activity: Literal["walk", "jog", "run"]
    miles: float = Field(gt=0, le=10)


class WalkRunLevel(Cited):
    """One level: `segments` done `repeats` times, or alternated until `total_miles` (null)."""

    level: int = Field(ge=1, le=20)
    segments: list[WalkRunSegment] = Field(min_length=1, max_length=2)
    repeats: int | None = Field(default=None, ge=1, le=50)
    total_miles: float = Field(gt=0, le=10)
    description: Text

    @property
    def total_km(self) -> float:
        return self.total_miles * MILE_KM

    @model_validator(mode="after")
    def _adds_up(self) -> WalkRunLevel:
        lap = sum(s.miles for s in self.segments)
        if self.repeats is not None and abs(self.repeats * lap - self.total_miles) > 1e-6:
            raise ValueError(
                f"level {self.level}: {self.repeats} x {lap:g} mi is not total_miles "
                f"{self.total_miles:g}"
            )
        if lap > self.total_miles + 1e-6:
            raise ValueError(f"level {self.level}: the segments are longer than total_miles")
        return self


class CitedCount(Cited):
    value: int = Field(ge=1, le=14)


class PreferredSurfaces(Cited):
    surfaces: list[Surface] = Field(min_length=1)


class WeeklyCap(Cited):
    """Walk-run weekly volume stays at this share of the flagged weekly limit, or below."""

    share_of_limit: float = Field(gt=0, lt=1)


class WalkRunProgramme(_Strict):
    levels: list[WalkRunLevel] = Field(min_length=2)
    max_sessions_per_week: CitedCount
    rest_day_between_runs: CitedNote
    max_levels_per_7_days: CitedCount
    min_sessions_per_level: CitedCount
    preferred_surfaces: PreferredSurfaces
    weekly_cap: WeeklyCap

    @model_validator(mode="after")
    def _numbered(self) -> WalkRunProgramme:
        numbers = [lv.level for lv in self.levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("levels must be numbered 1, 2, 3, ... in order")
        return self


class RunningFile(_Strict):
    load: LoadRules
    walk_run: WalkRunProgramme

    @model_validator(mode="after")
    def _cap_fits_a_session(self) -> RunningFile:
        cap_km = self.walk_run.weekly_cap.share_of_limit * self.load.weekly_limit.km
        longest = max(level.total_km for level in self.walk_run.levels)
        if cap_km < longest:
            raise ValueError(
                f"walk_run.weekly_cap ({cap_km:.2f} km) is below the longest level "
                f"({longest:.2f} km): no week could hold a session"
            )
        return self


# What the running rules take: the whole of running.yaml.
RunningSettings = RunningFile
