"""followup.yaml: which questionnaires to ask, the safety checklist, the review flags and the
discharge criteria (the whole file is what the follow-up rules take)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, Id, Text, _Strict
from popliteal.knowledge.schema.exercises import GOALS, Goal
from popliteal.knowledge.schema.outcomes import InstrumentId, ItemId

MainInstrument = Literal["koos", "lefs", "ikdc"]


class InstrumentChoice(Cited):
    lefs_for_conditions: list[Id]
    always: list[InstrumentId]
    improvement_scales: dict[MainInstrument, list[Id]]


class ScheduleRules(Cited):
    discharge_window_days: int = Field(ge=1, le=30)


class SafetyItem(_Strict):
    id: Id
    text: Text  # patient-facing
    findings: dict[Id, bool] = Field(min_length=1)


class SafetyChecklist(_Strict):
    prompt: Text
    items: list[SafetyItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SafetyChecklist:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("safety checklist item ids must be unique")
        return self


class PainWorseRule(Cited):
    window_days: int = Field(ge=3, le=14)
    span_days: int = Field(ge=7, le=42)
    min_scores: int = Field(ge=1, le=14)

    @model_validator(mode="after")
    def _apart(self) -> PainWorseRule:
        if self.span_days < self.window_days:
            raise ValueError("pain_worse: span_days must be at least window_days (no overlap)")
        return self


class AdequateCare(Cited):
    adherence_at_least: float = Field(gt=0, le=100)


class CitedWeeks(Cited):
    weeks: int = Field(ge=1, le=52)


class CitedDays(Cited):
    value: int = Field(ge=1, le=365)


class FailedCareRule(_Strict):
    """The screening finding that carries the weeks, and the red-flag rule that reads it."""

    finding: Id
    rule: Id


class ReviewRules(_Strict):
    pain_worse: PainWorseRule
    adequate_care: AdequateCare
    no_improvement: CitedWeeks
    failed_care: FailedCareRule
    snooze_days: CitedDays


class PainFreeCriterion(Cited):
    pain_at_most: int = Field(ge=0, le=3)
    window_days: int = Field(ge=1, le=28)


class RomAgainstOtherKnee(Cited):
    extension_deficit_at_most: int = Field(ge=0, le=30)
    flexion_deficit_at_most: int = Field(ge=0, le=30)


class RomNorm(Cited):
    extension_at_least: int = Field(ge=-10, le=10)
    flexion_at_least: int = Field(ge=90, le=170)


class FullRomCriterion(_Strict):
    other_knee: RomAgainstOtherKnee
    normative: RomNorm


class OutcomeGoal(Cited):
    scale: Id
    at_least: float = Field(ge=0, le=100)


class RunningTarget(Cited):
    pain_free_runs: int = Field(ge=1, le=20)
    window_days: int = Field(ge=7, le=90)


class ItemTarget(Cited):
    items: dict[MainInstrument, list[ItemId]] = Field(min_length=1)
    within_of_best: int = Field(ge=0, le=2)


class TargetActivity(_Strict):
    return_to_running: RunningTarget
    by_goal: dict[Goal, ItemTarget]

    @model_validator(mode="after")
    def _every_goal(self) -> TargetActivity:
        missing = [g for g in GOALS if g not in self.by_goal]
        if missing:
            raise ValueError("target_activity.by_goal is missing goals: " + ", ".join(missing))
        return self


class DischargeCriteria(_Strict):
    pain_free: PainFreeCriterion
    full_range_of_motion: FullRomCriterion
    outcome_goal: dict[MainInstrument, OutcomeGoal]
    evidence_within_days: CitedDays
    target_activity: TargetActivity


class FollowupFile(_Strict):
    instruments: InstrumentChoice
    schedule: ScheduleRules
    safety_checklist: SafetyChecklist
    review: ReviewRules
    discharge: DischargeCriteria


# What the follow-up rules take: the whole of followup.yaml.
FollowupSettings = FollowupFile
