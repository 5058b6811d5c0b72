"""The `popliteal` command line: screening and knowledge-base tools."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from popliteal.clock import utcnow
from popliteal.config import Settings, load_settings
from popliteal.knowledge.loader import Knowledge, KnowledgeError, default_knowledge, load
from popliteal.screening.answers import InvalidAnswers, parse_request
from popliteal.screening.engine import screen, to_json

if TYPE_CHECKING:
    from popliteal.outcomes.rules import Score as OutcomeScore
    from popliteal.running.rules import LoadReport

app = typer.Typer(
    help="popliteal: decision support for pain behind the knee.",
    no_args_is_help=True,
    add_completion=False,
)
knowledge_app = typer.Typer(help="Check and read the knowledge base.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
demo_app = typer.Typer(help="The demo clinic.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
plan_app = typer.Typer(
    help="Care plans drafted from the condition protocols.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
outcomes_app = typer.Typer(
    help="Outcome questionnaires (KOOS, LEFS, IKDC, NPRS).", no_args_is_help=True
)
app.add_typer(outcomes_app, name="outcomes")

err = Console(stderr=True)
WEEKS_SHOWN = 12


def _knowledge() -> Knowledge:
    """The packaged knowledge base; an invalid one is reported, not raised as a traceback."""
    try:
        return default_knowledge()
    except KnowledgeError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@app.command("screen")
def screen_command(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help='JSON file {"answers": {finding_id: value}}; null = don\'t know.',
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    clinician: Annotated[
        bool,
        typer.Option(
            "--clinician",
            help="Answers come from a clinician (allows clinician-only items such "
            "as the Wells alternative-diagnosis item).",
        ),
    ] = False,
) -> None:
    """Screen pain behind the knee: urgency, likely causes with evidence, next questions."""
    kb = _knowledge()
    if answers is None:
        from popliteal.screening.terminal import run_interview

        run_interview(kb, role="clinician" if clinician else "patient", as_json=as_json)
        return
    try:
        payload = json.loads(answers.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{answers}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{answers}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{answers}: not valid JSON: {exc}") from None
    if clinician and isinstance(payload, dict):
        payload = {**payload, "role": "clinician"}
    try:
        parsed, role = parse_request(kb, payload)
    except InvalidAnswers as exc:
        lines = "\n  ".join(str(p) for p in exc.problems)
        raise _fail(f"{answers}: invalid answers:\n  {lines}") from None
    result = screen(kb, parsed, role=role)
    if as_json:
        sys.stdout.write(json.dumps(to_json(kb, result), indent=2, ensure_ascii=False) + "\n")
        return
    from popliteal.screening.terminal import print_result

    print_result(kb, result, Console())


@plan_app.command("draft")
def plan_draft(
    condition: Annotated[str, typer.Option("--condition", help="Condition id (the contract's).")],
    goal: Annotated[
        str,
        typer.Option(
            "--goal",
            help="everyday_life, walking, stairs_and_squatting, return_to_running or sport.",
        ),
    ] = "everyday_life",
    pain: Annotated[
        int | None, typer.Option("--pain", help="Usual pain now, 0-10 (sets the phase).")
    ] = None,
    equipment: Annotated[
        str | None,
        typer.Option(
            "--equipment",
            help="Comma-separated equipment the person has, e.g. "
            "band,step,foam_roller (a chair, a wall and a towel are assumed).",
        ),
    ] = None,
    minutes: Annotated[
        int | None, typer.Option("--minutes", help="Minutes a day for the home programme.")
    ] = None,
    phase: Annotated[
        str | None, typer.Option("--phase", help="Start in this phase instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
) -> None:
    """Draft a plan (phase, home exercises, treatments, limits, criteria) for a condition."""
    from popliteal.plans import rules as plan_rules

    kb = _knowledge()
    items = [x.strip() for x in (equipment or "").split(",") if x.strip() and x.strip() != "none"]
    if minutes is not None and not 1 <= minutes <= 240:
        raise _fail("--minutes must be from 1 to 240")
    try:
        request = plan_rules.DraftRequest(
            condition=condition,
            goal=goal,  # type: ignore[arg-type]  # checked by draft_plan
            pain=pain,
            equipment=frozenset(items),
            minutes_per_day=minutes,
            phase=phase,  # type: ignore[arg-type]  # checked by draft_plan
        )
        draft = plan_rules.draft_plan(kb, request)
    except plan_rules.PlanRequestError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        payload = plan_rules.draft_to_json(draft)
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    from popliteal.plans.terminal import print_draft

    print_draft(kb, draft, Console())


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
        raise _fail(f"POPLITEAL_MAX_UPLOAD_MB must be between 1 and 1024, not {raw!r}")
    return int(raw) * 1024 * 1024


def _read_load_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; a file over the limit is refused by its size, before it is read."""
    from popliteal.running import importers

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise _fail(f"{path}: is a folder, not a file")
    if size > max_bytes:
        raise _fail(f"{path}: is larger than the {max_bytes / 2**20:g} MB limit")
    try:
        with path.open("rb") as stream:
            return importers.read_capped(stream, filename=str(path), max_bytes=max_bytes)
    except importers.ImportProblem as exc:  # it grew since stat()
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror or exc}") from None


@app.command("load", help=LOAD_HELP)
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
    from popliteal.running import importers, load_cli, rules

    try:
        chosen_unit = load_cli.parse_unit(unit)
        chosen_surface = load_cli.parse_surface(surface)
        last_day = load_cli.parse_today(today)
    except load_cli.LoadInputError as exc:
        raise _fail(str(exc)) from None
    max_bytes = _max_file_bytes()
    contents = [(str(path), _read_load_file(path, max_bytes)) for path in files]
    kb = _knowledge()
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
        raise _fail(str(exc)) from None
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
        payload = rules.report_to_json(report)
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


@app.command("score")
def score_command(
    instrument: Annotated[str, typer.Argument(help="koos, lefs, ikdc or nprs.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="JSON object of item id -> answer (null = missing), or a CSV with one "
            "response per row (optional id column; empty cell = missing).",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score questionnaire answers exactly: one JSON response, or a CSV of many."""
    from popliteal.outcomes import batch, rules

    kb = _knowledge()
    try:
        scored = batch.score_file(file, instrument, kb.outcomes)
    except batch.BatchError as exc:
        raise _fail(str(exc)) from None
    if scored.format == "csv":
        text = (
            json.dumps(batch.to_json_rows(scored), indent=2) + "\n"
            if as_json
            else batch.to_csv(scored, kb.outcomes)
        )
        sys.stdout.write(text)
        return
    result = scored.rows[0].result
    if as_json:
        sys.stdout.write(json.dumps(rules.score_to_json(result), indent=2) + "\n")
        return
    _print_score(kb, result, Console())


def _print_score(kb: Knowledge, result: OutcomeScore, out: Console) -> None:
    """A readable table of one response's scores (one decimal), invalid ones marked."""
    from rich.table import Table

    from popliteal.outcomes import batch

    inst = kb.outcomes.instruments[result.instrument]  # type: ignore[index]
    names = batch.scale_names(result.instrument, kb.outcomes)
    table = Table(title=inst.name, title_justify="left")
    table.add_column("scale")
    table.add_column("score", justify="right")
    for key, value in result.scores.items():
        shown = (
            f"{value:.1f}"
            if value is not None
            else batch.why_invalid(result.instrument, key, kb.outcomes)
        )
        table.add_row(names[key], shown)
    out.print(table)
    if result.missing_items:
        out.print("missing items: " + ", ".join(result.missing_items), highlight=False)
    out.print(f"\n[italic]{kb.advice.disclaimer.strip()}[/]", highlight=False)


@outcomes_app.command("check-wording")
def outcomes_check_wording(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A clinic's wording YAML file.")],
) -> None:
    """Validate a licensed clinic's questionnaire wording file."""
    from popliteal.outcomes import wording

    kb = _knowledge()
    try:
        loaded = wording.load_wording_file(file, kb.outcomes)
    except wording.WordingError as exc:
        raise _fail(str(exc)) from None
    Console().print(
        f"ok: {loaded.instrument} wording for {len(loaded.items)} items "
        f"(licence holder: {loaded.licence_holder}; reference: {loaded.reference})",
        highlight=False,
        markup=False,
    )


@knowledge_app.command("check")
def knowledge_check(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Check this folder instead (e.g. an edited copy of data/).",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evidence counts as JSON.")
    ] = False,
) -> None:
    """Validate every knowledge file and print what it holds and how much of it is published."""
    from popliteal.knowledge.evidence import evidence_counts

    if directory is None:
        kb = _knowledge()
    else:
        try:
            kb = load(directory)
        except KnowledgeError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
    counts = evidence_counts(kb)
    if as_json:
        sys.stdout.write(json.dumps({"knowledge_version": kb.version, **counts}, indent=2) + "\n")
        return
    out = Console()
    expert = sum(1 for e in kb.likelihoods if e.direction is not None)
    out.print(f"knowledge_version {kb.version}")
    out.print(f"conditions        {len(kb.conditions)}")
    out.print(
        f"findings          {len(kb.findings)} "
        f"({sum('P' in f.who for f in kb.findings.values())} answered by the person)"
    )
    lik = counts["likelihoods"]
    out.print(
        f"likelihood ratios {lik['total']} ({lik['published_found']} published and read, "
        f"{lik['published_recalled']} published but recalled, {lik['expert_weight']} expert "
        f"weights, {expert} of them direction-only)"
    )
    pri = counts["priors"]
    out.print(f"priors            {pri['total']} ({pri['sourced']} sourced)")
    out.print(f"red-flag rules    {len(kb.rules)}")
    out.print(f"treatments        {len(kb.treatments)}")
    out.print(f"sources           {len(kb.sources)}")
    out.print(f"seed items        {len(kb.seed_items)}")
    out.print(f"exercises         {len(kb.exercises)}")
    phases = sum(len(p.phases) for p in kb.protocols.values())
    out.print(f"protocols         {len(kb.protocols)} ({phases} phases)")
    running = kb.running
    out.print(
        f"running           {len(running.load.run_spike_tiers)} spike tiers, "
        f"{len(running.walk_run.levels)} walk-run levels"
    )
    out.print(f"outcomes          {', '.join(kb.outcomes.instruments)}")


VALIDATION_DIR = Path("validation/cases")


@app.command("validate")
def validate_command(
    folder: Annotated[
        Path,
        typer.Option("--dir", help="Folder of case files (searched recursively).", file_okay=False),
    ] = VALIDATION_DIR,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only check the case files' ids and values; show no result."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    split: Annotated[
        bool,
        typer.Option("--split", help="Print each published case's half (validation/split.txt)."),
    ] = False,
) -> None:
    """Screen the validation cases and print safety and accuracy, each with a 95% interval."""
    from popliteal.validation.cases import half_of, load_cases
    from popliteal.validation.report import as_json as report_json
    from popliteal.validation.report import evaluate, print_tables

    if not folder.is_dir():
        raise _fail(f"no case folder at {folder}")
    kb = _knowledge()
    cases, problems = load_cases(kb, folder)
    for problem in problems:
        err.print(f"error: {problem}", highlight=False, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(code=2)
    if split:
        for case in sorted((c for c in cases if c.published), key=lambda c: c.id):
            sys.stdout.write(f"{case.id} {half_of(case.id)}\n")
        return
    if check:
        published = sum(c.published for c in cases)
        Console().print(f"{len(cases)} cases read ({published} published), all valid")
        return
    results = evaluate(kb, cases)
    if as_json:
        sys.stdout.write(json.dumps(report_json(kb, results), indent=2) + "\n")
    else:
        print_tables(kb, results, Console(width=160))


@knowledge_app.command("show")
def knowledge_show(condition_id: str) -> None:
    """Print one condition with its priors, evidence and sources."""
    kb = _knowledge()
    if condition_id not in kb.conditions:
        raise _fail(f"unknown condition '{condition_id}'; known: {', '.join(kb.conditions)}")
    from popliteal.screening.terminal import print_condition

    print_condition(kb, condition_id, Console())


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        raise _fail(str(exc)) from None


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database (DATABASE_URL, default var/popliteal.db) to the newest schema."""
    from sqlalchemy.exc import OperationalError

    from popliteal import migrate

    settings = _settings()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise _fail(f"cannot reach the database: {exc.orig}") from None
    err.print(f"database at revision {migrate.current(settings.database_url)}")


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo clinic, its clinicians, appointment types and a demo patient (idempotent)."""
    from sqlalchemy.exc import OperationalError

    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.demo import load_demo

    kb = _knowledge()
    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            clinic = load_demo(session, kb)
            err.print(f"demo clinic ready: {clinic.name}")
    except OperationalError as exc:
        raise _fail(
            f"cannot reach the database (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(envvar="POPLITEAL_HOST", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(envvar="POPLITEAL_PORT", help="Port.")] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="POPLITEAL_WORKERS", min=1, help="Worker processes.")
    ] = 1,
    migrate_first: Annotated[
        bool,
        typer.Option("--migrate/--no-migrate", help="Run database migrations before serving."),
    ] = True,
) -> None:
    """Serve the web application and the JSON API."""
    import uvicorn

    settings = _settings()
    kb = _knowledge()
    from popliteal.outcomes.wording import WordingError
    from popliteal.web.app import clinic_wording

    try:
        clinic_wording(settings, kb)
    except WordingError as exc:
        raise _fail("\n".join(exc.problems)) from None
    if migrate_first:
        db_upgrade("head")
    uvicorn.run(
        "popliteal.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def main() -> None:  # pragma: no cover - console-script shim
    app()
