"""Forgot your password: ask for a link by e-mail, then choose a new password with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from popliteal.accounts import password_reset
from popliteal.accounts.deps import page_router
from popliteal.accounts.rules import email_problem
from popliteal.errors import AccountError
from popliteal.web.deps import DbSession, SettingsDep, client_address
from popliteal.web.forms import FormModel
from popliteal.web.templating import render

router = page_router("accounts")

SENT = "If an account exists for that address, we have sent a link. Check your e-mail."


@router.get("/forgot-password", response_class=HTMLResponse, include_in_schema=False)
def read_forgot_password(request: Request) -> Response:
    """The form that asks for the e-mail address to send a reset link to."""
    return render(request, "forgot_password.html", {"email": "", "error": None, "sent": None})


class ForgotForm(FormModel):
    email: str = Field("", max_length=254)


@router.post("/forgot-password", response_class=HTMLResponse, include_in_schema=False)
def create_password_reset(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    form: Annotated[ForgotForm, Form()],
) -> Response:
    """Send a reset link; the reply is the same whether or not the account exists."""
    problem = email_problem(form.email)
    if problem:
        context = {"email": form.email, "error": problem, "sent": None}
        return render(request, "forgot_password.html", context, 400)
    password_reset.request_reset(
        session, email=form.email, base_url=settings.base_url, address=client_address(request)
    )
    return render(request, "forgot_password.html", {"email": "", "error": None, "sent": SENT})


@router.get("/reset-password", response_class=HTMLResponse, include_in_schema=False)
def read_reset_password(request: Request, session: DbSession, token: str = "") -> Response:
    """The form to choose a new password, when the link still works."""
    if len(token) > 100 or not password_reset.link_works(session, token=token):
        context = {"token": "", "error": password_reset.LINK_USELESS, "done": False}
        return render(request, "reset_password.html", context, 400)
    return render(request, "reset_password.html", {"token": token, "error": None, "done": False})


class ResetForm(FormModel):
    token: str = Field("", max_length=100)
    new_password: str = Field("", max_length=256)
    repeat_password: str = Field("", max_length=256)


@router.post("/reset-password", response_class=HTMLResponse, include_in_schema=False)
def update_reset_password(
    request: Request, session: DbSession, form: Annotated[ResetForm, Form()]
) -> Response:
    """Set the new password; the link is used up and every session of the account ends."""
    if form.new_password != form.repeat_password:
        context = {
            "token": form.token,
            "error": "the two passwords are not the same",
            "done": False,
        }
        return render(request, "reset_password.html", context, 400)
    try:
        password_reset.reset_password(
            session, token=form.token, new=form.new_password, address=client_address(request)
        )
    except AccountError as exc:
        useless = str(exc) == password_reset.LINK_USELESS
        context = {"token": "" if useless else form.token, "error": str(exc), "done": False}
        return render(request, "reset_password.html", context, 400)
    return render(request, "reset_password.html", {"token": "", "error": None, "done": True})
