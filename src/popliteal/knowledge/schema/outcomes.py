"""outcomes.yaml: the outcome questionnaires, their items, scales, composites, MCIDs and
licences (the whole file is what the outcome rules take)."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, CitedNote, Id, Text, _Strict

InstrumentId = Literal["koos", "lefs", "ikdc", "nprs"]
# Item ids as printed on the forms (S1, P5, A17, SP1, Q9a, Q10_before, L20, pain).
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]
ScoringMethod = Literal["koos_transform", "sum", "percent_of_answered_max", "single_item"]


class OutcomeItem(_Strict):
    """One questionnaire item: its answer range and how it is scored.

    `label` is our own short neutral description (never the licensed wording); `text` and
    `options` carry the full patient-facing wording and answer labels, shipped only for
    instruments that are free to use.
    """

    id: ItemId
    label: Text
    min: int = Field(default=0, ge=0, le=10)
    max: int = Field(ge=1, le=10)
    reversed: bool = False  # scored as max - answer (IKDC Q2, Q3)
    yes_no: bool = False  # also answered yes/no or true/false; yes = 0, no = 1 (IKDC Q6)
    scored: bool = True  # False: accepted and stored, never scored (IKDC "before injury")
    text: Text | None = None
    options: list[Text] = []

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeItem:
        if self.max <= self.min:
            raise ValueError(f"item {self.id}: 'max' must be above 'min'")
        if self.options and len(self.options) != self.max - self.min + 1:
            raise ValueError(
                f"item {self.id}: {len(self.options)} options for answers "
                f"{self.min}-{self.max} (needs {self.max - self.min + 1})"
            )
        if self.yes_no and (self.min, self.max) != (0, 1):
            raise ValueError(f"item {self.id}: a yes/no item is answered 0 or 1")
        return self


class MinAnswered(Cited):
    """A scale is scored only when at least `value` of its items are answered."""

    value: int = Field(ge=1)


class OutcomeScale(_Strict):
    key: Id
    name: Text
    person_name: Text | None = None  # the person's pages: no acronym or range jargon
    items: list[ItemId] = Field(min_length=1)
    min_answered: MinAnswered

    @model_validator(mode="after")
    def _reachable(self) -> OutcomeScale:
        if self.min_answered.value > len(self.items):
            raise ValueError(
                f"scale {self.key}: min_answered {self.min_answered.value} is more than its "
                f"{len(self.items)} items"
            )
        return self


class OutcomeComposite(Cited):
    """The mean of other scales' scores; invalid when any of them is (KOOS4)."""

    key: Id
    name: Text
    person_name: Text | None = None
    mean_of: list[Id] = Field(min_length=2)


class Mcid(Cited):
    """The smallest change that matters to patients on one scale.

    `percent` (NPRS) is a second, relative threshold for improvement: either suffices.
    """

    scale: Id
    points: float = Field(gt=0, le=100)
    percent: float | None = Field(default=None, gt=0, le=100)
    note: Text | None = None


class Licence(_Strict):
    free: bool  # True: the full wording may be shipped and shown
    holder: Text
    note: Text


class Instrument(_Strict):
    name: Text
    person_name: Text  # the name on the person's pages: no acronym
    purpose: Text  # one plain line on why the person is asked
    version: Text
    licence: Licence
    scoring: CitedNote  # the published scoring rule, in a line
    method: ScoringMethod
    higher_is_better: bool
    answers: Text  # what the answer numbers mean, for people entering them
    stem: Text | None = None  # patient-facing instruction (free instruments only)
    items: list[OutcomeItem] = Field(min_length=1)
    scales: list[OutcomeScale] = Field(min_length=1)
    composites: list[OutcomeComposite] = []
    mcid: list[Mcid] = []

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [item.id for item in self.items]
        lowered = [i.lower() for i in ids]
        dups = sorted({i for i in ids if lowered.count(i.lower()) > 1})
        if dups:
            raise ValueError("item ids must be unique (case-insensitively): " + ", ".join(dups))
        by_id = {item.id: item for item in self.items}
        keys = [s.key for s in self.scales] + [c.key for c in self.composites]
        if len(set(keys)) != len(keys):
            raise ValueError("scale and composite keys must be unique")
        for scale in self.scales:
            for item_id in scale.items:
                item = by_id.get(item_id)
                if item is None:
                    raise ValueError(f"scale {scale.key}: unknown item '{item_id}'")
                if not item.scored:
                    raise ValueError(f"scale {scale.key}: item '{item_id}' is not scored")
            if len(set(scale.items)) != len(scale.items):
                raise ValueError(f"scale {scale.key}: an item is listed twice")
        in_scales = {i for s in self.scales for i in s.items}
        orphans = [i for i, item in by_id.items() if item.scored and i not in in_scales]
        if orphans:
            raise ValueError("scored items in no scale: " + ", ".join(orphans))
        scale_keys = {s.key for s in self.scales}
        for comp in self.composites:
            unknown = [k for k in comp.mean_of if k not in scale_keys]
            if unknown:
                raise ValueError(f"composite {comp.key}: unknown scale " + ", ".join(unknown))
        for m in self.mcid:
            if m.scale not in keys:
                raise ValueError(f"mcid: unknown scale '{m.scale}'")
        worded = [i.id for i in self.items if i.text is not None or i.options]
        if not self.licence.free and (worded or self.stem is not None):
            raise ValueError(
                "licensed wording must not be shipped (the clinic loads it from its own "
                "file): remove text/options/stem from " + ", ".join(worded or ["stem"])
            )
        if self.licence.free:
            bare = [i.id for i in self.items if i.text is None or not i.options]
            if bare:
                raise ValueError(
                    "a free instrument ships full wording: missing for " + ", ".join(bare)
                )
        if self.method in ("single_item",) and len(self.items) != 1:
            raise ValueError("a single_item instrument has exactly one item")
        return self

    def item(self, item_id: str) -> OutcomeItem | None:
        """The item with this id, case-insensitively."""
        wanted = item_id.lower()
        return next((i for i in self.items if i.id.lower() == wanted), None)


class OutcomesFile(_Strict):
    instruments: dict[InstrumentId, Instrument]

    @model_validator(mode="after")
    def _all_four(self) -> OutcomesFile:
        missing = [i for i in ("koos", "lefs", "ikdc", "nprs") if i not in self.instruments]
        if missing:
            raise ValueError("instruments missing: " + ", ".join(missing))
        return self


# What the outcome rules take: the whole of outcomes.yaml.
OutcomesSettings = OutcomesFile
