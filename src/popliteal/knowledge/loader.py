"""Load and cross-check the knowledge base, and hold it as `Knowledge`, indexed by id.

Validation happens once, at load: schema errors and dangling references are collected and
reported together, each naming file, entry and field. Reading and parsing the files is
`files.py`; the checks across files are `checks/`, one module per file checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from popliteal.knowledge.checks.codes import check_codes
from popliteal.knowledge.checks.exercises import check_exercises
from popliteal.knowledge.checks.findings import check_findings, cite_priors
from popliteal.knowledge.checks.likelihoods import check_backgrounds, check_likelihoods
from popliteal.knowledge.checks.outcomes import check_followup, cite_outcomes
from popliteal.knowledge.checks.protocols import check_protocols, cite_drafting
from popliteal.knowledge.checks.red_flags import check_red_flags, unknown_policy_problems
from popliteal.knowledge.checks.running import cite_running, plain_flag_sources
from popliteal.knowledge.checks.treatments import check_seeds, check_treatments
from popliteal.knowledge.expressions import read_findings, value_problem, walk_expr
from popliteal.knowledge.files import (
    DATA_DIR,
    ILLUSTRATIONS,
    content_hash,
    index_by_id,
    read_files,
)
from popliteal.knowledge.schema import (
    AdviceFile,
    Answer,
    Background,
    Cited,
    CodesFile,
    Condition,
    DirectionWeights,
    DraftSettings,
    ExamSection,
    Exercise,
    Finding,
    FollowupFile,
    Group,
    Likelihood,
    MustRuleOut,
    OutcomesFile,
    Predicate,
    ProgressionSettings,
    Protocol,
    RedFlagRule,
    RunningFile,
    Score,
    Seed,
    SeedItem,
    SourceEntry,
    SurgeryIndication,
    Treatment,
)

# What the areas import from here: the loaded base and how to get it, with the data folder and
# hash (files.py) and the expression and answer readers (expressions.py) re-exported.
__all__ = [
    "DATA_DIR",
    "KNOWLEDGE_DIR_ENV",
    "Knowledge",
    "KnowledgeError",
    "content_hash",
    "default_knowledge",
    "load",
    "read_findings",
    "value_problem",
    "walk_expr",
]


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
    codes: CodesFile
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


def load(directory: Path = DATA_DIR) -> Knowledge:
    """Load, validate and cross-check every file; raise KnowledgeError listing all problems."""
    problems: list[str] = []
    files = read_files(directory, problems)
    if files is None:
        raise KnowledgeError(problems)

    sources = {s.key: s for s in files.sources.sources}
    conditions = index_by_id("conditions.yaml", files.conditions.conditions, problems)
    findings = index_by_id("findings.yaml", files.findings.findings, problems)
    groups = index_by_id("findings.yaml groups", files.findings.groups, problems)
    scores = index_by_id("red_flags.yaml scores", files.red_flags.scores, problems)
    predicates = index_by_id("red_flags.yaml predicates", files.red_flags.predicates, problems)
    rules = index_by_id("red_flags.yaml rules", files.red_flags.rules, problems)
    treatments = index_by_id("treatments.yaml", files.treatments.treatments, problems)
    surgery = index_by_id(
        "treatments.yaml surgery_indications", files.treatments.surgery_indications, problems
    )
    seeds = index_by_id("seeds.yaml", files.seeds.seeds, problems)
    exercises = index_by_id("exercises.yaml", files.exercises.exercises, problems)

    def cite(where: str, item: Cited) -> None:
        if item.source is not None and item.source not in sources:
            problems.append(f"{where}: source '{item.source}' is not in sources.yaml")

    # The order of the checks is the order of the report.
    cite_priors(conditions, cite)
    group_of = check_findings(files.findings, findings, groups, problems)
    backgrounds = check_backgrounds(files.likelihoods, findings, cite, problems)
    check_likelihoods(
        files.likelihoods,
        findings=findings,
        conditions=conditions,
        predicates=predicates,
        backgrounds=backgrounds,
        cite=cite,
        problems=problems,
    )
    check_red_flags(
        files.red_flags,
        findings=findings,
        conditions=conditions,
        scores=scores,
        predicates=predicates,
        rules=rules,
        cite=cite,
        problems=problems,
    )
    problems += unknown_policy_problems(findings, rules, predicates, scores)
    check_treatments(
        treatments, surgery, conditions=conditions, rules=rules, cite=cite, problems=problems
    )
    check_seeds(
        files.seeds,
        seeds,
        conditions=conditions,
        findings=findings,
        treatments=treatments,
        surgery=surgery,
        rules=rules,
        advice=files.advice,
        problems=problems,
    )
    cite_drafting(files.drafting, cite)
    problems += check_exercises(directory, exercises, conditions, cite)
    cite_running(files.running, cite)
    problems += plain_flag_sources(files.running, sources)
    cite_outcomes(files.outcomes, cite)
    problems += check_followup(files.followup, files.outcomes, findings, conditions, rules, cite)
    problems += check_codes(files.codes, conditions=conditions, outcomes=files.outcomes, cite=cite)
    protocols = check_protocols(
        files.protocols,
        exercises=exercises,
        conditions=conditions,
        treatments=treatments,
        cite=cite,
        problems=problems,
    )

    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        version=content_hash(directory),
        sources=sources,
        conditions=conditions,
        findings=findings,
        groups=groups,
        direction_weights=files.likelihoods.direction_weights,
        likelihoods=tuple(files.likelihoods.likelihoods),
        backgrounds=backgrounds,
        exam_sections=tuple(files.findings.exam_sections),
        scores=scores,
        predicates=predicates,
        rules=tuple(rules.values()),
        must_rule_out=files.red_flags.must_rule_out,
        advice=files.advice,
        treatments=treatments,
        surgery_indications=surgery,
        seeds=seeds,
        seed_items=tuple(files.seeds.items),
        drafting=files.drafting.draft,
        progression=files.drafting.progression,
        running=files.running,
        outcomes=files.outcomes,
        followup=files.followup,
        codes=files.codes,
        exercises=exercises,
        protocols=protocols,
        directory=directory,
        group_of=group_of,
    )


KNOWLEDGE_DIR_ENV = "POPLITEAL_KNOWLEDGE_DIR"


@cache
def default_knowledge() -> Knowledge:
    """The knowledge base, loaded once per process: the packaged one, or the folder named by
    POPLITEAL_KNOWLEDGE_DIR (a clinic's reviewed copy of the evidence)."""
    return load(Path(os.environ.get(KNOWLEDGE_DIR_ENV) or DATA_DIR))
