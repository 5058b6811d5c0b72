"""Pure alert rules: the "since last time" safety checklist (followup.yaml) run through the
screening's red-flag rules, the checklist as a form sends it, and the order of urgency.

No database, no clock: a check-in (outcomes) and a guided session's finish (sessions) ask the
same checklist, and the same rules decide, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import FollowupSettings, RedFlagRead, urgency_rank
from popliteal.screening.triage import FiredRule, triage


@dataclass(frozen=True)
class SafetyCheck:
    ticked: tuple[str, ...]  # checklist item ids answered yes
    answers: dict[str, bool]  # the screening findings they stand for
    fired: tuple[FiredRule, ...]  # red-flag rules fired, most urgent first


def safety_problems(settings: FollowupSettings, ticked: Mapping[str, object]) -> list[str]:
    """Unknown checklist item ids and answers that are not yes/no, one line each."""
    known = {i.id for i in settings.safety_checklist.items}
    problems = []
    for key, value in ticked.items():
        if key not in known:
            problems.append(f"safety.{key}: unknown checklist item")
        elif not isinstance(value, bool):
            problems.append(f"safety.{key}: expected true or false")
    return problems


def check_safety(kb: Knowledge, ticked: Mapping[str, object]) -> SafetyCheck:
    """Run the screening's red-flag rules on the checklist items ticked yes.

    Unknown items are ignored here (the caller reports them): a typo in one item must never
    stop a known red flag from being seen.
    """
    items = {i.id: i for i in kb.followup.safety_checklist.items}
    yes = tuple(k for k, v in ticked.items() if v is True and k in items)
    answers: dict[str, bool] = {}
    for item_id in yes:
        answers.update(items[item_id].findings)
    fired = triage(kb, answers, role="patient").fired if answers else ()
    return SafetyCheck(ticked=yes, answers=answers, fired=fired)


def red_flag(r: FiredRule) -> RedFlagRead:
    """A fired rule as the person is shown it."""
    return RedFlagRead(id=r.id, urgency=r.urgency, title=r.title, patient_message=r.patient_message)


def red_flags_of(kb: Knowledge, safety: Mapping[str, bool]) -> list[RedFlagRead]:
    """The red flags a stored checklist fires (the same rules as when it was sent)."""
    return [red_flag(r) for r in check_safety(kb, safety).fired]


def parse_safety(
    kb: Knowledge, ticked: Sequence[str], unsure: Sequence[str] = (), *, reused: bool = False
) -> tuple[dict[str, bool], list[str]]:
    """The checklist as {item id: yes or no}; unknown ids are reported.

    An item ticked "Not sure" (and not yes) is left out: it is no answer, so the next form asks
    again. A form that showed today's answers instead of the list (`reused`) records nothing
    new unless "Something changed" was used; then it is a full answer, as the first one was.
    """
    if reused and not ticked and not unsure:
        return {}, []
    known = [i.id for i in kb.followup.safety_checklist.items]
    unknown = sorted((set(ticked) | set(unsure)) - set(known))
    problems = ["The safety list changed while you answered: please tick again."] if unknown else []
    yes = set(ticked)
    not_sure = set(unsure) - yes  # a yes always counts: it may be a red flag
    return {i: i in yes for i in known if i not in not_sure}, problems


def worst_urgency(flags: Sequence[RedFlagRead]) -> str | None:
    """The most urgent of these flags' urgencies (None when there is none)."""
    return min((f.urgency for f in flags), key=lambda u: urgency_rank(u, unknown=9), default=None)
