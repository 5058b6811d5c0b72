"""What a screening may not leave out: warning signs not ruled out, causes that must be ruled
out, and red-flag suspects ranked first.

"Don't know" is never "no". A safety question answered "not sure" (`null`) that could still
fire an emergency or urgent rule stays on the result as not ruled out. Rules are evaluated in
three-valued (Kleene) logic here, with every unanswered finding this role can answer unknown,
whether it was left "not sure" or not asked yet: a rule is open while some answers could still
make it true. (In a person's screening an exam finding stays unanswered: it decides nothing.)

A red flag is never outranked by statistics: a condition that a fired emergency or urgent rule
names is kept among the first three causes, however little evidence the ranking has for it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from functools import cache

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RED_FLAG_LEVELS, Answer
from popliteal.screening.compiled_rules import programs
from popliteal.screening.differential import Effect, RankedCondition
from popliteal.screening.relevance import open_safety_findings
from popliteal.screening.triage import FiredRule

Answers = Mapping[str, Answer | None]
SAFETY_LEVELS = RED_FLAG_LEVELS
TOP = 3
# The headline of a routine result while a warning sign is open, on every surface.
NOT_RULED_OUT = "Some warning signs are not ruled out yet"
# Raised suspects sit just above the cause they overtake, not level with it.
ABOVE = 1.01


def open_rules(
    kb: Knowledge, answers: Answers, role: str, fired: Collection[str] | None = None
) -> dict[str, frozenset[str]]:
    """Emergency and urgent rules not fired that unknown answers could still fire, each with
    the unanswered findings that could decide it (a screening computes it once and hands it
    to not_ruled_out and must_rule_out). `fired`: the ids of the rules the triage of these
    answers, for this role, fired, when the caller has them (they are not judged again)."""
    found: dict[str, frozenset[str]] = {}
    compiled = programs(kb, role)
    still_open = compiled.unsettled(answers)  # not answered, or answered "not sure"
    for rule_id, holds, kleene, _ in compiled.safety_rules:  # the SAFETY_LEVELS rules
        if not (holds(answers) if fired is None else rule_id in fired):
            deciding: list[str] = []
            if kleene(answers, still_open, deciding) is None:
                found[rule_id] = frozenset(deciding)
    return found


def open_rules_and_findings(
    kb: Knowledge, answers: Answers, role: str, fired: Collection[str] | None = None
) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """open_rules and relevance.open_safety_findings of the same answers, at once (`fired` as
    for open_rules).

    The two judge a rule with different tests of "still open" (open_rules also counts a "not
    sure" answer and a question its lead answer closed), but where a rule reads no finding
    the two tests disagree on, they judge it alike: such a rule is judged once for both."""
    compiled = programs(kb, role)
    unsettled = compiled.unsettled_set(answers)
    asked = compiled.could_be_asked_set(answers)
    differ = unsettled.difference(asked)  # could be asked is never more than unsettled
    still_open, could_be_asked = unsettled.__contains__, asked.__contains__
    found: dict[str, frozenset[str]] = {}
    safety_open: set[str] = set()
    for rule_id, holds, kleene, reads in compiled.safety_rules:
        held = holds(answers) if fired is None else rule_id in fired
        alike = reads.isdisjoint(differ)
        if not held:
            deciding: list[str] = []
            if kleene(answers, still_open, deciding) is None:
                found[rule_id] = frozenset(deciding)
                if alike:
                    safety_open.update(deciding)
            if alike:
                continue
        sub: list[str] = []
        if kleene(answers, could_be_asked, sub) is None:
            safety_open.update(sub)
    return found, frozenset(safety_open)


def not_ruled_out(
    kb: Knowledge,
    answers: Answers,
    role: str = "patient",
    opened: Mapping[str, frozenset[str]] | None = None,
) -> tuple[str, ...]:
    """Findings answered "not sure" (`null`) that could still fire an emergency or urgent rule,
    in question order. Never one that was not asked: an absent finding is not listed."""
    unsure = [fid for fid, value in answers.items() if value is None]
    if not unsure:
        return ()
    if opened is None:
        opened = open_rules(kb, answers, role)
    deciding = set().union(*opened.values()).intersection(unsure)
    return in_question_order(kb, deciding)


def in_question_order(kb: Knowledge, finding_ids: Collection[str]) -> tuple[str, ...]:
    """These findings in the order of the questions (findings.yaml)."""
    if not finding_ids:
        return ()
    return tuple(sorted(finding_ids, key=question_order(kb).__getitem__))


@cache
def question_order(kb: Knowledge) -> dict[str, int]:
    """Each finding's place among the questions."""
    return {fid: place for place, fid in enumerate(kb.findings)}


def not_asked(
    kb: Knowledge,
    answers: Answers,
    role: str = "patient",
    still_open: Collection[str] | None = None,
) -> tuple[str, ...]:
    """Safety questions this role could still be asked, never answered, whose answer could fire
    an emergency or urgent rule, in question order (relevance.open_safety_findings: a follow-up
    whose lead question closed it, "does the lump pulse?" after "no lump", is not one). An empty
    form is not a "no" to anything on it: a result made from a few answers (the API takes any
    subset) names the warning signs nobody asked about, beside those answered "not sure"."""
    if still_open is None:  # the interview plan has it already (InterviewState.safety_open)
        still_open = open_safety_findings(kb, answers, role)
    gates = programs(kb, role).gates
    any_unsure = any(value is None for value in answers.values())

    def follows_an_unsure_answer(fid: str) -> bool:
        # "Does the lump pulse?" after "not sure" about a lump: the lump is listed as not
        # ruled out already, and the interview does not ask a follow-up of an unknown.
        return any_unsure and any(g in answers and answers[g] is None for g, _ in gates[fid] or ())

    return in_question_order(
        kb,
        {
            fid
            for fid in still_open
            if fid not in answers and fid in gates and not follows_an_unsure_answer(fid)
        },
    )


def open_sign_blocks_all_clear(urgency: str, *open_signs: Sequence[object]) -> bool:
    """Never "a good fit" while a warning sign is open: a routine result with a safety question
    left "not sure" or never asked gets the NOT_RULED_OUT headline instead (the result page,
    the printable summary and the command line all ask this one question)."""
    return urgency == "conservative" and any(open_signs)


def own_chance(c: RankedCondition) -> float:
    """The larger of a cause's share of the ranking and its own posterior (prior odds times its
    ratios, as if no other cause competed). Causes can coexist, and normalising over all of
    them dilutes a can't-miss cause when a common one gathers evidence; the threshold must not
    miss it for that reason."""
    return max(c.probability, 1 / (1 + math.exp(-c.log_odds)))


def named_by_fired(kb: Knowledge, fired: tuple[FiredRule, ...]) -> list[tuple[str, FiredRule]]:
    """The causes fired rules name, each with the first (most urgent) rule naming it: every
    suspect of an emergency or urgent rule, and the can't-miss suspects (red_flags.yaml
    `must_rule_out`) of a lower rule, such as the aneurysm a lump at 50 or over names. The
    result page, the ranking and the must-rule-out list all start from this one list."""
    policy = kb.must_rule_out
    cant_miss = {e.condition for e in policy.conditions} if policy is not None else set()
    named: dict[str, FiredRule] = {}
    for rule in fired:  # most urgent rule first (triage sorts them)
        for cid in rule.suspects:
            if rule.urgency in SAFETY_LEVELS or cid in cant_miss:
                named.setdefault(cid, rule)
    return list(named.items())


def must_rule_out(
    kb: Knowledge,
    answers: Answers,
    fired: tuple[FiredRule, ...],
    ranked: list[RankedCondition],
    role: str = "patient",
    opened: Mapping[str, frozenset[str]] | None = None,
) -> tuple[str, ...]:
    """Causes the clinic must rule out: those a fired emergency or urgent rule names (and the
    can't-miss ones any fired rule names), those a rule left open by a "not sure" answer names,
    then the can't-miss causes (red_flags.yaml `must_rule_out`) whose chance (own_chance)
    reaches the threshold. Most urgent first."""
    out: list[str] = []

    def add(ids: list[str] | tuple[str, ...]) -> None:
        out.extend(c for c in ids if c not in out)

    policy = kb.must_rule_out
    add([cid for cid, _ in named_by_fired(kb, fired)])
    unsure = {fid for fid, value in answers.items() if value is None}
    if unsure:
        still_open = opened if opened is not None else open_rules(kb, answers, role)
        for open_rule in kb.rules:
            deciding = still_open.get(open_rule.id)
            if deciding and not deciding.isdisjoint(unsure):
                add(open_rule.suspects)
    if policy is not None:
        by_id = {c.id: c for c in ranked}
        only_if = programs(kb, role).only_if
        for entry, holds in zip(policy.conditions, only_if, strict=True):
            cause = by_id.get(entry.condition)
            if (own_chance(cause) if cause is not None else 0.0) < policy.threshold:
                continue
            if holds is not None and not holds(answers):
                continue
            add([entry.condition])
    return tuple(out)


def red_flag_suspects_first(
    kb: Knowledge, ranked: list[RankedCondition], fired: tuple[FiredRule, ...], answers: Answers
) -> list[RankedCondition]:
    """A red flag is never outranked by statistics: a cause an emergency or urgent rule names
    comes before every cause no such rule names; a can't-miss cause a lower rule names (the
    aneurysm behind a lump at 50 or over, "usually a cyst") is kept among the first three.

    Each such cause below its bar is raised just above the cause it has to pass, the more
    urgent rule's cause first, and the whole list is normalised again (the others keep their
    order and proportions), so the list stays sorted by `probability` as the contract says.
    The raise shows in the cause's evidence as a `red_flag` effect naming the rule, and every
    cause keeps its share from the answers alone (`from_answers`): that, not the raised share,
    is the chance a person or clinician is shown."""
    if not fired:
        return ranked
    named = {c.id: c for c in ranked}
    suspects = [(cid, rule) for cid, rule in named_by_fired(kb, fired) if cid in named]
    if not suspects:
        return ranked
    first = suspects[:TOP]
    chosen = {cid for cid, _ in first}
    others = [c for c in ranked if c.id not in chosen]
    room = TOP - len(first)
    top_other = others[0].probability if others else 0.0
    third = others[room].probability if len(others) > room else 0.0
    weights = {c.id: c.probability for c in ranked}
    raised: dict[str, Effect] = {}
    for place, (cid, rule) in enumerate(first):
        red_flag = rule.urgency in SAFETY_LEVELS
        bar = top_other if red_flag else third
        if weights[cid] <= bar:
            target = bar * ABOVE ** (len(first) - place)  # the more urgent rule's cause first
            factor = target / max(weights[cid], 1e-300)
            weights[cid] = target
            finding = rule.because[0] if rule.because else rule.id
            raised[cid] = Effect(
                finding=finding,
                value=answers.get(finding),  # type: ignore[arg-type]
                lr=factor,
                source=rule.source,
                expert_weight=True,
                kind="red_flag",
                note=f"the red-flag rule {rule.id} names this cause: it comes first until it "
                "is ruled out"
                if red_flag
                else f"the rule {rule.id} names this cause: it stays among the first three "
                "until it is ruled out",
            )
    total = sum(weights.values())
    out = []
    for c in ranked:
        probability = weights[c.id] / total
        shift = math.log(weights[c.id] / c.probability) if c.id in raised else 0.0
        evidence = (raised[c.id], *c.evidence) if c.id in raised else c.evidence
        # Fields by position (id, name, patient name, probability, log odds, evidence, the
        # share from the answers alone): cheaper than by name.
        out.append(
            RankedCondition(
                c.id,
                c.name,
                c.patient_name,
                probability,
                c.log_odds + shift,
                evidence,
                c.probability,
            )
        )
    out.sort(key=lambda r: (-r.probability, r.id))
    return out
