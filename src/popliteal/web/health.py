"""GET /readyz: may a load balancer send this process traffic?

Ready means the database answers and its schema is the one this code was written for (the
migrations are at head). /healthz (server.py) says only that the process and database answer.
A 503 says which of the two is missing, never why: the reason (hosts, users, driver errors)
goes to the log.
"""

from __future__ import annotations

import logging
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, inspect, text

from popliteal import migrate
from popliteal.web.body_limit import MAX_BODY_BYTES

router = APIRouter(max_body_size=MAX_BODY_BYTES, tags=["health"])
log = logging.getLogger("popliteal")


@cache
def code_head() -> str:
    """The newest migration this code knows (read from the files once per process)."""
    return migrate.head()


def database_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None: never migrated)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)


@router.get("/readyz")
def read_readyz(request: Request) -> JSONResponse:
    """Report whether the service can take traffic: database reachable, schema up to date."""
    try:
        revision = database_revision(request.app.state.engine)
    except Exception:  # the database is down: say so, do not crash
        log.exception("readiness check: the database does not answer")
        return JSONResponse({"status": "not ready", "database": "unavailable"}, 503)
    if revision != code_head():
        log.warning("readiness check: schema at %s, this code needs %s", revision, code_head())
        return JSONResponse({"status": "not ready", "migrations": "not at head"}, 503)
    return JSONResponse({"status": "ready"})
