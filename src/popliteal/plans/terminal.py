"""Print a draft plan in the terminal (the CLI without --json)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from popliteal.knowledge.loader import Knowledge
from popliteal.plans.rules import Draft, dose_text

PHASE_NAMES = {
    "protect": "Protect",
    "restore_motion": "Restore motion",
    "strengthen": "Strengthen",
    "return_to_activity": "Return to activity",
}


def print_draft(kb: Knowledge, draft: Draft, out: Console) -> None:
    """Show the draft, or the referral that replaces it, for a clinician reading a terminal."""
    name = kb.conditions[draft.condition].name
    if draft.referral is not None:
        out.print(
            f"[bold red]{name}: {draft.referral} referral.[/] No exercise plan: this condition "
            "needs medical care first."
        )
        return
    out.print(f"[bold]{name}[/] — phase: {PHASE_NAMES.get(draft.phase or '', draft.phase)}")
    table = Table("Exercise", "Dose", "Note")
    for item in draft.exercises:
        table.add_row(item.name, dose_text(item), item.note)
    out.print(table)
    for title, lines in (
        ("In-clinic treatments", [f"{t['name']}: {t['note']}" for t in draft.treatments]),
        ("Activity limits", [lim["text"] for lim in draft.activity_limits]),
        ("Progress when", [c["text"] for c in draft.progression_criteria]),
        ("Refer when", [f"{r['text']} ({r['urgency']})" for r in draft.refer_when]),
        ("Notes", list(draft.notes)),
    ):
        if lines:
            out.print(f"[bold]{title}[/]")
            for line in lines:
                out.print(f"  • {line}", highlight=False)
    out.print("Decision support, not a diagnosis: a clinician reviews every plan.")
