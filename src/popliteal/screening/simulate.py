"""Synthetic patients sampled from the knowledge base, to evaluate the adaptive interview.

A case picks a condition by its base prior, then draws each answer from the same model the
interview uses for expected information gain (P(answer | condition) built from the LRs). This
measures the interview against the knowledge base's own picture of each condition: an internal
consistency check, not clinical validation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer
from popliteal.screening.answer_model import finding_model
from popliteal.screening.differential import model_for, rank
from popliteal.screening.interview import plan
from popliteal.screening.relevance import askable
from popliteal.screening.triage import triage


@dataclass(frozen=True)
class Case:
    condition: str
    answers: dict[str, Answer | None]


@dataclass(frozen=True)
class InterviewRun:
    case: Case
    steps: int  # screens: a single question, or a checklist or form shown on one screen
    steps_to_match: int | None
    questions: int  # questions answered (or left "not sure") before the interview stopped
    questions_to_match: int | None  # ... within the first steps_to_match screens
    top3_full: tuple[str, ...]
    top3_adaptive: tuple[str, ...]
    top1_full: str
    top1_adaptive: str
    emergency: bool


def sample_case(kb: Knowledge, rng: random.Random) -> Case:
    """Draw one synthetic person: a condition, then answers to every relevant P question."""
    model = model_for(kb)
    ids = model.condition_ids
    weights = [kb.conditions[c].prior.base.probability for c in ids]
    ci = rng.choices(range(len(ids)), weights=weights)[0]
    cond = kb.conditions[ids[ci]]
    answers: dict[str, Answer | None] = {}
    age_weights = [
        (a, next((b.factor for b in cond.prior.age if b.min <= a < b.max), 1.0))
        for a in range(16, 86)
    ]
    answers["age_years"] = rng.choices(
        [a for a, _ in age_weights], weights=[w for _, w in age_weights]
    )[0]
    sexes = ["female", "male"]
    answers["sex"] = rng.choices(
        sexes,
        weights=[cond.prior.sex[s].factor if s in cond.prior.sex else 1.0 for s in sexes],
    )[0]
    runs = 0.3 * (cond.prior.runner.factor if cond.prior.runner else 1.0)
    rests = 0.7 * (cond.prior.non_runner.factor if cond.prior.non_runner else 1.0)
    answers["runner"] = rng.random() < runs / (runs + rests)
    for fid, finding in kb.findings.items():
        if fid in answers or "P" not in finding.who:
            continue
        if not askable(finding, answers, "patient"):
            continue
        fm = finding_model(model, fid)
        if not fm.domain:
            continue
        answers[fid] = rng.choices(fm.domain, weights=fm.p_given[ci])[0]
    return Case(condition=ids[ci], answers=answers)


def top3(kb: Knowledge, answers: dict[str, Answer | None]) -> tuple[str, ...]:
    return tuple(sorted(r.id for r in rank(kb, answers)[:3]))


def run_interview(kb: Knowledge, case: Case) -> InterviewRun:
    """Answer the adaptive interview from the case until it stops; compare with all answers."""
    full = top3(kb, case.answers)
    answers: dict[str, Answer | None] = {}
    history: list[tuple[str, ...]] = []
    asked: list[int] = []  # questions answered after each step
    while True:
        state = plan(kb, answers, role="patient")
        if state.done:
            break
        step = state.steps[0]
        for fid in step.findings:
            answers[fid] = case.answers.get(fid)
        history.append(top3(kb, answers))
        asked.append(len(answers))
    steps_to_match: int | None = None
    for i in range(len(history), -1, -1):
        if (history[i - 1] if i else top3(kb, {})) != full:
            break
        steps_to_match = i
    emergency = triage(kb, answers).urgency == "emergency"
    return InterviewRun(
        case=case,
        steps=len(history),
        steps_to_match=steps_to_match,
        questions=len(answers),
        questions_to_match=None if steps_to_match is None else ([0, *asked])[steps_to_match],
        top3_full=full,
        top3_adaptive=top3(kb, answers),
        top1_full=rank(kb, case.answers)[0].id,
        top1_adaptive=rank(kb, answers)[0].id,
        emergency=emergency,
    )
