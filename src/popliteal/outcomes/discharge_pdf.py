"""The discharge summary as a PDF (WeasyPrint), from the same body template as the page.

Rendering never touches the network or the disk: the summary has no images, so every URL the
document might ask for is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from popliteal.accounts.models import Clinic, Patient
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import chart, discharge_summary

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "outcomes_summary_pdf.html"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class RefusedURL(ValueError):
    """The summary asked for an outside resource; it has none of its own."""


def _no_fetching() -> Any:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NoFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            raise RefusedURL(f"the discharge summary loads no resources: {url[:80]}")

    return NoFetcher(allowed_protocols=(), allow_redirects=False)


def summary_context(
    kb: Knowledge,
    *,
    patient: Patient,
    clinic: Clinic | None,
    discharge: Any,
    check: Any,
    by_name: str,
    today: date,
) -> dict[str, Any]:
    """What the summary page and PDF show: a stored discharge (a DischargeRead or the row),
    or, when `discharge` is None, the draft from today's criteria `check`."""
    latest = discharge
    return {
        "patient_name": patient.full_name,
        "patient_id": patient.id,
        "date_of_birth": chart.long_day(patient.date_of_birth) if patient.date_of_birth else "",
        "clinic_title": clinic.name if clinic else "",
        "clinic_phone": clinic.phone if clinic else "",
        "clinic_address": clinic.address if clinic else "",
        "draft": latest is None,
        "discharged_on": chart.long_day(latest.discharged_on) if latest else "",
        "discharged_by": by_name,
        "note": latest.note if latest else "",
        "overridden": latest.overridden if latest else False,
        "override_reason": latest.override_reason if latest else "",
        "criteria": latest.criteria if latest else (check.criteria if check else []),
        "summary": discharge_summary.summary_view(kb, latest.summary if latest else check.summary),
        "disclaimer": kb.advice.disclaimer.strip(),
        "today": chart.long_day(today),
        "number": chart.number,
        "status_text": {"met": "Met", "not_met": "Not met", "unknown": "Unknown"},
    }


def render_html(context: Mapping[str, Any]) -> str:
    """The PDF's HTML source (tests read it; the PDF is made from it)."""
    return _env.get_template(TEMPLATE).render(context)


def render_summary(context: Mapping[str, Any]) -> bytes:
    """Render the discharge summary as a PDF."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    document = HTML(
        string=render_html(context), base_url=str(TEMPLATES), url_fetcher=_no_fetching()
    )
    pdf: bytes = document.write_pdf()
    return pdf
