"""Errors as the person or program expects them: JSON under /api, a friendly page elsewhere.

The one error map: services raise the domain errors of popliteal/errors.py (NotAllowed,
AccountError and its kinds, NotSetUp) and routes let them through; the handlers here turn them into
HTTP answers, so no route wraps its call."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, StatementError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from popliteal.errors import AccountError, NotAllowed, NotSetUp
from popliteal.web.logs import current_request_id

log = logging.getLogger("popliteal")


class LoginRequired(Exception):
    """Raised by the auth dependencies; pages redirect to the login page, the API says 401."""

    def __init__(self, message: str = "log in to continue", *, reason: str = "") -> None:
        self.message = message
        self.reason = reason  # "idle": the login page says why the person must log in again


class TwoStepSetupRequired(Exception):
    """The clinic requires two-step sign-in and this staff member has not set it up: pages
    go to the set-up page before anything else, the API says 403."""

    PAGE = "/account/two-step"
    message = "your clinic asks staff to use two-step sign-in: set it up first at /account/two-step"


class Forbidden(Exception):
    def __init__(self, message: str = "you are not allowed to do this") -> None:
        self.message = message


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


# What a 422 quotes of the request (a field name, which may be any key sent) and how many
# problems it lists: a hostile body (a 100 KB key, thousands of keys) is not echoed back whole.
QUOTED_CHARS = 60
LISTED_PROBLEMS = 20


def _quoted(text: str, most: int = QUOTED_CHARS) -> str:
    return text if len(text) <= most else text[:most] + "..."


def _validation_messages(errors: Any) -> list[str]:
    out = []
    for e in list(errors)[:LISTED_PROBLEMS]:
        loc = ".".join(
            _quoted(str(x)) for x in e.get("loc", ()) if x not in ("body", "query", "form")
        )
        msg = _quoted(str(e.get("msg", "invalid")), 300)
        out.append(f"{loc}: {msg}" if loc else msg)
    if len(errors) > LISTED_PROBLEMS:
        out.append(f"and {len(errors) - LISTED_PROBLEMS} more")
    return out


def error_page(request: Request, status: int, title: str, messages: list[str]) -> Response:
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request,
        "error.html",
        {"title": title, "messages": messages, "status": status},
        status_code=status,
    )
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=401)
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        from urllib.parse import quote, urlsplit

        reason = f"&reason={exc.reason}" if exc.reason else ""
        if request.headers.get("hx-request") == "true":
            # An htmx fragment (a search, a form part) must not swap the login page into the
            # page: the whole browser goes to it, back to the page after.
            current = urlsplit(request.headers.get("hx-current-url", ""))
            target = (current.path or "/") + (f"?{current.query}" if current.query else "")
            url = f"/login?next={quote(target, safe='')}{reason}"
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(f"/login?next={quote(target, safe='')}{reason}", status_code=303)

    @app.exception_handler(TwoStepSetupRequired)
    async def _two_step_setup(request: Request, exc: TwoStepSetupRequired) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return RedirectResponse(exc.PAGE, status_code=303)

    async def _record_denial(request: Request, exc: Exception) -> None:
        # Every refusal is an audit event, written in a transaction of its own (the request's
        # has rolled back); accounts owns the audit table and the app factory hands it over.
        record_denial = getattr(request.app.state, "record_denial", None)
        if record_denial is not None:
            await run_in_threadpool(record_denial, request, exc)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        await _record_denial(request, exc)
        if is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return error_page(request, 403, "Not allowed", [exc.message])

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> Response:
        # Shown as "not found", so a record's id cannot be probed for existence.
        await _record_denial(request, exc)
        return await _http(request, StarletteHTTPException(404, str(exc) or "not found"))

    @app.exception_handler(AccountError)
    async def _account_error(request: Request, exc: AccountError) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        messages = exc.detail if isinstance(exc.detail, list) else [exc.detail]
        return error_page(request, exc.status_code, "Please check what you entered", messages)

    @app.exception_handler(NotSetUp)
    async def _not_set_up(request: Request, exc: NotSetUp) -> Response:
        # A new database before the first clinic: tell the operator how, the visitor to wait.
        log.warning(
            "no clinic is set up: run `popliteal clinic create` (README, 'Running it for real')"
        )
        if is_api(request):
            return JSONResponse({"detail": NotSetUp.message}, status_code=503)
        messages = ["The clinic has not finished setting up this website. Please come back later."]
        return error_page(request, 503, NotSetUp.message, messages)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        titles = {404: "Page not found", 405: "Not allowed here", 403: "Not allowed"}
        title = titles.get(exc.status_code, "Something needs fixing")
        return error_page(request, exc.status_code, title, [str(exc.detail)])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        messages = _validation_messages(exc.errors())
        if is_api(request):
            return JSONResponse({"detail": messages}, status_code=422)
        return error_page(request, 422, "Please check what you entered", messages)

    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # A last line of defence: dates past year 9999, integers wider than the database's,
        # NUL characters the database refuses. Nothing was committed (one transaction per call).
        message = "a value you sent is out of range or contains characters that are not allowed"
        log.info("refused out-of-range input on %s: %s", request.url.path, exc)
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=400)
        return error_page(request, 400, "Please check what you entered", [message])

    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        if isinstance(exc.orig, OverflowError | ValueError):
            return await _out_of_range(request, exc)
        return await _crash(request, exc)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> Response:
        # The JSON parser gives up on a body nested hundreds of levels deep.
        message = "the data you sent is nested too deeply"
        log.info("refused deeply nested input on %s", request.url.path)
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=400)
        return error_page(request, 400, "Please check what you entered", [message])

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> Response:
        # Python refuses to read an integer of more than 4300 digits (a guard against slow
        # parsing); any other ValueError that gets this far is a bug, reported as one.
        if "integer string conversion" in str(exc):
            return await _out_of_range(request, exc)
        return await _crash(request, exc)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if is_api(request):
            response: Response = JSONResponse(
                {"detail": "internal error; nothing was saved"}, status_code=500
            )
        else:
            response = error_page(
                request,
                500,
                "Sorry, something went wrong",
                ["Nothing was saved. Please try again."],
            )
        # Answered outside the request-id middleware: the id the log line carries goes on here.
        request_id = current_request_id()
        if request_id:
            response.headers["x-request-id"] = request_id
        return response
