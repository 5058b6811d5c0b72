"""`popliteal load`: weekly running load and its flags from watch files or daily distances."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from popliteal.cli._exits import err, fail, knowledge_base
from popliteal.clock import utcnow
from popliteal.knowledge.loader import Knowledge

if TYPE_CHECKING:
    from popliteal.running.rules import LoadReport


WEEKS_SHOWN = 12


LOAD_HELP = (
    "Weekly running load and flags from watch files or daily distances.\n\n"
    "FILE is a GPX, TCX or FIT file (one run each), a JSON file "
    '{"unit": "km", "daily": [5, 0, 8.2]} of daily distances oldest first, or a CSV file with '
    "the header date,distance_km (or date,distance_mi; days left out had no running). Several "
    "files are merged: the same file given twice counts once, and two watch files starting "
    "within two minutes of each other are one run exported twice and count once.\n\n"
    "The report ends on --today, else on the last day with data in the files, so a file from "
    "last year still gives meaningful last-day values; a watch file's run counts on its start's "
    "date in this computer's time zone. The JSON form has no dates: its last "
    "entry is that day, or today's date when no other file has dates. Whether the knee hurts "
    "is not known from a file, so the flags that apply while symptomatic assume it does and "
    "say so. Files larger than POPLITEAL_MAX_UPLOAD_MB (default 25) are refused unread."
)


def _max_file_bytes() -> int:
    """The per-file limit the web import uses (POPLITEAL_MAX_UPLOAD_MB, default 25 MB)."""
    from popliteal.running import importers

    raw = os.environ.get("POPLITEAL_MAX_UPLOAD_MB", "").strip()
    if not raw:
        return importers.DEFAULT_MAX_BYTES
    if not raw.isdigit() or not 1 <= int(raw) <= 1024:
        raise fail(f"POPLITEAL_MAX_UPLOAD_MB must be between 1 and 1024, not {raw!r}")
    return int(raw) * 1024 * 1024


def _read_load_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; a file over the limit is refused by its size, before it is read."""
    from popliteal.running import importers

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise fail(f"{path}: is a folder, not a file")
    if size > max_bytes:
        raise fail(f"{path}: is larger than the {max_bytes / 2**20:g} MB limit")
    try:
        with path.open("rb") as stream:
            return importers.read_capped(stream, filename=str(path), max_bytes=max_bytes)
    except importers.ImportProblem as exc:  # it grew since stat()
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="GPX, TCX or FIT files, or JSON/CSV daily distances."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit", help="km or mi (default: the daily file's unit, else km).", show_default=False
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="Last day of the report, YYYY-MM-DD (default: the last day with data).",
            show_default=False,
        ),
    ] = None,
    surface: Annotated[
        str | None,
        typer.Option(
            "--surface",
            help="Surface of every run given: road_or_concrete, uneven_or_trail, "
            "track_or_treadmill or grass_or_mixed.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Weekly running load, acute:chronic ratios and flags from watch or daily-distance files."""
    from popliteal.running import importers, load_cli, report_json, rules

    try:
        chosen_unit = load_cli.parse_unit(unit)
        chosen_surface = load_cli.parse_surface(surface)
        last_day = load_cli.parse_today(today)
    except load_cli.LoadInputError as exc:
        raise fail(str(exc)) from None
    max_bytes = _max_file_bytes()
    contents = [(str(path), _read_load_file(path, max_bytes)) for path in files]
    kb = knowledge_base()
    now = utcnow()
    try:
        given = load_cli.merge_inputs(
            contents,
            now=now,
            zone=now.astimezone().tzinfo or UTC,
            today=last_day,
            surface=chosen_surface,
        )
    except (importers.ImportProblem, load_cli.LoadInputError) as exc:
        raise fail(str(exc)) from None
    for line in given.skipped:
        err.print(f"note: {line}", highlight=False, soft_wrap=True, markup=False)
    report = rules.load_report(
        given.runs,
        today=given.today,
        settings=kb.running,
        unit=chosen_unit or given.daily_unit or "km",
        symptomatic=None,
        start=given.start,
    )
    if as_json:
        payload = report_json.report_to_json(report)
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    _print_load(kb, report, Console())


def _ratio(value: float | None, fmt: str) -> str:
    return "not available (see notes)" if value is None else fmt.format(value)


def _print_load(kb: Knowledge, report: LoadReport, out: Console) -> None:
    """Weekly totals, ratios, surfaces and flags with their sources, for a terminal."""
    from rich.markup import escape
    from rich.table import Table

    unit = report.unit
    out.print(
        f"[bold]Running load[/] to {report.today.isoformat()}: {report.days} day(s), "
        f"distances in {unit}",
        highlight=False,
    )
    weeks = Table("Week", f"Distance ({unit})", title="Weekly totals (7-day blocks ending today)")
    shown = report.weekly_totals[-WEEKS_SHOWN:]
    hidden = len(report.weekly_totals) - len(shown)
    for i, total in enumerate(shown):
        back = len(shown) - 1 - i  # 0 = the block ending today
        end = report.today - timedelta(days=7 * back)
        begin = max(end - timedelta(days=6), report.today - timedelta(days=report.days - 1))
        weeks.add_row(f"{begin.isoformat()} to {end.isoformat()}", f"{total:.2f}")
    out.print(weeks)
    if hidden:
        out.print(f"[dim]{hidden} earlier week(s) not shown (all are in --json).[/]")
    ratios = Table("Measure", "Value", title="Load")
    ratios.add_row("Week-over-week change", _ratio(report.week_over_week_change_pct, "{:+.1f}%"))
    ratios.add_row("Acute:chronic ratio, rolling 7/28 days", _ratio(report.acwr_rolling, "{:.2f}"))
    ratios.add_row("Acute:chronic ratio, EWMA", _ratio(report.acwr_ewma, "{:.2f}"))
    ratios.add_row(
        "Longest run vs longest of the 30 days before",
        _ratio(report.longest_run_spike_pct, "{:+.1f}%"),
    )
    for name, share in report.surface_share.items():
        if share > 0:
            ratios.add_row(f"Distance on {name.replace('_', ' ')}", f"{share * 100:.0f}%")
    out.print(ratios)
    if report.flags:
        out.print("[bold]Flags[/]")
        for flag in report.flags:
            out.print(
                f"  [bold red]{escape(flag.id)}[/]: {escape(flag.message)} "
                f"[dim](source: {escape(flag.source)})[/]",
                highlight=False,
            )
    else:
        out.print("[bold]Flags[/]: none")
    for note in report.notes:
        out.print(f"[dim]note: {note}[/]", highlight=False)
    out.print(f"\n[italic]{kb.advice.disclaimer.strip()}[/]", highlight=False)
