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

import itertools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Urgency
from popliteal.screening.answer_arrays import answer_arrays
from popliteal.screening.answer_model import belief, information_gain
from popliteal.screening.compiled_rules import programs
from popliteal.screening.differential import Model, accumulate, model_for
from popliteal.screening.relevance import open_safety_findings
from popliteal.screening.safety import not_ruled_out
from popliteal.screening.stop_rule import top3_is_stable
from popliteal.screening.triage import triage

MIN_GAIN_BITS = 1e-4
# Gains closer than this are recomputed one at a time before they are ordered (see
# _exact_where_close): far above the arrays' rounding, far below any real difference.
CLOSE_BITS = 1e-9
# A frozen dataclass's fields are set through object.__setattr__ (its own refuses).
_set_fields = object.__setattr__


@dataclass(frozen=True, init=False)
class Step:
    """One screen of the interview: a single question, or a checklist or form group."""

    kind: Literal["finding", "group"]
    id: str
    findings: tuple[str, ...]
    safety: bool
    gain_bits: float = 0.0
    recheck: bool = False  # asked again after "not sure", with a way to check

    def __init__(
        self,
        kind: Literal["finding", "group"],
        id: str,
        findings: tuple[str, ...],
        safety: bool,
        gain_bits: float = 0.0,
        recheck: bool = False,
    ) -> None:
        # A plan builds a dozen or more: its fields given as one new dict (a third of the time
        # of the frozen class's object.__setattr__ per field).
        _set_fields(
            self,
            "__dict__",
            {
                "kind": kind,
                "id": id,
                "findings": findings,
                "safety": safety,
                "gain_bits": gain_bits,
                "recheck": recheck,
            },
        )


@dataclass(frozen=True)
class InterviewState:
    done: bool
    steps: tuple[Step, ...]
    # Unanswered findings that could still fire an emergency or urgent rule (worked out for
    # the plan; the result's never-asked safety list reuses it). Empty after an emergency.
    safety_open: frozenset[str] = frozenset()

    def next_findings(self) -> list[str]:
        return [f for step in self.steps for f in step.findings]


# ------------------------------------------------------------------ the plan


def _top3_is_stable(
    model: Model, answers: Mapping[str, Answer | None], role: str, probs: list[float]
) -> bool:
    log_scores = accumulate(model, answers).log_scores(model.base_log_prob)
    return top3_is_stable(model, answers, role, log_scores, probs)


# A plan's candidate step: [sum of its members' gains, its first member's place, its members].
Candidate = list[Any]


@cache
def _candidate_keys(kb: Knowledge, role: str) -> dict[str, tuple[int | None, str]]:
    """Per finding: its row in the gain arrays (None: no answer bands, no gain) and the step
    it belongs to in this role's plan ("group:<id>" for a checklist or form, else its id)."""
    position = answer_arrays(model_for(kb)).position
    group_of = kb.group_of if role != "clinician" else {}
    return {
        fid: (position.get(fid), f"group:{group}" if (group := group_of.get(fid)) else fid)
        for fid in kb.findings
    }


def _exact_where_close(model: Model, probs: list[float], candidates: dict[str, Candidate]) -> None:
    """Recompute, one question at a time, the gains that the array sums could misorder.

    The arrays agree with information_gain to about 1e-15 bits, but summed in another order;
    wherever two steps' gains (or a gain and the MIN_GAIN_BITS line) are closer than
    CLOSE_BITS, the exact one-at-a-time figure decides, so the order is always the same.

    Steps below the line by more than twice CLOSE_BITS are left out: such a step is dropped
    whatever its exact figure, and so is any step close to it (below the line by more than
    CLOSE_BITS); among the others, the neighbours are the same with or without them."""
    floor = MIN_GAIN_BITS - 2 * CLOSE_BITS
    values = sorted((entry[0], key) for key, entry in candidates.items() if entry[0] >= floor)
    close = {key for gain, key in values if abs(gain - MIN_GAIN_BITS) <= CLOSE_BITS}
    for (low, low_key), (high, high_key) in itertools.pairwise(values):
        if high - low <= CLOSE_BITS:
            close |= {low_key, high_key}
    for key in close:
        entry = candidates[key]
        total = 0.0
        for fid in entry[2]:
            total += information_gain(model, probs, fid)
        entry[0] = total


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
    """Single questions and short forms first, then checklists, each in question order."""
    if not fids:
        return []
    wanted = set(fids)
    by_group: dict[str, list[str]] = {}
    singles: list[Step] = []
    for fid in [f for f in kb.findings if f in wanted]:
        group = kb.group_of.get(fid)
        if group is None:
            singles.append(Step("finding", fid, (fid,), safety=True, recheck=True))
        else:
            by_group.setdefault(group, []).append(fid)
    forms: list[Step] = []
    checklists: list[Step] = []
    for gid, members in by_group.items():
        step = Step("group", gid, tuple(members), safety=True, recheck=True)
        (forms if kb.groups[gid].kind == "form" else checklists).append(step)
    order = {fid: pos for pos, fid in enumerate(kb.findings)}
    return [*sorted([*singles, *forms], key=lambda s: order[s.findings[0]]), *checklists]


def _first_step(
    kb: Knowledge, askable_ids: Collection[str], safety_open: Collection[str], role: str
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
    safety_open: Collection[str] | None = None,
) -> InterviewState:
    """Every remaining step, best first; `done` when the interview should stop.

    `urgency` is the triage of these same answers when the caller has it already, and
    `safety_open` their relevance.open_safety_findings.
    `asked_once`: findings asked once so far, in an interview that asks a "not sure" safety
    question again (to_recheck); a one-shot screening of given answers passes none.
    """
    if (urgency or triage(kb, answers, role=role).urgency) == "emergency":
        return InterviewState(done=True, steps=())
    askable_ids = programs(kb, role).askable(answers)
    askable_now = set(askable_ids)
    if safety_open is None:
        safety_open = open_safety_findings(kb, answers, role)
    steps: list[Step] = _recheck_steps(kb, to_recheck(kb, answers, asked_once, role))
    steps += _first_step(kb, askable_now, safety_open, role)
    seen_groups: set[str] = {s.id for s in steps if s.kind == "group" and not s.recheck}
    for fid in [f for f in askable_ids if f in safety_open]:
        group = kb.group_of.get(fid)
        if group is None or role == "clinician":
            steps.append(Step("finding", fid, (fid,), True))  # safety
        elif group not in seen_groups:
            seen_groups.add(group)
            members = tuple([m for m in kb.groups[group].findings if m in askable_now])
            steps.append(Step("group", group, members, True))  # safety
    in_steps = {f for s in steps for f in s.findings}

    model = model_for(kb)
    remaining = [(pos, fid) for pos, fid in enumerate(askable_ids) if fid not in in_steps]
    probs: list[float] = []
    # A checklist group is one step: its gain is the sum of its members' gains (an upper bound
    # on the joint gain, good enough to order steps).
    candidates: dict[str, Candidate] = {}
    if remaining:
        probs = belief(model, answers)
        arrays = answer_arrays(model)
        gains: list[float] = arrays.information_gains(probs).tolist()
        keys = _candidate_keys(kb, role)
        for pos, fid in remaining:
            at, key = keys[fid]
            gain = 0.0 if at is None else gains[at]
            entry = candidates.get(key)
            if entry is None:
                candidates[key] = [0.0 + gain, pos, [fid]]
            else:  # the same sum, in the same order, as adding each member's gain to the total
                entry[0] += gain
                entry[2].append(fid)
        _exact_where_close(model, probs, candidates)
    ranked = sorted(
        (
            (gain, pos, key, grouped)
            for key, (gain, pos, grouped) in candidates.items()
            if gain > MIN_GAIN_BITS
        ),
        key=lambda t: (-t[0], t[1]),
    )
    if not steps and (not ranked or _top3_is_stable(model, answers, role, probs)):
        return InterviewState(done=True, steps=(), safety_open=frozenset(safety_open))
    # Steps are built with their fields by position (safety, gain_bits): by name costs more.
    for gain, _, key, grouped in ranked:
        if key.startswith("group:"):
            steps.append(Step("group", key.removeprefix("group:"), tuple(grouped), False, gain))
        else:
            steps.append(Step("finding", key, (key,), False, gain))
    return InterviewState(done=False, steps=tuple(steps), safety_open=frozenset(safety_open))
