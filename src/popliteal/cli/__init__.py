"""The `popliteal` command line: screening and knowledge-base tools.

Each command lives in the module named after it; they are registered here, explicitly and in
the order `popliteal --help` lists them.
"""

from __future__ import annotations

import typer

from popliteal.cli import (
    audit,
    backup,
    export,
    knowledge,
    load,
    maintenance,
    notify,
    outcomes,
    plan,
    screen,
    serve,
    setup,
    validate,
)

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
clinic_app = typer.Typer(
    help="Set up a clinic (first run, without the demo).", no_args_is_help=True
)
app.add_typer(clinic_app, name="clinic")
user_app = typer.Typer(
    help="Staff accounts: a clinic's administrators and clinicians.", no_args_is_help=True
)
app.add_typer(user_app, name="user")
plan_app = typer.Typer(
    help="Care plans drafted from the condition protocols.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
outcomes_app = typer.Typer(
    help="Outcome questionnaires (KOOS, LEFS, IKDC, NPRS).", no_args_is_help=True
)
app.add_typer(outcomes_app, name="outcomes")
notify_app = typer.Typer(help="E-mail: the sender and its queue.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")
audit_app = typer.Typer(
    help="The audit trail: check it was not tampered with.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
maintenance_app = typer.Typer(
    help="Daily upkeep: delete what is kept no longer (run it from cron or a timer).",
    no_args_is_help=True,
)
app.add_typer(maintenance_app, name="maintenance")
export_app = typer.Typer(help="Export records for other systems (FHIR R4).", no_args_is_help=True)
app.add_typer(export_app, name="export")

app.command("screen")(screen.screen_command)
plan_app.command("draft")(plan.plan_draft)
app.command("load", help=load.LOAD_HELP)(load.load_command)
app.command("score")(outcomes.score_command)
outcomes_app.command("check-wording")(outcomes.outcomes_check_wording)
knowledge_app.command("check")(knowledge.knowledge_check)
app.command("validate")(validate.validate_command)
knowledge_app.command("show")(knowledge.knowledge_show)
db_app.command("upgrade")(serve.db_upgrade)
demo_app.command("load")(serve.demo_load)
clinic_app.command("create")(setup.clinic_create)
user_app.command("create")(setup.user_create)
app.command("serve")(serve.serve)
notify_app.command("run")(notify.notify_run)
notify_app.command("status")(notify.notify_status)
audit_app.command("verify")(audit.audit_verify)
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
maintenance_app.command("run")(maintenance.maintenance_run)
export_app.command("fhir")(export.export_fhir)


def main() -> None:  # pragma: no cover - console-script shim
    app()
