"""JSON log in / log out for API clients (the same cookie session as the pages)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from popliteal.accounts import mfa, passwords
from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentActor, CurrentUser
from popliteal.errors import AccountError
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.csrf import token_for
from popliteal.web.deps import SESSION_COOKIE, DbSession, JsonOnly, SettingsDep, client_address
from popliteal.web.session_cookie import clear_login_cookie, clear_visitor_cookie, set_login_cookie

router = APIRouter(max_body_size=MAX_BODY_BYTES, prefix="/api/auth", tags=["auth"])


class LoginCreate(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    code: str | None = Field(
        None,
        max_length=64,
        description="For an account with two-step sign-in: the authenticator app's 6-digit "
        "code, or a recovery code. Without it such a login answers 401 with "
        '"code_required": true.',
    )


CODE_NEEDED = (
    "two-step sign-in is on for this account: send the 6-digit code from the authenticator "
    "app (or a recovery code) in the code field"
)


class UserRead(BaseModel):
    id: int
    email: str
    role: str
    display_name: str
    clinic_id: int


@router.post(
    "/login",
    response_model=UserRead,
    responses={401: {"description": "Wrong credentials, or the second-step code is needed"}},
)
def create_login(
    body: LoginCreate,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
) -> UserRead | JSONResponse:
    """Log in; sets the session cookie. Staff with two-step sign-in send `code` as well."""
    try:
        user = accounts_service.authenticate(
            session,
            settings=settings,
            email=body.email,
            password=body.password,
            address=client_address(request),
        )
    except accounts_service.LoginThrottled as exc:
        raise HTTPException(429, str(exc)) from None
    except AccountError as exc:
        raise HTTPException(401, str(exc)) from None
    if user.has_mfa:
        if not body.code:
            return JSONResponse({"detail": CODE_NEEDED, "code_required": True}, status_code=401)
        try:
            user = mfa.check_code_for(
                session,
                settings=settings,
                user=user,
                code=body.code,
                address=client_address(request),
            )
        except accounts_service.LoginThrottled as exc:
            raise HTTPException(429, str(exc)) from None
        except AccountError as exc:
            return JSONResponse({"detail": str(exc), "code_required": True}, status_code=401)
    token = accounts_service.start_session(session, settings=settings, user=user)
    set_login_cookie(response, request=request, settings=settings, token=token)
    return UserRead.model_validate(user, from_attributes=True)


@router.post("/logout", status_code=204)
def create_logout(request: Request, session: DbSession) -> Response:
    """Log out; ends the session and clears the anonymous visitor cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts_service.end_session(session, token, address=client_address(request))
    response = Response(status_code=204)
    clear_login_cookie(response)
    clear_visitor_cookie(response)  # a shared browser forgets its anonymous screenings
    return response


@router.get("/me", response_model=UserRead)
def read_me(user: CurrentUser) -> UserRead:
    """Who is logged in."""
    return UserRead.model_validate(user, from_attributes=True)


class CsrfRead(BaseModel):
    csrf_token: str


@router.get("/csrf", response_model=CsrfRead)
def read_csrf_token(request: Request, settings: SettingsDep, user: CurrentUser) -> CsrfRead:
    """The CSRF token of this browser's seed cookie, for a program that posts files (the
    watch-file imports) with its login cookie: send it as the X-CSRF-Token header. Another
    site cannot read it (same-origin policy), so it cannot forge such a post."""
    seed = request.scope.get("state", {}).get("csrf_seed", "")
    return CsrfRead(csrf_token=token_for(settings.secret_key, seed))


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


@router.post("/password", status_code=204, dependencies=[JsonOnly])
def update_password(
    body: PasswordChange, request: Request, session: DbSession, actor: CurrentActor
) -> Response:
    """Change your password; your other sessions end, this one stays."""
    passwords.change_password(
        session,
        actor=actor,
        current=body.current_password,
        new=body.new_password,
        keep_token=request.cookies.get(SESSION_COOKIE),
    )
    return Response(status_code=204)
