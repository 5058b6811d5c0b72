"""The printable home-programme handout: the person's current plan as a PDF (WeasyPrint).

Rendering never touches the network: the only resources the PDF may load are the plan's own
exercise illustrations, read from the knowledge base's files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from popliteal.accounts.models import Clinic
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RED_FLAG_LEVELS
from popliteal.plans import rules
from popliteal.plans.schemas import PlanVersionRead
from popliteal.web.templating import urgency_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "plans_handout.html"

# The safety net every handout carries, whatever the condition's own referral list says. Each
# is an emergency red-flag rule at check-ins (unexplained leg swelling, septic arthritis, a
# worsening nerve deficit), so it is listed under the emergency message.
RED_FLAGS = (
    "New swelling, redness or warmth in your calf.",
    "A fever with a hot, swollen knee.",
    "Numbness or weakness that spreads in your leg or foot.",
)
# Signs the person acts on alone get the one message for their level (the screening result's
# and check-ins' words); the rest wait for the clinician.
ACT_NOW = RED_FLAG_LEVELS
NEXT_VISIT = "Tell your clinician at your next visit"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class RefusedURL(ValueError):
    """The handout asked for a resource that is not one of its own illustrations."""


def _local_only_fetcher(allowed: Iterable[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves these files only and refuses every other URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

    permitted = {p.resolve() for p in allowed}

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise RefusedURL(f"the handout loads no remote resources: {url[:80]}")
            path = Path(unquote(parts.path)).resolve()
            if path not in permitted:
                raise RefusedURL(f"the handout may not read {path.name}")
            media = "image/svg+xml" if path.suffix == ".svg" else "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media})

    return LocalOnlyFetcher(allowed_protocols=("file",), allow_redirects=False)


@dataclass(frozen=True)
class HelpGroup:
    title: str
    texts: list[str]
    action: str


def help_groups(kb: Knowledge, plan: PlanVersionRead, emergency_number: str) -> list[HelpGroup]:
    """The plan's "get help if" signs, most urgent first, each level under its one message."""
    groups: list[HelpGroup] = []
    for urgency in ACT_NOW:
        message = urgency_text(kb, urgency, emergency_number)
        texts = list(RED_FLAGS) if urgency == "emergency" else []
        texts += [str(r["text"]) for r in plan.refer_when if r.get("urgency") == urgency]
        if texts:
            action = f"Stop your exercises. {message['action']}"
            groups.append(HelpGroup(message["heading"], texts, action))
    later = [str(r["text"]) for r in plan.refer_when if r.get("urgency") not in ACT_NOW]
    if later:
        groups.append(HelpGroup(NEXT_VISIT, later, ""))
    return groups


@dataclass(frozen=True)
class HandoutExercise:
    name: str
    purpose: str
    dose: str
    sets: int | None
    rest_s: int
    steps: list[str]
    cautions: list[str]
    note: str
    image_url: str
    swapped_for: str = ""


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def handout_context(
    *,
    kb: Knowledge,
    plan: PlanVersionRead,
    clinic: Clinic,
    patient_name: str,
    today: date,
    emergency_number: str,
) -> tuple[dict[str, Any], list[Path]]:
    """What the handout template shows, and the illustration files it may load."""
    exercises: list[HandoutExercise] = []
    files: list[Path] = []
    for rx in plan.exercises:
        ex = kb.exercises.get(rx.id)
        image = kb.illustration_path(ex) if ex is not None else None
        if image is not None:
            files.append(image)
        exercises.append(
            HandoutExercise(
                name=rx.name,
                purpose=ex.purpose if ex else "",
                dose=rules.dose_text(rx.model_dump()),
                sets=rx.sets,
                rest_s=rx.rest_s,
                steps=list(ex.steps) if ex else [],
                cautions=list(ex.cautions) if ex else [],
                note=rx.note,
                swapped_for=rx.swapped_for,
                image_url=image.resolve().as_uri() if image is not None else "",
            )
        )
    goals: list[str] = []
    protocol = kb.protocols.get(plan.condition)
    for phase in protocol.phases if protocol else ():
        if phase.id == plan.phase:
            goals = list(phase.goals)
    context = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "clinic_address": clinic.address,
        "patient_name": patient_name,
        "today": _long_date(today),
        "starts_on": _long_date(plan.starts_on),
        "version": plan.number,
        "condition_name": plan.condition_name,
        "phase_name": plan.phase_name,
        "goals": goals,
        "exercises": exercises,
        "limits": [str(lim["text"]) for lim in plan.activity_limits if lim.get("text")],
        "notes": plan.notes,
        "pain_limit": kb.progression.pain_during_at_most,
        "help_groups": help_groups(kb, plan, emergency_number),
    }
    return context, files


def render_handout(
    *,
    kb: Knowledge,
    plan: PlanVersionRead,
    clinic: Clinic,
    patient_name: str,
    today: date,
    emergency_number: str,
) -> bytes:
    """Render the person's home programme as a PDF."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    context, files = handout_context(
        kb=kb,
        plan=plan,
        clinic=clinic,
        patient_name=patient_name,
        today=today,
        emergency_number=emergency_number,
    )
    source = _env.get_template(TEMPLATE).render(context)
    document = HTML(string=source, base_url=str(TEMPLATES), url_fetcher=_local_only_fetcher(files))
    pdf: bytes = document.write_pdf()
    return pdf
