"""likelihoods.yaml: what each answer does to each condition's odds, the background rates that
turn frequencies into ratios, and the fixed weights for direction-only entries."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Answer, Cited, Id, Text, _Strict

Direction = Literal["up", "down", "strong_up", "strong_down"]


class Likelihood(Cited):
    """What one answer does to one condition's odds.

    Three forms: `lr`, a published or computed likelihood ratio; `frequency`, a published
    P(finding = value | condition), turned into a ratio against the finding's background rate
    (`backgrounds`, as the QMR/DXplain knowledge bases do, so a specific finding also counts
    against every condition that does not list it); or `direction`, a fixed expert weight where
    nothing is published. A published figure says whether it was read in its source during
    this work (`figure: found`) or is from memory, to be checked (`recalled`), and `population`
    says where the study population differs from a person with pain behind the knee seen first
    in a direct-access clinic.
    """

    finding: Id | None = None
    predicate: Id | None = None  # a whole rule or criteria set (red_flags.yaml predicates)
    condition: Id
    value: Answer | None = None
    min: float | None = None
    max: float | None = None
    lr: float | None = Field(default=None, gt=0)
    frequency: float | None = Field(default=None, gt=0, lt=1)
    direction: Direction | None = None
    figure: Literal["found", "recalled"] | None = None
    population: str | None = None
    note: str | None = None

    @property
    def key(self) -> str:
        """The finding it reads, or the predicate for a whole-rule figure."""
        return self.finding or self.predicate or ""

    @model_validator(mode="after")
    def _effect(self) -> Likelihood:
        if (self.finding is None) == (self.predicate is None):
            raise ValueError(
                "give 'finding' (with a value or band) or 'predicate' (a whole rule or criteria "
                "set that holds or not, e.g. the Ottawa knee rule)"
            )
        if self.predicate is not None:
            if self.value is not None or self.min is not None or self.max is not None:
                raise ValueError("a predicate entry applies when its predicate holds: no value")
            if self.frequency is not None or (self.lr is None) == (self.direction is None):
                raise ValueError("a predicate entry takes exactly one of 'lr' or 'direction'")
            if self.direction is not None and self.expert_judgement is None and self.source is None:
                raise ValueError("a direction-only weight needs a rationale")
            return self
        if sum(x is not None for x in (self.lr, self.frequency, self.direction)) != 1:
            raise ValueError(
                "give exactly one of 'lr' (published or computed), 'frequency' (published "
                "P(finding | condition)) or 'direction' (nothing published: a fixed expert weight)"
            )
        if self.frequency is not None and (self.value is None or self.source is None):
            raise ValueError("a 'frequency' needs a 'value' and the 'source' it was read in")
        if self.direction is not None and self.figure is not None:
            raise ValueError("'figure' (found / recalled) is for published numbers, not weights")
        if self.direction is not None and self.expert_judgement is None and self.source is None:
            raise ValueError("a direction-only weight needs a rationale")
        if self.value is not None and (self.min is not None or self.max is not None):
            raise ValueError("give 'value' or a 'min'/'max' band, not both")
        if self.value is None and self.min is None and self.max is None:
            raise ValueError("give 'value' (bool/choice) or a 'min'/'max' band (number/scale)")
        return self


class DirectionWeights(_Strict):
    up: float = Field(gt=1)
    down: float = Field(gt=0, lt=1)
    strong_up: float = Field(gt=1)
    strong_down: float = Field(gt=0, lt=1)
    expert_judgement: Text


class Background(Cited):
    """How often an answer is seen in people with pain behind the knee overall: the
    denominator that turns a `frequency` into a likelihood ratio."""

    finding: Id
    value: Answer
    frequency: float = Field(gt=0, lt=1)


class LikelihoodsFile(_Strict):
    direction_weights: DirectionWeights
    backgrounds: list[Background] = []
    likelihoods: list[Likelihood]
