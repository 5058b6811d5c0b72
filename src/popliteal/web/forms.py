"""Posted page forms, read once for every area: plain strings, each field capped, the files
left to the upload routes. A form the person must correct is shown again with what they typed,
so forms are read as strings and parsed by the page that knows the field.

Two readers: `FormModel` for a page's fixed set of fields (read as `Annotated[M, Form()]`),
and `PostedForm` for forms whose field names are only known at run time (questionnaires, the
exam). The small parse functions below are shared by both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

MAX_FIELD = 4000


class FormModel(BaseModel):
    """A page's fixed form. Fields are capped strings defaulting to "" (a field not sent, as
    from an older page or an htmx partial post, reads as ""), so a mistyped value comes back
    to the page rather than to FastAPI's error page; the model's own methods parse it.
    Fields it does not name (the CSRF token, buttons) are ignored."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class PostedForm:
    """A posted form as plain strings; a field that was not sent reads as ""."""

    fields: dict[str, list[str]]

    def get(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])


async def posted_form(request: Request) -> PostedForm:
    """Read the posted form (the CSRF check has already parsed it; files are ignored)."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value[:MAX_FIELD])
    return PostedForm(fields)


Posted = Annotated[PostedForm, Depends(posted_form)]


def plain_digits(raw: str) -> bool:
    """True when `raw` is one or more ASCII digits 0-9. "²" passes str.isdigit() too, and
    int() refuses it: a 500 where a number was checked with isdigit alone."""
    return raw.isascii() and raw.isdigit()


def parse_pain(raw: str) -> int | None:
    """A 0-10 pain score from a form field, or None when it is not one."""
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,2}", text):
        return None
    value = int(text)
    return value if value <= 10 else None


def parse_whole_number(raw: str) -> int | None:
    """A whole number typed in a field (spaces around it allowed), or None when it is not one."""
    try:
        return int(raw.strip())
    except ValueError:
        return None


def parse_iso_date(raw: str) -> date | None:
    """A date typed as YYYY-MM-DD (spaces around it allowed), or None when it is not one."""
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def whole_number_problem(name: str, raw: str) -> str:
    """What the page says about a field that should hold a whole number but does not."""
    return f"{name}: enter a whole number (got {raw!r})"
