"""Who is asking: the signed-in user, their `Actor` (role, patient, clinic) and the clinic, as
typed dependencies. With accounts, which owns them; the generic ones are in web/deps.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Clinic, User
from popliteal.accounts.rules import Actor, Role
from popliteal.web.body_limit import MAX_BODY_BYTES
from popliteal.web.deps import SESSION_COOKIE, CsrfProtected, DbSession, client_address
from popliteal.web.errors import Forbidden, LoginRequired, TwoStepSetupRequired


def get_optional_user(request: Request, session: DbSession) -> User | None:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user = accounts_service.user_for_token(
            session, token, staff_idle_minutes=request.app.state.settings.staff_idle_minutes
        )
    except accounts_service.IdleTimeout as exc:
        request.state.idle_timeout = str(exc)  # get_signed_in_user says why
        return None
    if user is not None:
        # Keep its loaded attributes: error pages render after get_db rolled back and closed.
        session.expunge(user)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_signed_in_user(request: Request, user: OptionalUser) -> User:
    """The signed-in user, even a staff member who must still set up two-step sign-in."""
    if user is None:
        idle = getattr(request.state, "idle_timeout", None)
        raise LoginRequired(idle, reason="idle") if idle else LoginRequired()
    return user


SignedInUser = Annotated[User, Depends(get_signed_in_user)]


def get_current_user(session: DbSession, user: SignedInUser) -> User:
    """The signed-in user; a staff member whose clinic requires two-step sign-in and who has
    not set it up is sent to do so before anything else."""
    if user.is_staff and not user.has_mfa:
        clinic = session.get(Clinic, user.clinic_id)
        if clinic is not None and clinic.require_staff_mfa:
            raise TwoStepSetupRequired()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_actor(request: Request, session: DbSession, user: CurrentUser) -> Actor:
    """The caller: the signed-in user, asking from this request's client address."""
    return accounts_service.actor_for(session, user, address=client_address(request))


def get_optional_actor(request: Request, session: DbSession, user: OptionalUser) -> Actor | None:
    if user is None:
        return None
    return accounts_service.actor_for(session, user, address=client_address(request))


CurrentActor = Annotated[Actor, Depends(get_actor)]
OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]


def get_current_patient(actor: CurrentActor) -> Actor:
    if actor.role != Role.PATIENT or actor.patient_id is None:
        raise Forbidden("this page is for patients; log in with a patient account")
    return actor


def get_current_clinician(actor: CurrentActor) -> Actor:
    if not actor.is_staff:
        raise Forbidden("this page is for the clinic's clinicians")
    return actor


def get_current_admin(actor: CurrentActor) -> Actor:
    if actor.role != Role.ADMIN:
        raise Forbidden("this page is for the clinic's administrators")
    return actor


CurrentPatient = Annotated[Actor, Depends(get_current_patient)]
CurrentClinician = Annotated[Actor, Depends(get_current_clinician)]
CurrentAdmin = Annotated[Actor, Depends(get_current_admin)]


def get_clinic(session: DbSession) -> Clinic:
    return accounts_service.default_clinic(session)


ClinicDep = Annotated[Clinic, Depends(get_clinic)]


def get_staff_clinic(session: DbSession, actor: CurrentClinician) -> Clinic:
    """The signed-in staff member's own clinic (never the server's first clinic): a second
    clinic's admin sees and edits only their clinic's people, hours and visit types."""
    clinic = session.get(Clinic, actor.clinic_id)
    if clinic is None:
        raise Forbidden("your clinic is not set up")
    return clinic


StaffClinic = Annotated[Clinic, Depends(get_staff_clinic)]


def page_router(tag: str, *also: Any) -> APIRouter:
    """An area's router of HTML pages: the signed-in user read once for the page's header,
    the CSRF check on every form post, the body limit (web/body_limit.py) on every route, and
    the area's own page dependencies (`also`)."""
    return APIRouter(
        max_body_size=MAX_BODY_BYTES,
        tags=[tag],
        dependencies=[Depends(get_optional_user), CsrfProtected, *also],
    )
