"""Public pages that belong to no single area: the home page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from popliteal.web.deps import Kb, get_optional_user

router = APIRouter(tags=["pages"], dependencies=[Depends(get_optional_user)])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def read_home(request: Request, kb: Kb) -> HTMLResponse:
    """Say what the service does and does not do."""
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "home.html", {"disclaimer": kb.advice.disclaimer.strip()}
    )
