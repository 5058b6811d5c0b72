"""Adaptive interview: which question to ask next, and when to stop.

Order: the short "about you" form (the group marked `first`); then every question the person
can answer that could still fire an emergency or urgent rule (relevance.py, in findings.yaml
order; a checklist or form group is one step). Then the step with the largest expected
information gain over the current belief (answer_model.py). Stop when the top three survives
most simulated completions of the remaining questions, or when questions run out. An emergency
ends the interview: the person must seek care now.

"Not sure" to a safety question whose `unknown_policy` says `ask_again` is asked once more,
straight away, with a plain way to check it; if still not sure, it stays "not ruled out".
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Urgency
from popliteal.screening.answer_model import belief, information_gain, sample_completion
from popliteal.screening.differential import Model, accumulate, model_for, normalise
from popliteal.screening.relevance import askable, open_safety_findings
from popliteal.screening.safety import not_ruled_out
from popliteal.screening.triage import triage

MIN_GAIN_BITS = 1e-4
# Stop when, in this share of simulated completions of the remaining questions, the top three
# stays the same (the completions are drawn from the same answer model as the gain).
STABLE_SHARE = 0.9
COMPLETIONS = 40


@dataclass(frozen=True)
class Step:
    """One screen of the interview: a single question, or a checklist or form group."""

    kind: Literal["finding", "group"]
    id: str
    findings: tuple[str, ...]
    safety: bool
    gain_bits: float = 0.0
    recheck: bool = False  # asked again after "not sure", with a way to check


@dataclass(frozen=True)
class InterviewState:
    done: bool
    steps: tuple[Step, ...]

    def next_findings(self) -> list[str]:
        return [f for step in self.steps for f in step.findings]


def _top3(probs: list[float], ids: tuple[str, ...]) -> frozenset[int]:
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], ids[i]))
    return frozenset(order[:3])


def _top3_is_stable(
    model: Model,
    answers: Mapping[str, Answer | None],
    role: str,
    log_scores: list[float],
    probs: list[float],
) -> bool:
    """Would the top three survive the remaining questions? Checked on simulated completions.

    The random draws are seeded from the answers, so the same answers always give the same plan.
    """
    seed = hashlib.sha256(json.dumps(sorted(answers.items()), default=str).encode()).digest()
    rng = random.Random(seed)  # noqa: S311 - a simulation, not security
    ids = model.condition_ids
    now = _top3(normalise(log_scores), ids)
    allowed_misses = int(COMPLETIONS * (1 - STABLE_SHARE))
    misses = 0
    for _ in range(COMPLETIONS):
        ci = rng.choices(range(len(ids)), weights=probs)[0]
        completion = sample_completion(model, answers, role, ci, rng)
        after = accumulate(model, completion).log_scores(model.base_log_prob)
        if _top3(normalise(after), ids) != now:
            misses += 1
            if misses > allowed_misses:
                return False
    return True


# ------------------------------------------------------------------ the plan


def to_recheck(
    kb: Knowledge,
    answers: Mapping[str, Answer | None],
    asked_once: Collection[str],
    role: str = "patient",
) -> list[str]:
    """Safety questions answered "not sure" once that should be asked again with a way to check.

    Only those that could still fire an emergency or urgent rule (the rest no longer matter).
    """
    if role == "clinician":
        return []
    candidates = {
        fid
        for fid in asked_once
        if fid in answers
        and answers[fid] is None
        and (policy := kb.findings[fid].unknown_policy) is not None
        and policy.ask_again
    }
    if not candidates:
        return []
    return [fid for fid in not_ruled_out(kb, answers, role) if fid in candidates]


def _recheck_steps(kb: Knowledge, fids: list[str]) -> list[Step]:
    by_group: dict[str, list[str]] = {}
    steps: list[Step] = []
    for fid in [f for f in kb.findings if f in set(fids)]:
        group = kb.group_of.get(fid)
        if group is None:
            steps.append(Step("finding", fid, (fid,), safety=True, recheck=True))
        else:
            by_group.setdefault(group, []).append(fid)
    steps += [
        Step("group", gid, tuple(members), safety=True, recheck=True)
        for gid, members in by_group.items()
    ]
    return steps


def _first_step(
    kb: Knowledge, askable_ids: list[str], safety_open: set[str], role: str
) -> list[Step]:
    """The "about you" form, while any of it is still unasked."""
    if role == "clinician":
        return []
    for group in kb.groups.values():
        if group.first:
            members = tuple(f for f in group.findings if f in askable_ids)
            if members:
                safety = any(f in safety_open for f in members)
                return [Step("group", group.id, members, safety=safety)]
    return []


def plan(
    kb: Knowledge,
    answers: Mapping[str, Answer | None],
    *,
    role: str = "patient",
    urgency: Urgency | None = None,
    asked_once: Collection[str] = (),
) -> InterviewState:
    """Every remaining step, best first; `done` when the interview should stop.

    `urgency` is the triage of these same answers when the caller has it already.
    `asked_once`: findings asked once so far, in an interview that asks a "not sure" safety
    question again (to_recheck); a one-shot screening of given answers passes none.
    """
    if (urgency or triage(kb, answers, role=role).urgency) == "emergency":
        return InterviewState(done=True, steps=())
    order = list(kb.findings)
    askable_ids = [f for f in order if askable(kb.findings[f], answers, role)]
    safety_open = open_safety_findings(kb, answers, role)
    steps: list[Step] = _recheck_steps(kb, to_recheck(kb, answers, asked_once, role))
    steps += _first_step(kb, askable_ids, safety_open, role)
    seen_groups: set[str] = {s.id for s in steps if s.kind == "group" and not s.recheck}
    for fid in askable_ids:
        if fid not in safety_open:
            continue
        group = kb.group_of.get(fid)
        if group is None or role == "clinician":
            steps.append(Step("finding", fid, (fid,), safety=True))
        elif group not in seen_groups:
            seen_groups.add(group)
            members = tuple(m for m in kb.groups[group].findings if m in askable_ids)
            steps.append(Step("group", group, members, safety=True))
    in_steps = {f for s in steps for f in s.findings}

    model = model_for(kb)
    scores = accumulate(model, answers)
    log_scores = scores.log_scores(model.base_log_prob)
    probs = belief(model, answers)
    # A checklist group is one step: its gain is the sum of its members' gains (an upper bound
    # on the joint gain, good enough to order steps).
    candidates: dict[str, tuple[float, int, list[str]]] = {}
    for pos, fid in enumerate(askable_ids):
        if fid in in_steps:
            continue
        gain = information_gain(model, probs, fid)
        group = kb.group_of.get(fid) if role != "clinician" else None
        key = f"group:{group}" if group else fid
        total, first, grouped = candidates.get(key, (0.0, pos, []))
        candidates[key] = (total + gain, first, [*grouped, fid])
    ranked = sorted(
        (
            (gain, pos, key, grouped)
            for key, (gain, pos, grouped) in candidates.items()
            if gain > MIN_GAIN_BITS
        ),
        key=lambda t: (-t[0], t[1]),
    )
    if not steps and (not ranked or _top3_is_stable(model, answers, role, log_scores, probs)):
        return InterviewState(done=True, steps=())
    for gain, _, key, grouped in ranked:
        if key.startswith("group:"):
            steps.append(
                Step(
                    "group",
                    key.removeprefix("group:"),
                    tuple(grouped),
                    safety=False,
                    gain_bits=gain,
                )
            )
        else:
            steps.append(Step("finding", key, (key,), safety=False, gain_bits=gain))
    return InterviewState(done=False, steps=tuple(steps))
