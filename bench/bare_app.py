"""The yardstick for HTTP figures: a bare Starlette endpoint that reads and writes JSON."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"received": len(body.get("answers", {}))}, status_code=201)


app = Starlette(routes=[Route("/api/screenings", echo, methods=["POST"])])
