"""The e-mailed link of a visit booked without logging in: confirm it (booking/holds.py).

Opening the link changes nothing (mail scanners open links): the page shows the visit and a
button; a new person chooses their password there, someone with an account logs in first.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts import links
from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import OptionalActor, page_router
from popliteal.booking import holds
from popliteal.booking._pages import page_setup
from popliteal.booking.errors import BookingError
from popliteal.errors import AccountError, NotAllowed
from popliteal.web.deps import DbSession, Now, SettingsDep, client_address
from popliteal.web.forms import FormModel
from popliteal.web.session_cookie import set_login_cookie
from popliteal.web.templating import render

router = page_router("booking pages", Depends(page_setup))

USELESS = f"{links.LINK_USELESS} Your visit is not booked. You can pick a time again."
OTHER_ACCOUNT = (
    "This link was sent to another account. Log out, then open the link from the e-mail again."
)


def _page(
    request: Request,
    *,
    token: str = "",
    hold: holds.HoldLink | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {"token": token, "hold": hold, "error": error, "useless": hold is None}
    return render(request, "booking_verify.html", context, status)


@router.get(holds.VERIFY_PATH, response_class=HTMLResponse, include_in_schema=False)
def read_verify(
    request: Request, session: DbSession, actor: OptionalActor, now: Now, token: str = ""
) -> Response:
    """Show the held visit and how to confirm it, while the link works."""
    hold = holds.read_link(session, token=token, now=now)
    if hold is None:
        return _page(request, error=USELESS, status=400)
    if not hold.needs_password:
        if actor is None:
            here = f"{holds.VERIFY_PATH}?{urlencode({'token': token})}"
            return RedirectResponse("/login?" + urlencode({"next": here}), status_code=303)
        if actor.user_id != hold.user_id:
            return _page(request, error=OTHER_ACCOUNT, status=403)
    return _page(request, token=token, hold=hold)


class VerifyForm(FormModel):
    token: str = Field("", max_length=links.MAX_TOKEN_LENGTH)
    new_password: str = Field("", max_length=256)
    repeat_password: str = Field("", max_length=256)


@router.post(holds.VERIFY_PATH, response_class=HTMLResponse, include_in_schema=False)
def create_verify(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: OptionalActor,
    now: Now,
    form: Annotated[VerifyForm, Form()],
) -> Response:
    """Confirm the held visit (a new person sets their password too) and show it."""
    hold = holds.read_link(session, token=form.token, now=now)
    if hold is None:
        return _page(request, error=USELESS, status=400)
    if hold.needs_password and form.new_password != form.repeat_password:
        problem = "the two passwords are not the same"
        return _page(request, token=form.token, hold=hold, error=problem, status=400)
    try:
        confirmed = holds.confirm(
            session,
            token=form.token,
            password=form.new_password if hold.needs_password else None,
            actor=actor,
            client_address=client_address(request),
            now=now,
        )
    except NotAllowed:
        return _page(request, error=OTHER_ACCOUNT, status=403)
    except BookingError as exc:
        return _page(request, token=form.token, hold=hold, error=exc.message, status=409)
    except AccountError as exc:
        if str(exc) == links.LINK_USELESS:
            return _page(request, error=USELESS, status=400)
        return _page(request, token=form.token, hold=hold, error=str(exc), status=400)
    response = RedirectResponse(f"/my/appointments/{confirmed.view.id}?booked=1", status_code=303)
    if confirmed.new_account:
        token = accounts_service.start_session(session, settings=settings, user=confirmed.user)
        set_login_cookie(response, request=request, settings=settings, token=token)
    return response
