"""The discharge summary as a PDF (WeasyPrint), from the same body template as the page.

Rendering never touches the network or the disk: the summary has no images, so every URL the
document might ask for is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
