"""A questionnaire as a form: its items and answers in the wording the clinic may show, the
answers read back from a posted form, and how the form asks the safety checklist today (once a
day: at a check-in or at a session's finish)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.clock import local_time
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Instrument
from popliteal.outcomes import questionnaires
from popliteal.sessions import service as sessions_service


def short_name(instrument: str) -> str:
    """An instrument as pages name it in short: 'KOOS'."""
    return instrument.upper()


@dataclass(frozen=True)
class FormOption:
    value: int
    label: str


@dataclass(frozen=True)
class FormItem:
    id: str
    number: int
    label: str  # our neutral label, always shown to clinicians
    text: str | None  # the wording shown to the person; None when only the label may be shown
    options: tuple[FormOption, ...]
    scored: bool
    wide: bool  # many options (0-10): laid out in one wrapping row


@dataclass(frozen=True)
class FormGroup:
    """Questions shown together: one part of a long questionnaire, so a phone is not one
    endless scroll. `title` is empty for a short questionnaire (one group)."""

    title: str
    items: tuple[FormItem, ...]


# A questionnaire longer than this is shown in parts, one per scale.
GROUP_FROM_ITEMS = 12


@dataclass(frozen=True)
class QuestionnaireForm:
    instrument: str
    name: str
    short_name: str
    person_name: str
    purpose: str
    stem: str | None
    answers_help: str
    marker: str | None  # "licensed wording not loaded" when only the labels are shown
    licence_holder: str
    items: tuple[FormItem, ...]
    groups: tuple[FormGroup, ...] = ()


def _groups(inst: Instrument, items: list[FormItem]) -> tuple[FormGroup, ...]:
    """The questions in parts, by the first scale each belongs to (in form order)."""
    if len(items) <= GROUP_FROM_ITEMS or len(inst.scales) < 2:
        return (FormGroup("", tuple(items)),)
    scale_of: dict[str, str] = {}
    for scale in inst.scales:
        for item_id in scale.items:
            scale_of.setdefault(item_id, scale.person_name or scale.name)
    parts: list[tuple[str, list[FormItem]]] = []
    for item in items:
        title = scale_of.get(item.id, parts[-1][0] if parts else "Other questions")
        if not parts or parts[-1][0] != title:
            parts.append((title, []))
        parts[-1][1].append(item)
    return tuple(
        FormGroup(f"Part {n} of {len(parts)}: {title}", tuple(group))
        for n, (title, group) in enumerate(parts, start=1)
    )


def questionnaire_form(kb: Knowledge, instrument: str, wording: Any) -> QuestionnaireForm:
    """The form of one instrument, in the wording `outcomes.wording.wording_for` chose."""
    inst: Instrument = kb.outcomes.instruments[instrument]  # type: ignore[index]
    worded = {w.id: w for w in wording.items}
    items = []
    for n, item in enumerate(inst.items, start=1):
        w = worded.get(item.id)
        values = range(item.min, item.max + 1)
        options: tuple[FormOption, ...]
        if item.yes_no:
            options = (FormOption(0, "Yes"), FormOption(1, "No"))
        elif w is not None and w.options:
            options = tuple(
                FormOption(v, label) for v, label in zip(values, w.options, strict=True)
            )
        else:
            options = tuple(FormOption(v, str(v)) for v in values)
        items.append(
            FormItem(
                id=item.id,
                number=n,
                label=item.label,
                text=w.text if w is not None else None,
                options=options,
                scored=item.scored,
                wide=len(options) > 5,
            )
        )
    return QuestionnaireForm(
        instrument=instrument,
        name=inst.name,
        short_name=short_name(instrument),
        person_name=inst.person_name,
        purpose=inst.purpose,
        stem=wording.stem,
        answers_help=inst.answers,
        marker=wording.marker,
        licence_holder=wording.licence_holder,
        items=tuple(items),
        groups=_groups(inst, items),
    )


def parse_answers(
    form: QuestionnaireForm, posted: Mapping[str, str], *, require_all: bool
) -> tuple[dict[str, int | None], list[str]]:
    """Item answers from a posted form ("" = not answered) and a message per problem.

    With `require_all`, every scored item needs an answer (the person's own form; the forms ask
    for an answer to every question). A clinician entering a paper form may leave gaps: the
    scoring rules then decide which scales can still be scored.
    """
    answers: dict[str, int | None] = {}
    problems: list[str] = []
    missing: list[str] = []
    for item in form.items:
        raw = posted.get(f"item_{item.id}", "").strip()
        if not raw:
            answers[item.id] = None
            if item.scored:
                missing.append(str(item.number))
            continue
        allowed = {str(o.value): o.value for o in item.options}
        if raw not in allowed:
            problems.append(f"Question {item.number} ({item.label}): choose one of the answers.")
            answers[item.id] = None
            continue
        answers[item.id] = allowed[raw]
    if require_all and missing:
        problems.append(
            f"Please answer every question: question{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing)
            + " "
            + ("have" if len(missing) > 1 else "has")
            + " no answer."
        )
    return answers, problems


@dataclass(frozen=True)
class SafetyPrompt:
    """How a form asks the safety checklist today."""

    answered_at: str | None  # "10:42" on the clinic's clock: the list folds behind a button
    left_open: bool  # an answer earlier today was "Not sure": the whole list is asked again


def safety_prompt(
    session: Session, *, kb: Knowledge, actor: Actor, patient_id: int
) -> SafetyPrompt:
    """Ask the checklist, or say when it was answered today (it is asked once a day)."""
    today = sessions_service.todays_answers(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        checked_in=questionnaires.checked_in_safety,
    )
    at = today.safety.answered_at
    return SafetyPrompt(
        answered_at=local_time(at, today.zone, "%H:%M") if at else None,
        left_open=today.safety.left_open,
    )
