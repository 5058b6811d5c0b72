"""The audit trail for the clinic's administrators: /staff/admin/audit and its CSV export."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from popliteal.accounts import audit_viewer
from popliteal.accounts.deps import CurrentAdmin, get_optional_user
from popliteal.errors import ProblemsError
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import DbSession
from popliteal.web.forms import plain_digits
from popliteal.web.templating import render

router = APIRouter(
    max_body_size=MAX_BODY_BYTES, tags=["accounts"], dependencies=[Depends(get_optional_user)]
)


class AuditQuery(BaseModel):
    """The filter form, as sent (strings: an empty field means "any")."""

    model_config = ConfigDict(extra="ignore")

    person: str = Field("", max_length=20)
    staff: str = Field("", max_length=20)
    action: str = Field("", max_length=40)
    since: str = Field("", max_length=20)
    until: str = Field("", max_length=20)
    page: str = Field("1", max_length=10)

    def filters(self) -> audit_viewer.AuditFilters:
        """The filters, or every problem at once (a 422 page naming them)."""
        problems: list[str] = []

        def number(raw: str, name: str) -> int | None:
            if not raw.strip():
                return None
            if plain_digits(raw.strip()) and 0 < int(raw) < 2**31:
                return int(raw)
            problems.append(f"{name}: choose one from the list")
            return None

        def day(raw: str, name: str) -> date | None:
            if not raw.strip():
                return None
            try:
                return date.fromisoformat(raw.strip())
            except ValueError:
                problems.append(f"{name}: enter a date like 2026-01-31")
                return None

        filters = audit_viewer.AuditFilters(
            patient_id=number(self.person, "person"),
            staff_user_id=number(self.staff, "staff member"),
            action=self.action.strip() or None,
            since=day(self.since, "from"),
            until=day(self.until, "to"),
        )
        if filters.since and filters.until and filters.since > filters.until:
            problems.append("from: the first day comes after the last")
        if problems:
            raise ProblemsError(problems)
        return filters

    def page_number(self) -> int:
        raw = self.page.strip()
        return int(raw) if plain_digits(raw) and 0 < int(raw) < 1_000_000 else 1

    def link(self, **changes: str) -> str:
        values = {**self.model_dump(), **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


AuditParams = Annotated[AuditQuery, Query()]


@router.get("/staff/admin/audit", response_class=HTMLResponse, include_in_schema=False)
def read_audit_trail(
    request: Request, session: DbSession, actor: CurrentAdmin, params: AuditParams
) -> Response:
    """The clinic's audit trail, newest first, filtered and paged."""
    filters = params.filters()
    found = audit_viewer.search(session, actor=actor, filters=filters, page=params.page_number())
    choices = audit_viewer.filter_choices(session, actor=actor)
    return render(
        request,
        "accounts_audit.html",
        {
            "found": found,
            "params": params,
            "choices": choices,
            "previous": params.link(page=str(found.page - 1)) if found.page > 1 else None,
            "next": params.link(page=str(found.page + 1)) if found.page < found.pages else None,
            "export": params.link(page="1"),
        },
    )


@router.get("/staff/admin/audit.csv", include_in_schema=False)
def read_audit_trail_csv(session: DbSession, actor: CurrentAdmin, params: AuditParams) -> Response:
    """The filtered audit trail as a CSV file (safe to open in a spreadsheet)."""
    body = audit_viewer.export_csv(session, actor=actor, filters=params.filters())
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )
