"""Pydantic schema of the knowledge base: every file, entry and field is checked at load time.

The schema is strict on purpose: a typo in a YAML file must fail loudly at start-up, naming the
file, the entry and the field, never silently change a ranking.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Urgency = Literal["emergency", "urgent", "surgical_consult", "conservative"]
URGENCY_ORDER: tuple[Urgency, ...] = ("emergency", "urgent", "surgical_consult", "conservative")


def urgency_rank(level: str | None, unknown: int = len(URGENCY_ORDER)) -> int:
    """0 for emergency ... 3 for conservative: lower is more urgent; `unknown` for anything
    else (no urgency, or a value from outside the contract). The one order every area sorts by."""
    return URGENCY_ORDER.index(level) if level in URGENCY_ORDER else unknown


FindingType = Literal["bool", "scale", "number", "choice"]
Who = Literal["P", "C"]
Direction = Literal["up", "down", "strong_up", "strong_down"]
Answer = bool | int | float | str

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]
# Choice values may start with a digit: the contract has `10_30` and `30_100` (quote them in YAML).
ChoiceValue = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(_Strict):
    """A number's provenance: a key into sources.yaml, or an explicit expert judgement."""

    source: Id | None = None
    expert_judgement: str | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> Cited:
        if (self.source is None) == (self.expert_judgement is None):
            raise ValueError(
                "give exactly one of 'source' (a sources.yaml key) or "
                "'expert_judgement' (a one-line rationale)"
            )
        if self.expert_judgement is not None and len(self.expert_judgement.strip()) < 10:
            raise ValueError("'expert_judgement' needs a one-line rationale")
        return self


# ---------------------------------------------------------------- sources.yaml


class SourceEntry(_Strict):
    key: Id
    citation: Text
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    kind: Literal["found", "found_secondary", "recalled", "guideline", "seed"]


class SourcesFile(_Strict):
    sources: list[SourceEntry]


# ---------------------------------------------------------------- conditions.yaml


class PriorBase(Cited):
    probability: float = Field(gt=0, lt=1)


class AgeBand(Cited):
    min: float = Field(ge=0, le=120)
    max: float = Field(gt=0, le=121)
    factor: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.max <= self.min:
            raise ValueError("age band 'max' must be above 'min'")
        return self


class Factor(Cited):
    factor: float = Field(gt=0)


class Prior(_Strict):
    base: PriorBase
    age: list[AgeBand] = []
    sex: dict[Literal["female", "male", "other"], Factor] = {}
    runner: Factor | None = None  # applies when the person runs regularly
    non_runner: Factor | None = None  # applies when the person does not


class Condition(_Strict):
    id: Id
    name: Text
    patient_name: Text
    patient_summary: Text
    clinician_summary: Text
    typical_signs: list[Text] = Field(min_length=1)
    self_care: list[Text] = []
    when_to_get_help: Text
    usual_care: Urgency
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    prior: Prior


class ConditionsFile(_Strict):
    conditions: list[Condition]


# ---------------------------------------------------------------- findings.yaml


class Expr(_Strict):
    """A rule condition. Exactly one form is used per node.

    Leaf forms test one answered finding (`equals`, `in`, `at_least`, `at_most`, `below`),
    a score (`score` + `at_least`/`at_most`), or a named predicate (`ref`). `missing: true` is true
    only when the finding is unanswered; `unknown: true` also makes any other test true when its
    finding is unanswered (used for "acute unless we know otherwise"). `clinician_only: true` makes
    a leaf false unless a clinician gave the answer (the Wells alternative-diagnosis item).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all: list[Expr] | None = None
    any: list[Expr] | None = None
    not_: Expr | None = Field(default=None, alias="not")
    ref: Id | None = None
    finding: Id | None = None
    score: Id | None = None
    equals: Answer | None = None
    in_: list[Answer] | None = Field(default=None, alias="in")
    at_least: float | None = None
    at_most: float | None = None
    below: float | None = None
    missing: bool | None = None
    unknown: bool = False
    clinician_only: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> Expr:
        heads = [
            x is not None
            for x in (self.all, self.any, self.not_, self.ref, self.finding, self.score)
        ]
        if sum(heads) != 1:
            raise ValueError(
                "an expression needs exactly one of all / any / not / ref / finding / score"
            )
        tests = [
            x is not None
            for x in (self.equals, self.in_, self.at_least, self.at_most, self.below, self.missing)
        ]
        if self.finding is not None and sum(tests) != 1:
            raise ValueError(
                f"finding '{self.finding}' needs exactly one test: equals / in / "
                "at_least / at_most / below / missing"
            )
        if self.score is not None and sum(tests) != 1:
            raise ValueError(f"score '{self.score}' needs exactly one test")
        if self.finding is None and self.score is None and any(tests):
            raise ValueError("tests (equals, in, at_least, ...) belong to a finding or score")
        return self


class UnknownPolicy(_Strict):
    """What "not sure" does to a question that could fire an emergency or urgent rule.

    "Not sure" is never "no": the finding stays "not ruled out". With `ask_again`, the
    interview asks it once more with `how_to_check`, a plain way to check it now (compare both
    calves, feel the foot). Without, it is something a person cannot check today (a past
    illness, how an injury happened).
    """

    ask_again: bool
    how_to_check: Text | None = None

    @model_validator(mode="after")
    def _hint_when_asked_again(self) -> UnknownPolicy:
        if self.ask_again != (self.how_to_check is not None):
            raise ValueError("give 'how_to_check' exactly when 'ask_again' is true")
        return self


class Finding(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: Id
    type: FindingType
    values: list[ChoiceValue] = []
    value_labels: dict[str, Text] = {}
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    who: list[Who] = Field(min_length=1)
    construct_: Id | None = Field(default=None, alias="construct")
    question: str | None = None
    clinician_wording: str | None = None
    help: str | None = None
    ask_if: list[Expr] = []  # finding tests only: asked once every one of them holds
    unknown_policy: UnknownPolicy | None = None  # required where it can fire a safety rule
    exam_section: Id | None = None  # where the clinician's exam form shows it (who: C)

    @model_validator(mode="after")
    def _consistent(self) -> Finding:
        if self.type == "choice":
            if len(self.values) < 2:
                raise ValueError("a choice finding needs at least two 'values'")
            if "P" in self.who and set(self.value_labels) != set(self.values):
                raise ValueError("a patient choice finding needs a 'value_labels' entry per value")
        elif self.values:
            raise ValueError("'values' is only for choice findings")
        if self.type == "number" and (self.min is None or self.max is None):
            raise ValueError("a number finding needs 'min' and 'max'")
        if "P" in self.who and not self.question:
            raise ValueError("a finding the person answers (who: P) needs 'question'")
        if "C" in self.who and not self.clinician_wording:
            raise ValueError("a clinician finding (who: C) needs 'clinician_wording'")
        if any(c.finding is None or c.unknown or c.missing is not None for c in self.ask_if):
            raise ValueError("'ask_if' takes finding tests (equals / in / at_least / ...) only")
        return self


class Group(_Strict):
    """Questions asked together as one interview step.

    A `checklist` holds yes/no items, each answered Yes, No or Not sure; a `form` holds a few
    short related questions shown on one screen (e.g. age and sex). The one group with `first`
    opens the interview (who is answering, which knee), before the safety questions.
    """

    id: Id
    kind: Literal["checklist", "form"] = "checklist"
    title: Text
    prompt: Text
    findings: list[Id] = Field(min_length=1, max_length=6)
    first: bool = False


class ExamSection(_Strict):
    """A section of the clinician's exam form (findings.yaml `exam_sections`, in form order)."""

    id: Id
    title: Text


class FindingsFile(_Strict):
    findings: list[Finding]
    exam_sections: list[ExamSection] = Field(min_length=1)
    groups: list[Group] = []


# ---------------------------------------------------------------- likelihoods.yaml


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


# ---------------------------------------------------------------- red_flags.yaml


class ScoreItem(_Strict):
    finding: Id
    points: int
    clinician_only: bool = False


class Score(Cited):
    id: Id
    name: Text
    items: list[ScoreItem] = Field(min_length=1)


class Predicate(_Strict):
    id: Id
    description: Text
    when: Expr
    label: Text | None = None  # plain words for a result page, when a likelihood reads it


class RedFlagRule(Cited):
    id: Id
    urgency: Literal["emergency", "urgent", "surgical_consult"]
    suspects: list[Id] = []
    title: Text
    when: Expr
    patient_message: Text
    clinician_note: Text
    # The guideline statement this rule implements and what was checked against it, ending
    # "Sources: key, key." (every rule needs one: tests/knowledge/test_red_flag_audits.py).
    audit: str | None = None


class MustRuleOutEntry(_Strict):
    condition: Id
    why: Text
    # Listed only when this also holds (a nerve lesion only with a deficit).
    only_if: Expr | None = None


class MustRuleOut(Cited):
    """Can't-miss causes listed for the clinic to rule out once their probability reaches the
    threshold, whatever the urgency (the provenance is the threshold's)."""

    threshold: float = Field(gt=0, lt=1)
    conditions: list[MustRuleOutEntry] = Field(min_length=1)


class RedFlagsFile(_Strict):
    scores: list[Score]
    predicates: list[Predicate] = []
    rules: list[RedFlagRule]
    must_rule_out: MustRuleOut | None = None


# ---------------------------------------------------------------- advice.yaml


class AdviceSnippet(_Strict):
    id: Id
    text: Text


class UrgencyMessage(_Strict):
    """What to do, said the same way on every page that shows this urgency."""

    heading: Text
    action: Text  # may name {emergency_number}


class AdviceFile(_Strict):
    disclaimer: Text
    by_urgency: dict[Urgency, list[AdviceSnippet]]
    urgency_messages: dict[Urgency, UrgencyMessage]

    @model_validator(mode="after")
    def _every_level_has_one_message(self) -> AdviceFile:
        missing = [u for u in URGENCY_ORDER if u not in self.urgency_messages]
        if missing:
            raise ValueError(f"urgency_messages: no message for {', '.join(missing)}")
        return self


# ---------------------------------------------------------------- treatments.yaml


class Treatment(Cited):
    id: Id
    name: Text
    patient_description: Text
    clinician_description: Text
    delivered_by: list[Literal["physical_therapist", "chiropractor", "self"]] = Field(min_length=1)
    modes: list[Literal["in_clinic", "virtual", "at_home"]] = Field(min_length=1)


class SurgeryIndication(Cited):
    id: Id
    name: Text
    conditions: list[Id] = Field(min_length=1)
    red_flags: list[Id] = Field(min_length=1)


class TreatmentsFile(_Strict):
    treatments: list[Treatment]
    surgery_indications: list[SurgeryIndication]


# ---------------------------------------------------------------- exercises.yaml

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


# ---------------------------------------------------------------- protocols.yaml


class Prescription(Dose):
    """An exercise in a protocol phase, with the dose for that phase and its provenance."""

    exercise: Id
    goals: list[Goal] = []  # empty: for every goal; else only when the person has one of these


class TreatmentOffer(Cited):
    treatment: Id
    note: Text


class Limit(Cited):
    id: Id
    text: Text
    goals: list[Goal] = []


class Criterion(Cited):
    """A progression criterion. `check` names one the logs can test; the rest a clinician does."""

    id: Id
    text: Text
    check: (
        Literal[
            "pain_during_at_most",
            "morning_pain_back_to_baseline",
            "adherence_at_least",
            "weeks_in_phase_at_least",
            "sessions_at_least",
        ]
        | None
    ) = None
    value: float | None = None

    @model_validator(mode="after")
    def _value_with_check(self) -> Criterion:
        needs = self.check not in (None, "morning_pain_back_to_baseline")
        if needs and self.value is None:
            raise ValueError(f"check '{self.check}' needs a 'value'")
        return self


class DraftEntry(Cited):
    """A draft may start in this phase when the person's pain is at most `pain_at_most`."""

    pain_at_most: int = Field(ge=0, le=10)


class ProtocolPhase(_Strict):
    id: Phase
    goals: list[Text] = Field(min_length=1)
    draft_entry: DraftEntry | None = None
    exercises: list[Prescription] = Field(min_length=4)
    treatments: list[TreatmentOffer] = []
    activity_limits: list[Limit] = []
    progression_criteria: list[Criterion] = Field(min_length=1)


class Referral(Cited):
    text: Text
    urgency: Urgency


class Protocol(_Strict):
    condition: Id
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    summary: Text
    phases: list[ProtocolPhase] = Field(min_length=2, max_length=4)
    refer_when: list[Referral] = Field(min_length=1)


class ProtocolsFile(_Strict):
    protocols: list[Protocol]


# ---------------------------------------------------------------- drafting.yaml


class DraftSettings(_Strict):
    min_exercises: int = Field(ge=1, le=20)
    max_exercises: int = Field(ge=1, le=20)
    default_exercises: int = Field(ge=1, le=20)
    exercise_count: Cited
    household_equipment: list[Equipment]
    seconds_per_rep: int = Field(ge=1, le=20)
    timing: Cited

    @model_validator(mode="after")
    def _ordered(self) -> DraftSettings:
        if not self.min_exercises <= self.default_exercises <= self.max_exercises:
            raise ValueError("need min_exercises <= default_exercises <= max_exercises")
        return self


class ProgressionSettings(_Strict):
    min_sessions: int = Field(ge=1, le=20)
    window_sessions: int = Field(ge=1, le=50)
    sessions_rule: Cited
    pain_during_at_most: int = Field(ge=0, le=10)
    pain_rule: Cited
    session_pain_rise: int = Field(ge=1, le=10)
    rise_rule: Cited
    add_reps: int = Field(ge=1, le=10)
    load_rule: Cited


class DraftingFile(_Strict):
    draft: DraftSettings
    progression: ProgressionSettings


# ---------------------------------------------------------------- seeds.yaml


class Seed(_Strict):
    id: Id
    file: Text
    title: Text


class SeedItem(_Strict):
    kind: Literal["cause", "treatment", "surgery_indication", "aggravating_factor", "service"]
    seed: Id
    quote: Text
    covers: dict[
        Literal["condition", "finding", "treatment", "surgery_indication", "red_flag", "advice"],
        list[Id],
    ]


class SeedsFile(_Strict):
    seeds: list[Seed]
    items: list[SeedItem]


# ---------------------------------------------------------------- running.yaml

Surface = Literal["road_or_concrete", "uneven_or_trail", "track_or_treadmill", "grass_or_mixed"]
SURFACES: tuple[str, ...] = Surface.__args__  # type: ignore[attr-defined]
MILE_KM = 1.609344  # the international mile, exactly


class WeeklyLimit(Cited):
    """Weekly distance flagged while symptomatic; kept in miles, the unit the seed page uses."""

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


class CitedNote(Cited):
    text: Text


class LoadRules(_Strict):
    weekly_limit: WeeklyLimit
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


def describe_loc(loc: tuple[Any, ...], data: Any) -> str:
    """Turn a Pydantic error location into 'entry 3 (pcl_injury), field prior.base'."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            entry = node[key]
            label = entry.get("id") if isinstance(entry, dict) else None
            if label is None and isinstance(entry, dict) and "finding" in entry:
                label = f"{entry.get('finding')}->{entry.get('condition', '')}".rstrip("->")
            parts.append(f"entry {key + 1}" + (f" ({label})" if label else ""))
            node = entry
            fields = []
            i += 1
            while i < len(loc) and not isinstance(loc[i], int):
                fields.append(str(loc[i]))
                i += 1
            if fields:
                parts.append("field " + ".".join(fields))
                node = _descend(node, fields)
            continue
        parts.append(str(key))
        node = _descend(node, [str(key)])
        i += 1
    return ", ".join(parts)


def _descend(node: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(node, dict):
            node = node.get(key, node.get(key.rstrip("_")))
        else:
            return None
    return node


# ---------------------------------------------------------------- outcomes.yaml

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


# ---------------------------------------------------------------- followup.yaml

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
