"""How every command reports a problem: one line on stderr, then exit code 1 for a broken
knowledge base or 2 for input or settings the command cannot use.
"""

from __future__ import annotations

import typer
from rich.console import Console

from popliteal.config import Settings, load_settings
from popliteal.knowledge.loader import Knowledge, KnowledgeError, default_knowledge

err = Console(stderr=True)


def knowledge_base() -> Knowledge:
    """The packaged knowledge base; an invalid one is reported, not raised as a traceback."""
    try:
        return default_knowledge()
    except KnowledgeError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def fail(message: str) -> typer.Exit:
    """Print the problem; the caller raises the returned exit (code 2)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def app_settings() -> Settings:
    """The settings from the environment; a bad value is reported (exit code 2)."""
    try:
        return load_settings()
    except ValueError as exc:
        raise fail(str(exc)) from None
