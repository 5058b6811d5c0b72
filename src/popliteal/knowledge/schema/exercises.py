"""exercises.yaml: the exercise library, its dose, and the shared plan vocabulary (equipment,
phases, categories, goals)."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, Id, Text, _Strict

Equipment = Literal[
    "chair",
    "wall",
    "step",
    "towel",
    "strap",
    "band",
    "weights",
    "bench",
    "foam_roller",
    "massage_ball",
    "ice_pack",
    "stationary_bike",
    "pool",
    "leg_press",
    "balance_pad",
    "box",
]
EQUIPMENT: tuple[str, ...] = Equipment.__args__  # type: ignore[attr-defined]
Phase = Literal["protect", "restore_motion", "strengthen", "return_to_activity"]
PHASES: tuple[Phase, ...] = ("protect", "restore_motion", "strengthen", "return_to_activity")
Category = Literal[
    "hamstring",
    "quadriceps",
    "calf",
    "popliteus_posterolateral",
    "hip",
    "range_of_motion",
    "neural",
    "balance",
    "conditioning",
    "self_release",
    "ice",
]
Goal = Literal["everyday_life", "walking", "stairs_and_squatting", "return_to_running", "sport"]
GOALS: tuple[Goal, ...] = (
    "everyday_life",
    "walking",
    "stairs_and_squatting",
    "return_to_running",
    "sport",
)


class Dose(Cited):
    """One prescription: which of sets/reps/hold_s/minutes apply depends on the exercise."""

    sets: int | None = Field(default=None, ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=50)
    hold_s: int | None = Field(default=None, ge=1, le=600)
    minutes: int | None = Field(default=None, ge=1, le=90)
    rest_s: int = Field(default=30, ge=0, le=600)
    per_week: int = Field(ge=1, le=14)

    @model_validator(mode="after")
    def _has_amount(self) -> Dose:
        counted = self.sets is not None and (self.reps is not None or self.hold_s is not None)
        if self.minutes is None and not counted:
            raise ValueError("a dose needs 'minutes', or 'sets' with 'reps' and/or 'hold_s'")
        return self


class Contraindication(Cited):
    condition: Id
    phases: list[Phase] = Field(min_length=1)
    reason: Text


class Exercise(_Strict):
    id: Id
    name: Text
    category: Category
    purpose: Text
    steps: list[Text] = Field(min_length=2, max_length=8)
    targets: list[Text] = Field(min_length=1)
    dose: Dose
    equipment: list[Equipment] = []
    level: int = Field(ge=1, le=5)  # 1 = gentlest; orders variants and regressions
    cautions: list[Text] = []
    contraindications: list[Contraindication] = []
    easier: list[Id] = []
    harder: list[Id] = []
    illustration: str = Field(pattern=r"^[a-z][a-z0-9_]*\.svg$")


class ExercisesFile(_Strict):
    exercises: list[Exercise]
