"""protocols.yaml and drafting.yaml: one protocol per conservative-care condition, in phase
order, with known, cited content that never prescribes a contraindicated exercise; every
drafting and progression rule cited."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.schema import (
    PHASES,
    RED_FLAG_LEVELS,
    Condition,
    DraftingFile,
    Exercise,
    Protocol,
    ProtocolsFile,
    Treatment,
)


def cite_drafting(drafting: DraftingFile, cite: Cite) -> None:
    """Every drafting and progression rule must name a known source."""
    cite("drafting.yaml: field exercise_count", drafting.draft.exercise_count)
    cite("drafting.yaml: field timing", drafting.draft.timing)
    prog = drafting.progression
    for name, cited in (
        ("sessions_rule", prog.sessions_rule),
        ("pain_rule", prog.pain_rule),
        ("rise_rule", prog.rise_rule),
        ("load_rule", prog.load_rule),
    ):
        cite(f"drafting.yaml: field progression.{name}", cited)


def check_protocols(
    protocols_file: ProtocolsFile,
    *,
    exercises: Mapping[str, Exercise],
    conditions: Mapping[str, Condition],
    treatments: Mapping[str, Treatment],
    cite: Cite,
    problems: list[str],
) -> dict[str, Protocol]:
    """The protocols keyed by condition, each checked; every conservative-care condition
    (and surgical consult) needs one."""
    protocols: dict[str, Protocol] = {}
    for proto in protocols_file.protocols:
        if proto.condition in protocols:
            problems.append(f"protocols.yaml: condition '{proto.condition}' has two protocols")
        protocols[proto.condition] = proto
        problems += _check_protocol(proto, exercises, conditions, treatments, cite)
    for c in conditions.values():
        if c.usual_care in ("conservative", "surgical_consult") and c.id not in protocols:
            problems.append(f"protocols.yaml: conservative-care condition '{c.id}' has no protocol")
    return protocols


def _check_protocol(
    proto: Protocol,
    exercises: Mapping[str, Exercise],
    conditions: Mapping[str, Condition],
    treatments: Mapping[str, Treatment],
    cite: Cite,
) -> list[str]:
    """A protocol treats a conservative-care condition, in phase order, with known content,
    and never prescribes an exercise contraindicated for its condition in that phase."""
    where = f"protocols.yaml: {proto.condition}"
    condition = conditions.get(proto.condition)
    if condition is None:
        return [f"{where}: unknown condition '{proto.condition}'"]
    problems: list[str] = []
    if condition.usual_care in RED_FLAG_LEVELS:
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
