"""The interactive screening in a terminal (Rich): one step at a time, with skip and back."""

from __future__ import annotations

import json
import math
import sys
from collections import Counter

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Finding
from popliteal.screening.engine import ScreeningResult, question_text, screen, to_json
from popliteal.screening.interview import Step, plan
from popliteal.screening.safety import NOT_RULED_OUT, open_sign_blocks_all_clear

STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold black on yellow",
    "surgical_consult": "bold black on cyan",
    "conservative": "bold black on green",
}
HEADLINE = {
    "emergency": "EMERGENCY: get emergency care now",
    "urgent": "URGENT: see a doctor within the next few days",
    "surgical_consult": "See a knee specialist within a few weeks",
    "conservative": "Physical therapy or chiropractic care is a good fit",
}
HELP = "Enter = don't know, b = back, q = quit"


class _Back(Exception):
    pass


class _Quit(Exception):
    pass


def _ask(console: Console, prompt: str) -> str:
    try:
        text = console.input(prompt)
    except EOFError:
        raise _Quit from None
    text = text.strip()
    if text.lower() in ("b", "back"):
        raise _Back
    if text.lower() in ("q", "quit"):
        raise _Quit
    return text


def _hint(f: Finding, recheck: bool) -> str:
    if recheck and f.unknown_policy is not None and f.unknown_policy.how_to_check:
        return f"How to check: {f.unknown_policy.how_to_check.strip()}"
    return (f.help or "").strip()


def _ask_finding(
    console: Console, kb: Knowledge, f: Finding, role: str, *, recheck: bool = False
) -> Answer | None:
    console.print(f"\n[bold]{question_text(kb, f.id, role)}[/]")
    if (hint := _hint(f, recheck)) and role != "clinician":
        console.print(f"[dim]{hint}[/]")
    while True:
        if f.type == "bool":
            text = _ask(console, "  y = yes, n = no  > ").lower()
            if not text:
                return None
            if text in ("y", "yes"):
                return True
            if text in ("n", "no"):
                return False
        elif f.type == "choice":
            for i, value in enumerate(f.values, start=1):
                console.print(f"  {i}. {f.value_labels.get(value, value)}")
            text = _ask(console, "  number > ")
            if not text:
                return None
            if text.isascii() and text.isdigit() and 1 <= int(text) <= len(f.values):
                return f.values[int(text) - 1]
        else:
            lo, hi = (0, 10) if f.type == "scale" else (f.min, f.max)
            unit = f" {f.unit}" if f.unit else ""
            text = _ask(console, f"  {lo:g} to {hi:g}{unit} > ")
            if not text:
                return None
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if lo is not None and hi is not None and lo <= number <= hi:
                if f.type == "scale":
                    if number.is_integer():
                        return int(number)
                else:
                    return int(number) if number.is_integer() else number
        console.print(f"  [yellow]Please answer as shown. {HELP}.[/]")


def _numbers(text: str, most: int) -> set[int] | None:
    picks = text.replace(",", " ").split()
    if all(p.isascii() and p.isdigit() and 0 <= int(p) <= most for p in picks):
        return {int(p) for p in picks}
    return None


def _ask_numbers(console: Console, prompt: str, most: int) -> set[int] | None:
    """Line numbers typed by the person; None for an empty answer."""
    while True:
        text = _ask(console, prompt)
        if not text:
            return None
        picks = _numbers(text, most)
        if picks is not None:
            return picks
        console.print(f"  [yellow]Type the numbers of the lines, like 1 3. {HELP}.[/]")


def _ask_group(console: Console, kb: Knowledge, step: Step, role: str) -> dict[str, Answer | None]:
    """A form asks each question; a checklist asks which lines are true, then which are not
    sure. Lines left out after that are "no"; an empty first answer is "not sure" to all."""
    group = kb.groups[step.id]
    console.print(f"\n[bold]{group.title}[/]\n{group.prompt.strip()}")
    if step.recheck:
        console.print("[yellow]You were not sure, so here is how to check.[/]")
    if group.kind == "form":
        return {
            fid: _ask_finding(console, kb, kb.findings[fid], role, recheck=step.recheck)
            for fid in step.findings
        }
    for i, fid in enumerate(step.findings, start=1):
        f = kb.findings[fid]
        console.print(f"  {i}. {f.question}")
        if step.recheck:
            console.print(f"     [dim]{_hint(f, recheck=True)}[/]")
    most = len(step.findings)
    true_ones = _ask_numbers(
        console, "  numbers that are true (e.g. 1 3), 0 = none of these, Enter = not sure > ", most
    )
    while true_ones is not None and 0 in true_ones and len(true_ones) > 1:
        console.print("  [yellow]0 means none of these: type 0 alone, or only the numbers.[/]")
        true_ones = _ask_numbers(console, "  numbers that are true, 0 = none of these > ", most)
    if true_ones is None:
        return dict.fromkeys(step.findings)
    if true_ones == {0}:
        return dict.fromkeys(step.findings, False)
    chosen = {step.findings[n - 1] for n in true_ones}
    unsure: set[str] = set()
    if len(chosen) < most:
        picks = _ask_numbers(
            console, "  any you are not sure about? numbers, Enter = none > ", most
        )
        unsure = {step.findings[n - 1] for n in picks or () if n > 0} - chosen
    return {
        fid: True if fid in chosen else None if fid in unsure else False for fid in step.findings
    }


def run_interview(kb: Knowledge, *, role: str, as_json: bool) -> None:
    """Ask one step at a time until the interview is done, then show the result."""
    console = Console(stderr=as_json)
    console.print(
        Panel(
            "Free screening for pain behind the knee.\n"
            f"{kb.advice.disclaimer.strip()}\n[dim]{HELP}.[/]",
            title="popliteal",
        )
    )
    answers: dict[str, Answer | None] = {}
    history: list[tuple[str, ...]] = []
    while True:
        counts = Counter(fid for step in history for fid in step)
        state = plan(kb, answers, role=role, asked_once={f for f, n in counts.items() if n == 1})
        if state.done:
            break
        step = state.steps[0]
        safety_left = sum(s.safety for s in state.steps)
        note = f", {safety_left} safety checks to go" if safety_left else ""
        console.print(f"\n[dim]Step {len(history) + 1}{note}[/]")
        try:
            if step.kind == "group":
                answers.update(_ask_group(console, kb, step, role))
            else:
                answers[step.id] = _ask_finding(
                    console, kb, kb.findings[step.id], role, recheck=step.recheck
                )
            history.append(step.findings)
        except _Back:
            if history:
                undone = history.pop()
                before = {fid for step in history for fid in step}
                for fid in undone:
                    if fid in before:
                        answers[fid] = None  # back to the "not sure" it was asked again for
                    else:
                        answers.pop(fid, None)
            continue
        except _Quit:
            console.print("\nStopped. Here is what your answers so far show.")
            break
    result = screen(kb, answers, role=role)
    if as_json:
        sys.stdout.write(json.dumps(to_json(kb, result), indent=2, ensure_ascii=False) + "\n")
    else:
        print_result(kb, result, console)


def print_result(kb: Knowledge, result: ScreeningResult, console: Console) -> None:
    """Urgency first; then, unless it is an emergency, the ranked causes and their evidence."""
    urgency = result.triage.urgency
    console.print()
    if open_sign_blocks_all_clear(urgency, result.safety_not_ruled_out, result.safety_not_asked):
        console.print(Panel(NOT_RULED_OUT, style=STYLE["urgent"]))  # the lists below say which
    else:
        console.print(Panel(HEADLINE[urgency], style=STYLE[urgency]))
    for rule in result.triage.fired:
        console.print(f"[bold]{rule.title}[/]\n  {rule.patient_message}")
        if rule.suspects:
            names = ", ".join(
                kb.conditions[c].name
                if result.role == "clinician"
                else kb.conditions[c].patient_name
                for c in rule.suspects
            )
            console.print(f"  [dim]Could be: {names}[/]")
        if result.role == "clinician":
            console.print(f"  [dim]{rule.clinician_note} Because: {', '.join(rule.because)}[/]")
    if result.safety_not_ruled_out:
        console.print('\n[bold yellow]Warning signs not ruled out (answered "not sure")[/]')
        for fid in result.safety_not_ruled_out:
            console.print(f"  - {question_text(kb, fid, result.role)}")
        console.print("  If any of these is true, get care today.")
    if result.safety_not_asked and urgency != "emergency":
        console.print("\n[bold yellow]Warning signs not ruled out (never asked)[/]")
        for fid in result.safety_not_asked:
            console.print(f"  - {question_text(kb, fid, result.role)}")
        console.print("  Not being asked is not a no. If any of these is true, get care today.")
    if result.must_rule_out:
        first = [
            kb.conditions[c].name if result.role == "clinician" else kb.conditions[c].patient_name
            for c in result.must_rule_out
        ]
        console.print("\n[bold]The clinic checks these first[/]: " + "; ".join(first))
    if urgency != "emergency":
        table = Table(title="Most likely causes", show_lines=False)
        table.add_column("Cause")
        table.add_column("Chance", justify="right")
        table.add_column("Reasons for / against")
        for cond in result.conditions[:5]:
            reasons = []
            for e in cond.evidence[:4]:
                if e.kind == "red_flag":  # a placing, not a ratio: say which warning sign
                    sign = next(r.title for r in result.triage.fired if cond.id in r.suspects)
                    reasons.append(f"! placed near the top by a warning sign: {sign}")
                    continue
                sign = "+" if e.lr > 1 else "-"
                label = question_text(kb, e.finding, result.role)
                reasons.append(
                    f"{sign} {label} ({_value_text(kb, e.finding, e.value)}, x{e.lr:.2g})"
                )
            name = cond.name if result.role == "clinician" else cond.patient_name
            chance = cond.from_answers  # the answers' own share, not a red flag's placing
            table.add_row(
                name,
                f"{round(chance * 10)} in 10" if chance >= 0.05 else "<1 in 20",
                "\n".join(reasons),
            )
        console.print(table)
        for cond in result.conditions[:3]:
            c = kb.conditions[cond.id]
            if result.role == "clinician":
                console.print(f"[bold]{c.name}[/]: {c.clinician_summary.strip()}")
            else:
                console.print(f"[bold]{c.patient_name}[/]: {c.patient_summary.strip()}")
                console.print(f"  [dim]Get help: {c.when_to_get_help.strip()}[/]")
    console.print("\n[bold]What to do now[/]")
    for text in result.advice:
        console.print(f"  - {text}")
    console.print(f"\n[italic]{result.disclaimer}[/]")
    console.print(f"[dim]knowledge version {result.knowledge_version}[/]")


def _value_text(kb: Knowledge, finding_id: str, value: Answer) -> str:
    f = kb.findings[finding_id]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if f.type == "choice":
        return f.value_labels.get(str(value), str(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def print_condition(kb: Knowledge, condition_id: str, console: Console) -> None:
    """A condition with its priors, every likelihood ratio and the full sources."""
    c = kb.conditions[condition_id]
    console.print(
        Panel(
            f"[bold]{c.name}[/] ({c.id})\n{c.clinician_summary.strip()}\n\n"
            f"For patients: {c.patient_summary.strip()}\n"
            f"Usual care: {c.usual_care}; evidence {c.evidence_section}"
        )
    )
    used: set[str] = set()

    def cite(source: str | None, expert: str | None) -> str:
        if source:
            used.add(source)
            return source
        return f"expert judgement: {expert}"

    prior = Table(title="Prior")
    prior.add_column("Context")
    prior.add_column("Value", justify="right")
    prior.add_column("Source")
    prior.add_row(
        "base probability",
        f"{c.prior.base.probability:g}",
        cite(c.prior.base.source, c.prior.base.expert_judgement),
    )
    for band in c.prior.age:
        prior.add_row(
            f"age {band.min:g}-{band.max:g}",
            f"x{band.factor:g}",
            cite(band.source, band.expert_judgement),
        )
    for sex, fac in c.prior.sex.items():
        prior.add_row(f"sex {sex}", f"x{fac.factor:g}", cite(fac.source, fac.expert_judgement))
    if c.prior.non_runner is not None:
        prior.add_row(
            "does not run",
            f"x{c.prior.non_runner.factor:g}",
            cite(c.prior.non_runner.source, c.prior.non_runner.expert_judgement),
        )
    if c.prior.runner is not None:
        prior.add_row(
            "runner",
            f"x{c.prior.runner.factor:g}",
            cite(c.prior.runner.source, c.prior.runner.expert_judgement),
        )
    console.print(prior)
    lrs = Table(title="Likelihood ratios")
    for col in ("Finding", "Answer", "LR", "Source"):
        lrs.add_column(col)
    for e in kb.likelihoods:
        if e.condition != condition_id:
            continue
        answer = str(e.value) if e.value is not None else f"{e.min or ''}..{e.max or ''}"
        weight = f"{kb.lr_of(e):g}" + (f" ({e.direction}, expert weight)" if e.direction else "")
        lrs.add_row(e.finding, answer, weight, cite(e.source, e.expert_judgement))
    console.print(lrs)
    console.print("[bold]Sources[/]")
    for key in sorted(used):
        console.print(f"  [{key}] {kb.sources[key].citation}")
