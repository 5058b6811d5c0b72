"""A staff invitation's link: choose your password (accounts/invitations.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from popliteal.accounts import invitations, links
from popliteal.accounts.deps import page_router
from popliteal.errors import AccountError
from popliteal.web.deps import DbSession, client_address
from popliteal.web.forms import FormModel
from popliteal.web.templating import render

router = page_router("accounts")

USELESS = (
    f"{links.LINK_USELESS} Ask the clinic's administrator to add you again, or use "
    "“Forgot your password?” on the login page."
)


def _page(
    request: Request,
    *,
    token: str = "",
    name: str = "",
    error: str | None = None,
    done: bool = False,
    status: int = 200,
) -> Response:
    context = {"token": token, "name": name, "error": error, "done": done}
    return render(request, "welcome.html", context, status)


@router.get(invitations.SET_PASSWORD_PATH, response_class=HTMLResponse, include_in_schema=False)
def read_welcome(request: Request, session: DbSession, token: str = "") -> Response:
    """The form to choose your password, while the invitation link works."""
    user = invitations.invited_user(session, token=token)
    if user is None:
        return _page(request, error=USELESS, status=400)
    return _page(request, token=token, name=user.display_name)


class WelcomeForm(FormModel):
    token: str = Field("", max_length=links.MAX_TOKEN_LENGTH)
    new_password: str = Field("", max_length=256)
    repeat_password: str = Field("", max_length=256)


@router.post(invitations.SET_PASSWORD_PATH, response_class=HTMLResponse, include_in_schema=False)
def update_welcome(
    request: Request, session: DbSession, form: Annotated[WelcomeForm, Form()]
) -> Response:
    """Set your password with the invitation link (it works once)."""
    user = invitations.invited_user(session, token=form.token)
    if user is None:
        return _page(request, error=USELESS, status=400)
    if form.new_password != form.repeat_password:
        problem = "the two passwords are not the same"
        return _page(request, token=form.token, name=user.display_name, error=problem, status=400)
    try:
        invitations.accept(
            session, token=form.token, password=form.new_password, address=client_address(request)
        )
    except AccountError as exc:
        if str(exc) == links.LINK_USELESS:
            return _page(request, error=USELESS, status=400)
        return _page(request, token=form.token, name=user.display_name, error=str(exc), status=400)
    return _page(request, done=True)
