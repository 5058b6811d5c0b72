"""The first visitor does not pay for the server's one-off work (issue 18: login, Today and the
outcomes page took over a second on a first hit)."""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

from starlette.testclient import TestClient

from popliteal.knowledge.loader import Knowledge
from popliteal.server import create_app


def test_a_warm_start_compiles_every_page_template_before_the_first_request(
    settings: Any, kb: Knowledge
) -> None:
    app = create_app(dataclasses.replace(settings, warm_start=True), kb=kb)
    env = app.state.templates.env
    env.cache.clear()
    pages = [n for n in env.list_templates() if n.endswith(".html")]
    assert len(pages) > 40
    try:
        with TestClient(app):
            compiled = {key[1] for key in env.cache}  # (loader weakref, name)
            # the long-lived objects are out of the collector's way (each full collection
            # walked them all, a fifth of a patient list page's CPU)
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the test process goes on building apps
    assert set(pages) <= compiled
    assert frozen > 10_000
    app.state.engine.dispose()


def test_a_cold_app_compiles_nothing_up_front(settings: Any, kb: Knowledge) -> None:
    """Tests and CLI commands build many apps: only `popliteal serve` warms up."""
    app = create_app(settings, kb=kb)
    env = app.state.templates.env
    env.cache.clear()  # the environment is shared: earlier tests in this process used it
    with TestClient(app):
        assert len(env.cache) == 0
        assert gc.get_freeze_count() == 0
    app.state.engine.dispose()
