"""Two-step sign-in pages: the code step of a login, set-up and switch-off under /account,
and the clinic's "require it for staff" switch for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts import mfa
from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentAdmin, SignedInUser, page_router
from popliteal.accounts.pages import home_for
from popliteal.errors import AccountError
from popliteal.web.deps import DbSession, RowId, SettingsDep, client_address
from popliteal.web.forms import FormModel
from popliteal.web.session_cookie import (
    PENDING_LOGIN_COOKIE,
    clear_pending_login_cookie,
    safe_next,
    set_login_cookie,
)
from popliteal.web.templating import render

router = page_router("accounts")


class CodeForm(FormModel):
    code: str = Field(max_length=64)
    next: str = Field("", max_length=500)


@router.get("/login/code", response_class=HTMLResponse, include_in_schema=False)
def read_login_code(request: Request, next: str = "") -> Response:
    """Ask for the code of the authenticator app after a right password."""
    if not request.cookies.get(PENDING_LOGIN_COOKIE):
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_code.html", {"next": next, "error": None})


@router.post("/login/code", response_class=HTMLResponse, include_in_schema=False)
def create_login_code(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    form: Annotated[CodeForm, Form()],
) -> Response:
    """Check the code; the session starts only now."""
    pending = request.cookies.get(PENDING_LOGIN_COOKIE)
    if not pending:
        return RedirectResponse("/login", status_code=303)
    try:
        user, token = mfa.finish_login(
            session,
            settings=settings,
            pending_token=pending,
            code=form.code,
            address=client_address(request),
        )
    except mfa.SignInExpired:
        response = RedirectResponse("/login", status_code=303)
        clear_pending_login_cookie(response)
        return response
    except accounts_service.LoginThrottled as exc:
        return render(request, "login_code.html", {"next": form.next, "error": str(exc)}, 429)
    except AccountError as exc:
        return render(request, "login_code.html", {"next": form.next, "error": str(exc)}, 400)
    response = RedirectResponse(safe_next(form.next, home_for(user.role)), status_code=303)
    clear_pending_login_cookie(response)
    set_login_cookie(response, request=request, settings=settings, token=token)
    return response


def _page(request: Request, ctx: dict[str, object], status: int = 200) -> Response:
    base = {"enrolment": None, "codes": None, "error": None, "state": None, "done": None}
    return render(request, "account_two_step.html", {**base, **ctx}, status)


@router.get("/account/two-step", response_class=HTMLResponse, include_in_schema=False)
def read_two_step(
    request: Request, session: DbSession, settings: SettingsDep, user: SignedInUser, off: str = ""
) -> Response:
    """Two-step sign-in: its state, or the QR code and secret to set it up."""
    actor = accounts_service.actor_for(session, user, address=client_address(request))
    state = mfa.status(session, actor=actor)
    if state.enabled:
        return _page(request, {"state": state})
    enrolment = mfa.begin_enrolment(session, actor=actor, settings=settings)
    done = "Two-step sign-in is off." if off else None
    return _page(request, {"state": state, "enrolment": enrolment, "done": done})


class ConfirmForm(FormModel):
    code: str = Field(max_length=64)


@router.post("/account/two-step", response_class=HTMLResponse, include_in_schema=False)
def create_two_step(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: SignedInUser,
    form: Annotated[ConfirmForm, Form()],
) -> Response:
    """Turn two-step sign-in on with the app's first code; show the recovery codes once."""
    actor = accounts_service.actor_for(session, user, address=client_address(request))
    try:
        codes = mfa.confirm_enrolment(session, actor=actor, settings=settings, code=form.code)
    except AccountError as exc:
        # A new secret to scan: the one shown before is not shown again.
        state = mfa.status(session, actor=actor)
        if state.enabled:
            raise
        enrolment = mfa.begin_enrolment(session, actor=actor, settings=settings)
        return _page(request, {"state": state, "enrolment": enrolment, "error": str(exc)}, 400)
    return _page(request, {"state": mfa.status(session, actor=actor), "codes": codes})


class DisableForm(FormModel):
    password: str = Field(max_length=256)
    code: str = Field(max_length=64)


@router.post("/account/two-step/off", response_class=HTMLResponse, include_in_schema=False)
def delete_two_step(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: SignedInUser,
    form: Annotated[DisableForm, Form()],
) -> Response:
    """Switch two-step sign-in off (password and a code needed)."""
    actor = accounts_service.actor_for(session, user, address=client_address(request))
    try:
        mfa.disable(session, actor=actor, settings=settings, password=form.password, code=form.code)
    except accounts_service.LoginThrottled as exc:
        return _page(request, {"state": mfa.status(session, actor=actor), "error": str(exc)}, 429)
    except AccountError as exc:
        return _page(request, {"state": mfa.status(session, actor=actor), "error": str(exc)}, 400)
    return RedirectResponse("/account/two-step?off=1", status_code=303)


@router.post(
    "/account/two-step/recovery-codes", response_class=HTMLResponse, include_in_schema=False
)
def create_recovery_codes(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: SignedInUser,
    form: Annotated[ConfirmForm, Form()],
) -> Response:
    """New recovery codes (the old ones stop working); needs a current code."""
    actor = accounts_service.actor_for(session, user, address=client_address(request))
    try:
        codes = mfa.new_recovery_codes(session, actor=actor, settings=settings, code=form.code)
    except AccountError as exc:
        return _page(request, {"state": mfa.status(session, actor=actor), "error": str(exc)}, 400)
    return _page(request, {"state": mfa.status(session, actor=actor), "codes": codes})


def _admin_page(
    request: Request, session: DbSession, actor: CurrentAdmin, **ctx: object
) -> Response:
    required, staff = mfa.staff_two_step(session, actor=actor)
    base = {"required": required, "staff": staff, "error": None, "saved": False}
    status = 400 if ctx.get("error") else 200
    return render(request, "admin_two_step.html", {**base, **ctx}, status)


@router.get("/staff/admin/two-step", response_class=HTMLResponse, include_in_schema=False)
def read_staff_two_step(request: Request, session: DbSession, actor: CurrentAdmin) -> Response:
    """Whether staff must use two-step sign-in, and who has it on."""
    return _admin_page(request, session, actor)


class RequireForm(FormModel):
    required: bool = False


@router.post("/staff/admin/two-step", response_class=HTMLResponse, include_in_schema=False)
def update_staff_two_step(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    form: Annotated[RequireForm, Form()],
) -> Response:
    """Require two-step sign-in of the clinic's staff, or stop requiring it."""
    try:
        mfa.set_staff_mfa_required(session, actor=actor, required=form.required)
    except AccountError as exc:
        return _admin_page(request, session, actor, error=str(exc))
    return _admin_page(request, session, actor, saved=True)


@router.post(
    "/staff/admin/two-step/{user_id}/reset", response_class=HTMLResponse, include_in_schema=False
)
def delete_staff_two_step(
    request: Request, session: DbSession, actor: CurrentAdmin, user_id: RowId
) -> Response:
    """Switch a staff member's two-step sign-in off (their phone and codes are lost)."""
    try:
        mfa.reset_for(session, actor=actor, user_id=user_id)
    except AccountError as exc:
        return _admin_page(request, session, actor, error=str(exc))
    return _admin_page(request, session, actor, saved=True)
