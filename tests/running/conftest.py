"""Running tests parse watch files in-process: quicker than a worker process, and a test can
hold a parse with a hook. tests/running/test_import_lock.py runs the worker process too."""

from __future__ import annotations

import pytest

from popliteal.running import _parsing


@pytest.fixture(autouse=True)
def parse_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parsing, "use_process", False)
