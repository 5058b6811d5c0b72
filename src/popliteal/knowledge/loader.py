"""Load and cross-check the knowledge base (YAML files beside this module, in data/).

Validation happens once, at load: schema errors and dangling references are collected and
reported together, each naming file, entry and field.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from popliteal.knowledge.schema import (
    PHASES,
    AdviceFile,
    Answer,
    Background,
    Cited,
    Condition,
    ConditionsFile,
    DirectionWeights,
    DraftingFile,
    DraftSettings,
    ExamSection,
    Exercise,
    ExercisesFile,
    Expr,
    Finding,
    FindingsFile,
    FollowupFile,
    Group,
    Likelihood,
    LikelihoodsFile,
    MustRuleOut,
    OutcomesFile,
    Predicate,
    ProgressionSettings,
    Protocol,
    ProtocolsFile,
    RedFlagRule,
    RedFlagsFile,
    RunningFile,
    Score,
    Seed,
    SeedItem,
    SeedsFile,
    SourceEntry,
    SourcesFile,
    SurgeryIndication,
    Treatment,
    TreatmentsFile,
)

DATA_DIR = Path(__file__).parent / "data"
# libyaml's safe loader when PyYAML was built with it: the same documents, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FILES = (
    "sources.yaml",
    "conditions.yaml",
    "findings.yaml",
    "likelihoods.yaml",
    "red_flags.yaml",
    "advice.yaml",
    "treatments.yaml",
    "seeds.yaml",
    "exercises.yaml",
    "protocols.yaml",
    "drafting.yaml",
    "running.yaml",
    "outcomes.yaml",
    "followup.yaml",
)
ILLUSTRATIONS = "illustrations"

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(Exception):
    """The knowledge base is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("knowledge base is invalid:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)  # hashed by identity: caches key on the loaded base
class Knowledge:
    """The whole evidence base, validated and indexed by id."""

    version: str
    sources: dict[str, SourceEntry]
    conditions: dict[str, Condition]
    findings: dict[str, Finding]
    groups: dict[str, Group]
    direction_weights: DirectionWeights
    likelihoods: tuple[Likelihood, ...]
    backgrounds: dict[tuple[str, str], Background]
    exam_sections: tuple[ExamSection, ...]
    scores: dict[str, Score]
    predicates: dict[str, Predicate]
    rules: tuple[RedFlagRule, ...]
    must_rule_out: MustRuleOut | None
    advice: AdviceFile
    treatments: dict[str, Treatment]
    surgery_indications: dict[str, SurgeryIndication]
    seeds: dict[str, Seed]
    seed_items: tuple[SeedItem, ...]
    drafting: DraftSettings
    progression: ProgressionSettings
    running: RunningFile
    outcomes: OutcomesFile
    followup: FollowupFile
    exercises: dict[str, Exercise] = field(default_factory=dict)
    protocols: dict[str, Protocol] = field(default_factory=dict)
    directory: Path = DATA_DIR
    group_of: dict[str, str] = field(default_factory=dict)

    def illustration_path(self, exercise: Exercise) -> Path:
        """Where an exercise's SVG lives (checked to exist at load)."""
        return self.directory / ILLUSTRATIONS / exercise.illustration

    def lr_of(self, entry: Likelihood) -> float:
        """The likelihood ratio an entry applies: published, from a frequency over the finding's
        background rate, or a fixed expert weight when direction-only."""
        if entry.lr is not None:
            return entry.lr
        if entry.frequency is not None:
            return entry.frequency / self.background_of(entry.key, entry.value)
        assert entry.direction is not None  # noqa: S101 - guaranteed by the schema
        return float(getattr(self.direction_weights, entry.direction))

    def background_of(self, finding: str, value: Answer | None) -> float:
        """P(finding = value) in people with pain behind the knee (checked to exist at load)."""
        return self.backgrounds[(finding, repr(value))].frequency

    def published(self, entry: Likelihood) -> bool:
        return entry.direction is None and entry.source is not None


def _parse(name: str, model: type[M], raw: Any, problems: list[str]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            where = describe_loc(tuple(err["loc"]), raw)
            problems.append(f"{name}: {where}: {err['msg']}")
        return None


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


@lru_cache(maxsize=2 * len(FILES))
def _parse_yaml(text: str) -> Any:
    """Parse once per distinct text: a reviewed copy that differs in one file (the loader's
    own tests make dozens) re-parses only that file; the rest is a deep copy, ten times
    cheaper than libyaml on protocols.yaml."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506


def _read(directory: Path, name: str, problems: list[str]) -> Any:
    path = directory / name
    try:
        return copy.deepcopy(_parse_yaml(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        problems.append(f"{name}: file is missing")
    except yaml.YAMLError as exc:
        problems.append(f"{name}: not valid YAML: {exc}")
    return None


def content_hash(directory: Path = DATA_DIR) -> str:
    """Hash every data file's name and bytes: the `knowledge_version` stored with results."""
    digest = hashlib.sha256()
    for name in FILES:
        path = directory / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def _index(name: str, items: list[Any], problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.id in out:
            problems.append(f"{name}: id '{item.id}' is defined twice")
        out[item.id] = item
    return out


def value_problem(finding: Finding, value: Answer) -> str | None:
    """Why `value` is not a valid answer to `finding`, or None when it is."""
    if finding.type == "bool":
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(value, bool):
        return f"expected a {finding.type}, not true/false"
    if finding.type == "choice":
        if value not in finding.values:
            return "expected one of " + ", ".join(finding.values)
        return None
    if finding.type == "scale":
        if not isinstance(value, int) or not 0 <= value <= 10:
            return "expected a whole number from 0 to 10"
        return None
    if not isinstance(value, int | float):
        return "expected a number"
    lo = finding.min if finding.min is not None else float("-inf")
    hi = finding.max if finding.max is not None else float("inf")
    if not lo <= value <= hi:
        return f"expected a number from {lo:g} to {hi:g}"
    return None


def _unknown(where: str, kind: str, ids: list[str], known: Mapping[str, object]) -> list[str]:
    """One problem line per id that is not among the known ones."""
    return [f"{where}: unknown {kind} '{x}'" for x in ids if x not in known]


def walk_expr(expr: Expr) -> Iterator[Expr]:
    """Every node of a rule expression, the expression itself first (refs not followed)."""
    yield expr
    for child in (expr.all or []) + (expr.any or []):
        yield from walk_expr(child)
    if expr.not_ is not None:
        yield from walk_expr(expr.not_)


def read_findings(
    expr: Expr,
    predicates: Mapping[str, Predicate],
    scores: Mapping[str, Score],
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """Every finding an expression reads, through the predicates and scores it names."""
    for node in walk_expr(expr):
        if node.finding is not None:
            yield node.finding
        if node.score is not None and node.score in scores:
            yield from (item.finding for item in scores[node.score].items)
        if node.ref is not None and node.ref in predicates and node.ref not in seen:
            yield from read_findings(
                predicates[node.ref].when, predicates, scores, seen | {node.ref}
            )


def _unknown_policy_problems(
    findings: Mapping[str, Finding],
    rules: Mapping[str, RedFlagRule],
    predicates: Mapping[str, Predicate],
    scores: Mapping[str, Score],
) -> list[str]:
    """A question a person answers that could fire an emergency or urgent rule must say what
    "not sure" does: ask again with a way to check, or keep it open (never "no")."""
    safety = {
        fid
        for r in rules.values()
        if r.urgency in ("emergency", "urgent")
        for fid in read_findings(r.when, predicates, scores)
    }
    return [
        f"findings.yaml: {fid}: can fire an emergency or urgent rule, so it needs "
        "'unknown_policy' (ask_again with how_to_check, or ask_again: false)"
        for fid in sorted(safety)
        if fid in findings and "P" in findings[fid].who and findings[fid].unknown_policy is None
    ]


def load(directory: Path = DATA_DIR) -> Knowledge:
    """Load, validate and cross-check every file; raise KnowledgeError listing all problems."""
    problems: list[str] = []
    raw = {name: _read(directory, name, problems) for name in FILES}
    parsed = {
        "sources.yaml": _parse("sources.yaml", SourcesFile, raw["sources.yaml"], problems),
        "conditions.yaml": _parse(
            "conditions.yaml", ConditionsFile, raw["conditions.yaml"], problems
        ),
        "findings.yaml": _parse("findings.yaml", FindingsFile, raw["findings.yaml"], problems),
        "likelihoods.yaml": _parse(
            "likelihoods.yaml", LikelihoodsFile, raw["likelihoods.yaml"], problems
        ),
        "red_flags.yaml": _parse("red_flags.yaml", RedFlagsFile, raw["red_flags.yaml"], problems),
        "advice.yaml": _parse("advice.yaml", AdviceFile, raw["advice.yaml"], problems),
        "treatments.yaml": _parse(
            "treatments.yaml", TreatmentsFile, raw["treatments.yaml"], problems
        ),
        "seeds.yaml": _parse("seeds.yaml", SeedsFile, raw["seeds.yaml"], problems),
        "exercises.yaml": _parse("exercises.yaml", ExercisesFile, raw["exercises.yaml"], problems),
        "protocols.yaml": _parse("protocols.yaml", ProtocolsFile, raw["protocols.yaml"], problems),
        "drafting.yaml": _parse("drafting.yaml", DraftingFile, raw["drafting.yaml"], problems),
        "running.yaml": _parse("running.yaml", RunningFile, raw["running.yaml"], problems),
        "outcomes.yaml": _parse("outcomes.yaml", OutcomesFile, raw["outcomes.yaml"], problems),
        "followup.yaml": _parse("followup.yaml", FollowupFile, raw["followup.yaml"], problems),
    }
    if problems:
        raise KnowledgeError(problems)
    sources_f: SourcesFile = parsed["sources.yaml"]  # type: ignore[assignment]
    conditions_f: ConditionsFile = parsed["conditions.yaml"]  # type: ignore[assignment]
    findings_f: FindingsFile = parsed["findings.yaml"]  # type: ignore[assignment]
    lik_f: LikelihoodsFile = parsed["likelihoods.yaml"]  # type: ignore[assignment]
    rf_f: RedFlagsFile = parsed["red_flags.yaml"]  # type: ignore[assignment]
    advice_f: AdviceFile = parsed["advice.yaml"]  # type: ignore[assignment]
    tr_f: TreatmentsFile = parsed["treatments.yaml"]  # type: ignore[assignment]
    seeds_f: SeedsFile = parsed["seeds.yaml"]  # type: ignore[assignment]
    ex_f: ExercisesFile = parsed["exercises.yaml"]  # type: ignore[assignment]
    proto_f: ProtocolsFile = parsed["protocols.yaml"]  # type: ignore[assignment]
    drafting_f: DraftingFile = parsed["drafting.yaml"]  # type: ignore[assignment]
    running_f: RunningFile = parsed["running.yaml"]  # type: ignore[assignment]
    outcomes_f: OutcomesFile = parsed["outcomes.yaml"]  # type: ignore[assignment]
    followup_f: FollowupFile = parsed["followup.yaml"]  # type: ignore[assignment]

    sources = {s.key: s for s in sources_f.sources}
    conditions = _index("conditions.yaml", conditions_f.conditions, problems)
    findings = _index("findings.yaml", findings_f.findings, problems)
    groups = _index("findings.yaml groups", findings_f.groups, problems)
    scores = _index("red_flags.yaml scores", rf_f.scores, problems)
    predicates = _index("red_flags.yaml predicates", rf_f.predicates, problems)
    rules = _index("red_flags.yaml rules", rf_f.rules, problems)
    treatments = _index("treatments.yaml", tr_f.treatments, problems)
    surgery = _index("treatments.yaml surgery_indications", tr_f.surgery_indications, problems)
    seeds = _index("seeds.yaml", seeds_f.seeds, problems)
    exercises = _index("exercises.yaml", ex_f.exercises, problems)

    def cite(where: str, item: Cited) -> None:
        if item.source is not None and item.source not in sources:
            problems.append(f"{where}: source '{item.source}' is not in sources.yaml")

    for c in conditions.values():
        where = f"conditions.yaml: {c.id}"
        cite(f"{where}, field prior.base", c.prior.base)
        for i, band in enumerate(c.prior.age):
            cite(f"{where}, field prior.age[{i}]", band)
        for sex, f in c.prior.sex.items():
            cite(f"{where}, field prior.sex.{sex}", f)
        if c.prior.runner is not None:
            cite(f"{where}, field prior.runner", c.prior.runner)
        if c.prior.non_runner is not None:
            cite(f"{where}, field prior.non_runner", c.prior.non_runner)

    group_of: dict[str, str] = {}
    for g in groups.values():
        for fid in g.findings:
            f = findings.get(fid)
            if f is None:
                problems.append(f"findings.yaml: group {g.id}: unknown finding '{fid}'")
            elif "P" not in f.who or (g.kind == "checklist" and f.type != "bool"):
                problems.append(
                    f"findings.yaml: group {g.id}: '{fid}' must be a question the person "
                    "answers (a yes/no one in a checklist)"
                )
            elif fid in group_of:
                problems.append(f"findings.yaml: '{fid}' is in two groups")
            else:
                group_of[fid] = g.id
    sections = {s.id for s in findings_f.exam_sections}
    for f in findings.values():
        if "C" in f.who and f.exam_section not in sections:
            problems.append(
                f"findings.yaml: {f.id}: a clinician finding needs an 'exam_section' of "
                f"{sorted(sections)} (the exam form shows it there)"
            )
        for cond in f.ask_if:
            if cond.finding not in findings:
                problems.append(
                    f"findings.yaml: {f.id}: ask_if names unknown finding '{cond.finding}'"
                )

    backgrounds: dict[tuple[str, str], Background] = {}
    for bg in lik_f.backgrounds:
        where = f"likelihoods.yaml: background {bg.finding}={bg.value!r}"
        cite(where, bg)
        f = findings.get(bg.finding)
        if f is None:
            problems.append(f"{where}: unknown finding '{bg.finding}'")
            continue
        if why := value_problem(f, bg.value):
            problems.append(f"{where}: {why}")
        if (bg.finding, repr(bg.value)) in backgrounds:
            problems.append(f"{where}: given twice")
        backgrounds[(bg.finding, repr(bg.value))] = bg
    seen: dict[tuple[str, str, str], int] = {}
    for i, entry in enumerate(lik_f.likelihoods, start=1):
        where = f"likelihoods.yaml: entry {i} ({entry.key}->{entry.condition})"
        cite(where, entry)
        if entry.predicate is not None:
            if entry.predicate not in predicates:
                problems.append(f"{where}: unknown predicate '{entry.predicate}'")
            elif predicates[entry.predicate].label is None:
                problems.append(
                    f"{where}: predicate '{entry.predicate}' needs a 'label': a result page "
                    "shows it as a reason"
                )
            if entry.condition not in conditions:
                problems.append(f"{where}: unknown condition '{entry.condition}'")
            continue
        f = findings.get(entry.finding or "")
        if f is None:
            problems.append(f"{where}: unknown finding '{entry.finding}'")
            continue
        if entry.condition not in conditions:
            problems.append(f"{where}: unknown condition '{entry.condition}'")
        if entry.frequency is not None and (entry.finding, repr(entry.value)) not in backgrounds:
            problems.append(
                f"{where}: a frequency needs a background for {entry.finding}={entry.value!r}"
            )
        if entry.value is not None:
            why = value_problem(f, entry.value)
            if why:
                problems.append(f"{where}: field value: {why}")
            if f.type in ("number", "scale"):
                problems.append(f"{where}: {f.type} findings take a 'min'/'max' band")
            key = (entry.key, entry.condition, repr(entry.value))
        else:
            if f.type not in ("number", "scale"):
                problems.append(f"{where}: a band is only for number/scale findings")
            key = (entry.key, entry.condition, f"{entry.min}-{entry.max}")
        if key in seen:
            problems.append(f"{where}: repeats entry {seen[key]}")
        seen[key] = i
    bands: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for entry in lik_f.likelihoods:
        if entry.value is None and entry.finding is not None:
            lo = entry.min if entry.min is not None else float("-inf")
            hi = entry.max if entry.max is not None else float("inf")
            bands.setdefault((entry.finding, entry.condition), []).append((lo, hi))
    for (fid, cid), spans in bands.items():
        spans.sort()
        for (_, hi), (lo2, _) in itertools.pairwise(spans):
            if lo2 < hi:
                problems.append(f"likelihoods.yaml: bands for {fid}->{cid} overlap")

    for s in scores.values():
        cite(f"red_flags.yaml: score {s.id}", s)
        for item in s.items:
            if item.finding not in findings:
                problems.append(f"red_flags.yaml: score {s.id}: unknown finding '{item.finding}'")
    exprs = [(f"predicate {p.id}", p.when) for p in predicates.values()]
    exprs += [(f"rule {r.id}", r.when) for r in rules.values()]
    for r in rules.values():
        cite(f"red_flags.yaml: rule {r.id}", r)
        problems += _unknown(
            f"red_flags.yaml: rule {r.id}", "suspected condition", r.suspects, conditions
        )
    if rf_f.must_rule_out is not None:
        cite("red_flags.yaml: must_rule_out", rf_f.must_rule_out)
        for cant_miss in rf_f.must_rule_out.conditions:
            problems += _unknown(
                "red_flags.yaml: must_rule_out", "condition", [cant_miss.condition], conditions
            )
            if cant_miss.only_if is not None:
                exprs.append((f"must_rule_out {cant_miss.condition}", cant_miss.only_if))
    for where, expr in exprs:
        for node in walk_expr(expr):
            if node.ref is not None and node.ref not in predicates:
                problems.append(f"red_flags.yaml: {where}: unknown predicate '{node.ref}'")
            if node.score is not None and node.score not in scores:
                problems.append(f"red_flags.yaml: {where}: unknown score '{node.score}'")
            if node.finding is not None:
                f = findings.get(node.finding)
                if f is None:
                    problems.append(f"red_flags.yaml: {where}: unknown finding '{node.finding}'")
                    continue
                for v in ([node.equals] if node.equals is not None else []) + (node.in_ or []):
                    why = value_problem(f, v)
                    if why:
                        problems.append(f"red_flags.yaml: {where}: {node.finding}={v!r}: {why}")

    problems += _unknown_policy_problems(findings, rules, predicates, scores)

    for t in treatments.values():
        cite(f"treatments.yaml: {t.id}", t)
    for s in surgery.values():
        cite(f"treatments.yaml: surgery indication {s.id}", s)
        problems += _unknown(f"treatments.yaml: {s.id}", "condition", s.conditions, conditions)
        problems += _unknown(f"treatments.yaml: {s.id}", "red flag", s.red_flags, rules)

    advice_ids = {a.id for snippets in advice_f.by_urgency.values() for a in snippets}
    known = {
        "condition": conditions,
        "finding": findings,
        "treatment": treatments,
        "surgery_indication": surgery,
        "red_flag": rules,
        "advice": dict.fromkeys(advice_ids),
    }
    for i, item in enumerate(seeds_f.items, start=1):
        if item.seed not in seeds:
            problems.append(f"seeds.yaml: item {i}: unknown seed '{item.seed}'")
        for kind, ids in item.covers.items():
            problems += _unknown(f"seeds.yaml: item {i} ({item.quote!r})", kind, ids, known[kind])

    cite("drafting.yaml: field exercise_count", drafting_f.draft.exercise_count)
    cite("drafting.yaml: field timing", drafting_f.draft.timing)
    prog = drafting_f.progression
    for name, cited in (
        ("sessions_rule", prog.sessions_rule),
        ("pain_rule", prog.pain_rule),
        ("rise_rule", prog.rise_rule),
        ("load_rule", prog.load_rule),
    ):
        cite(f"drafting.yaml: field progression.{name}", cited)
    problems += _check_exercises(directory, exercises, conditions, cite)
    _cite_running(running_f, cite)
    _cite_outcomes(outcomes_f, cite)
    problems += _check_followup(followup_f, outcomes_f, findings, conditions, rules, cite)
    protocols: dict[str, Protocol] = {}
    for proto in proto_f.protocols:
        if proto.condition in protocols:
            problems.append(f"protocols.yaml: condition '{proto.condition}' has two protocols")
        protocols[proto.condition] = proto
        problems += _check_protocol(proto, exercises, conditions, treatments, cite)
    for c in conditions.values():
        if c.usual_care in ("conservative", "surgical_consult") and c.id not in protocols:
            problems.append(f"protocols.yaml: conservative-care condition '{c.id}' has no protocol")

    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        version=content_hash(directory),
        sources=sources,
        conditions=conditions,
        findings=findings,
        groups=groups,
        direction_weights=lik_f.direction_weights,
        likelihoods=tuple(lik_f.likelihoods),
        backgrounds=backgrounds,
        exam_sections=tuple(findings_f.exam_sections),
        scores=scores,
        predicates=predicates,
        rules=tuple(rules.values()),
        must_rule_out=rf_f.must_rule_out,
        advice=advice_f,
        treatments=treatments,
        surgery_indications=surgery,
        seeds=seeds,
        seed_items=tuple(seeds_f.items),
        drafting=drafting_f.draft,
        progression=drafting_f.progression,
        running=running_f,
        outcomes=outcomes_f,
        followup=followup_f,
        exercises=exercises,
        protocols=protocols,
        directory=directory,
        group_of=group_of,
    )


def _check_exercises(
    directory: Path,
    exercises: dict[str, Exercise],
    conditions: Mapping[str, Condition],
    cite: Callable[[str, Cited], None],
) -> list[str]:
    """Variant links, contraindicated conditions and illustration files must all exist."""
    problems: list[str] = []
    for ex in exercises.values():
        where = f"exercises.yaml: {ex.id}"
        cite(f"{where}, field dose", ex.dose)
        problems += _unknown(f"{where}, field easier", "exercise", ex.easier, exercises)
        problems += _unknown(f"{where}, field harder", "exercise", ex.harder, exercises)
        if ex.id in ex.easier or ex.id in ex.harder:
            problems.append(f"{where}: an exercise cannot be its own variant")
        for i, ci in enumerate(ex.contraindications):
            cite(f"{where}, field contraindications[{i}]", ci)
            if ci.condition not in conditions:
                problems.append(f"{where}: contraindication names unknown '{ci.condition}'")
        if not (directory / ILLUSTRATIONS / ex.illustration).is_file():
            problems.append(f"{where}: illustration '{ILLUSTRATIONS}/{ex.illustration}' is missing")
    return problems


def _cite_running(running: RunningFile, cite: Callable[[str, Cited], None]) -> None:
    """Every running threshold and walk-run level must name a known source."""
    load_rules = running.load
    for name in (
        "weekly_limit",
        "week_over_week",
        "not_the_10_percent_rule",
        "acwr",
        "run_pain",
        "next_morning",
        "surface_majority",
        "symptomatic",
    ):
        cite(f"running.yaml: field load.{name}", getattr(load_rules, name))
    for tier in load_rules.run_spike_tiers:
        cite(f"running.yaml: load.run_spike_tiers ({tier.id})", tier)
    programme = running.walk_run
    for level in programme.levels:
        cite(f"running.yaml: walk_run level {level.level}", level)
    for name in (
        "max_sessions_per_week",
        "rest_day_between_runs",
        "max_levels_per_7_days",
        "min_sessions_per_level",
        "preferred_surfaces",
        "weekly_cap",
    ):
        cite(f"running.yaml: field walk_run.{name}", getattr(programme, name))


def _cite_outcomes(outcomes: OutcomesFile, cite: Callable[[str, Cited], None]) -> None:
    """Every scoring rule, missing-data rule and MCID must name a known source."""
    for name, inst in outcomes.instruments.items():
        where = f"outcomes.yaml: {name}"
        cite(f"{where}, field scoring", inst.scoring)
        for scale in inst.scales:
            cite(f"{where}, scale {scale.key}, field min_answered", scale.min_answered)
        for comp in inst.composites:
            cite(f"{where}, composite {comp.key}", comp)
        for m in inst.mcid:
            cite(f"{where}, mcid {m.scale}", m)


def _check_followup(
    followup: FollowupFile,
    outcomes: OutcomesFile,
    findings: Mapping[str, Finding],
    conditions: Mapping[str, Condition],
    rules: Mapping[str, RedFlagRule],
    cite: Callable[[str, Cited], None],
) -> list[str]:
    """Every threshold cited; every condition, finding, rule, scale and item it names exists."""
    where = "followup.yaml"
    problems: list[str] = []
    choice = followup.instruments
    for name, cited in (
        ("instruments", choice),
        ("schedule", followup.schedule),
        ("review.pain_worse", followup.review.pain_worse),
        ("review.adequate_care", followup.review.adequate_care),
        ("review.no_improvement", followup.review.no_improvement),
        ("review.snooze_days", followup.review.snooze_days),
        ("discharge.pain_free", followup.discharge.pain_free),
        (
            "discharge.full_range_of_motion.other_knee",
            followup.discharge.full_range_of_motion.other_knee,
        ),
        (
            "discharge.full_range_of_motion.normative",
            followup.discharge.full_range_of_motion.normative,
        ),
        ("discharge.evidence_within_days", followup.discharge.evidence_within_days),
        (
            "discharge.target_activity.return_to_running",
            followup.discharge.target_activity.return_to_running,
        ),
    ):
        cite(f"{where}: field {name}", cited)
    problems += _unknown(
        f"{where}: instruments", "condition", choice.lefs_for_conditions, conditions
    )

    def mcid_scales(instrument: str) -> set[str]:
        return {m.scale for m in outcomes.instruments[instrument].mcid}  # type: ignore[index]

    for instrument, scales in choice.improvement_scales.items():
        problems += [
            f"{where}: instruments.improvement_scales.{instrument}: '{s}' has no MCID "
            "in outcomes.yaml"
            for s in scales
            if s not in mcid_scales(instrument)
        ]
    if not mcid_scales("nprs"):
        problems.append(f"{where}: review.pain_worse needs the NPRS MCID in outcomes.yaml")
    for item in followup.safety_checklist.items:
        for fid, value in item.findings.items():
            f = findings.get(fid)
            if f is None:
                problems.append(f"{where}: safety item {item.id}: unknown finding '{fid}'")
            elif f.type != "bool" or "P" not in f.who:
                problems.append(
                    f"{where}: safety item {item.id}: '{fid}' must be a yes/no question the "
                    "person answers"
                )
            elif not value:
                problems.append(
                    f"{where}: safety item {item.id}: a ticked item reports a finding as true"
                )
    failed = followup.review.failed_care
    if failed.finding not in findings or findings[failed.finding].type != "number":
        problems.append(f"{where}: review.failed_care: '{failed.finding}' is not a number finding")
    if failed.rule not in rules:
        problems.append(f"{where}: review.failed_care: unknown red-flag rule '{failed.rule}'")
    for instrument, goal in followup.discharge.outcome_goal.items():
        cite(f"{where}: discharge.outcome_goal.{instrument}", goal)
        inst = outcomes.instruments[instrument]
        keys = {s.key for s in inst.scales} | {c.key for c in inst.composites}
        if goal.scale not in keys:
            problems.append(
                f"{where}: discharge.outcome_goal.{instrument}: unknown scale '{goal.scale}'"
            )
    for goal_id, target in followup.discharge.target_activity.by_goal.items():
        cite(f"{where}: discharge.target_activity.by_goal.{goal_id}", target)
        for instrument, item_ids in target.items.items():
            inst = outcomes.instruments[instrument]
            problems += [
                f"{where}: target_activity.by_goal.{goal_id}: unknown {instrument} item '{i}'"
                for i in item_ids
                if inst.item(i) is None
            ]
    return problems


def _check_protocol(
    proto: Protocol,
    exercises: Mapping[str, Exercise],
    conditions: Mapping[str, Condition],
    treatments: Mapping[str, Treatment],
    cite: Callable[[str, Cited], None],
) -> list[str]:
    """A protocol treats a conservative-care condition, in phase order, with known content,
    and never prescribes an exercise contraindicated for its condition in that phase."""
    where = f"protocols.yaml: {proto.condition}"
    condition = conditions.get(proto.condition)
    if condition is None:
        return [f"{where}: unknown condition '{proto.condition}'"]
    problems: list[str] = []
    if condition.usual_care in ("emergency", "urgent"):
        problems.append(f"{where}: {condition.usual_care} conditions get a referral, not a plan")
    order = [PHASES.index(ph.id) for ph in proto.phases]
    if order != sorted(set(order)):
        problems.append(f"{where}: phases must be distinct and in the order " + ", ".join(PHASES))
    if not any(ph.draft_entry is not None for ph in proto.phases):
        problems.append(f"{where}: no phase has a 'draft_entry', so no draft can start")
    for i, ref in enumerate(proto.refer_when):
        cite(f"{where}, refer_when[{i}]", ref)
    for ph in proto.phases:
        at = f"{where}, phase {ph.id}"
        if ph.draft_entry is not None:
            cite(f"{at}, field draft_entry", ph.draft_entry)
        seen: set[str] = set()
        for rx in ph.exercises:
            cite(f"{at}, exercise {rx.exercise}", rx)
            ex = exercises.get(rx.exercise)
            if ex is None:
                problems.append(f"{at}: unknown exercise '{rx.exercise}'")
                continue
            if rx.exercise in seen:
                problems.append(f"{at}: exercise '{rx.exercise}' is listed twice")
            seen.add(rx.exercise)
            for ci in ex.contraindications:
                if ci.condition == proto.condition and ph.id in ci.phases:
                    problems.append(f"{at}: '{rx.exercise}' is contraindicated here ({ci.reason})")
        for offer in ph.treatments:
            cite(f"{at}, treatment {offer.treatment}", offer)
            if offer.treatment not in treatments:
                problems.append(f"{at}: unknown treatment '{offer.treatment}'")
        for lim in ph.activity_limits:
            cite(f"{at}, limit {lim.id}", lim)
        for crit in ph.progression_criteria:
            cite(f"{at}, criterion {crit.id}", crit)
        for kind, ids in (
            ("limit", [lim.id for lim in ph.activity_limits]),
            ("criterion", [c.id for c in ph.progression_criteria]),
        ):
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{at}: {kind} id '{dup}' is used twice")
    return problems


KNOWLEDGE_DIR_ENV = "POPLITEAL_KNOWLEDGE_DIR"


@cache
def default_knowledge() -> Knowledge:
    """The knowledge base, loaded once per process: the packaged one, or the folder named by
    POPLITEAL_KNOWLEDGE_DIR (a clinic's reviewed copy of the evidence)."""
    return load(Path(os.environ.get(KNOWLEDGE_DIR_ENV) or DATA_DIR))
