"""Parse watch files in a worker process, so a big upload never stalls the server.

Parsing is CPU work in long C calls that hold Python's global lock (expat and ElementTree
read a whole 20 MB GPX in one call): in a thread, every other request of the server waits for
them, a second at a time. In a separate process the server keeps answering at its usual speed
while a file is read, and the parse's memory is returned when the worker is recycled.

One worker (a second would only compete with the server for a small machine's cores), started
on first use with "spawn" (forking a threaded server is unsafe), recycled every few files so
its memory does not creep. Tests and `popliteal load` may parse in-process (`use_process`).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from popliteal.running import importers

FILES_PER_WORKER = 20
CRASHED = "could not be read (the file reader stopped); try this file again on its own"

use_process = True
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=FILES_PER_WORKER,
            )
        return _pool


def _reset(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the worker (at server shutdown; a new one starts on the next import)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def parse_activities(
    filename: str, data: bytes, *, now: datetime, sport: str
) -> list[importers.ParsedActivity]:
    """`importers.parse_activities`, in the worker process unless `use_process` is off."""
    if not use_process:
        return importers.parse_activities(filename, data, now=now, sport=sport)
    pool = _executor()
    try:
        future = pool.submit(importers.parse_activities, filename, data, now=now, sport=sport)
        return future.result()
    except BrokenProcessPool:  # the worker died (out of memory, killed): refuse this file only
        _reset(pool)
        raise importers.ImportProblem(filename, CRASHED) from None
