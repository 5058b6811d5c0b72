"""Log in and log out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts import passwords, rules
from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentActor, OptionalUser, page_router
from popliteal.accounts.rules import Actor
from popliteal.errors import AccountError
from popliteal.web.deps import SESSION_COOKIE, DbSession, SettingsDep, client_address
from popliteal.web.forms import FormModel
from popliteal.web.session_cookie import (
    clear_login_cookie,
    clear_visitor_cookie,
    safe_next,
    set_login_cookie,
    set_pending_login_cookie,
)
from popliteal.web.templating import render

router = page_router("accounts")


IDLE_NOTICE = (
    "You were logged out because the page was not used for a while. "
    "This keeps patients' records safe. Please log in again."
)


def home_for(role: str) -> str:
    return "/my/today" if role == "patient" else "/staff/schedule"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def read_login(
    request: Request, user: OptionalUser, next: str = "", reason: str = ""
) -> Response:
    """Show the login form (or go on if already logged in)."""
    if user is not None:
        return RedirectResponse(safe_next(next, home_for(user.role)), status_code=303)
    notice = IDLE_NOTICE if reason == "idle" else None
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "login.html", {"next": next, "error": None, "email": "", "notice": notice}
    )


class LoginForm(FormModel):
    """The login form; `next` is where to go after (checked by safe_next)."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    next: str = Field("", max_length=500)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def create_login(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    form: Annotated[LoginForm, Form()],
) -> Response:
    """Check the credentials and start a session."""
    try:
        user = accounts_service.authenticate(
            session,
            settings=settings,
            email=form.email,
            password=form.password,
            address=client_address(request),
        )
    except accounts_service.LoginThrottled as exc:
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "login.html",
            {"next": form.next, "error": str(exc), "email": form.email},
            status_code=429,
        )
    except AccountError as exc:
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "login.html",
            {"next": form.next, "error": str(exc), "email": form.email},
            status_code=400,
        )
    if user.has_mfa:  # the password was right; the session starts after the code
        pending = accounts_service.start_session(
            session, settings=settings, user=user, pending_mfa=True
        )
        target = "/login/code?" + urlencode({"next": safe_next(form.next, home_for(user.role))})
        response = RedirectResponse(target, status_code=303)
        set_pending_login_cookie(
            response,
            request=request,
            settings=settings,
            token=pending,
            minutes=accounts_service.PENDING_MFA_MINUTES,
        )
        return response
    token = accounts_service.start_session(session, settings=settings, user=user)
    response = RedirectResponse(safe_next(form.next, home_for(user.role)), status_code=303)
    set_login_cookie(response, request=request, settings=settings, token=token)
    return response


@router.post("/logout", include_in_schema=False)
def create_logout(request: Request, session: DbSession) -> Response:
    """End the session and forget this browser's anonymous screenings."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts_service.end_session(session, token, address=client_address(request))
    response = RedirectResponse("/", status_code=303)
    clear_login_cookie(response)
    clear_visitor_cookie(response)  # a shared browser forgets its anonymous screenings
    return response


@router.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def read_password_page(request: Request, actor: CurrentActor) -> Response:
    """The form to change your password."""
    return _password_page(request, actor, error=None, saved=False)


def _password_page(
    request: Request, actor: Actor, *, error: str | None, saved: bool, status: int = 200
) -> Response:
    shortest = rules.min_password_length(actor.role)
    ctx = {"error": error, "saved": saved, "shortest": shortest}
    return render(request, "account_password.html", ctx, status)


class PasswordForm(FormModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)
    repeat_password: str = Field(max_length=256)


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
def update_password(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    form: Annotated[PasswordForm, Form()],
) -> Response:
    """Change your password; other browsers where you are logged in are logged out."""
    if form.new_password != form.repeat_password:
        error = "the two new passwords are not the same"
        return _password_page(request, actor, error=error, saved=False, status=400)
    try:
        passwords.change_password(
            session,
            actor=actor,
            current=form.current_password,
            new=form.new_password,
            keep_token=request.cookies.get(SESSION_COOKIE),
        )
    except AccountError as exc:
        return _password_page(request, actor, error=str(exc), saved=False, status=400)
    return _password_page(request, actor, error=None, saved=True)
