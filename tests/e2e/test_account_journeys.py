"""Browser journeys of a real clinic's accounts (issue 16): set up from an empty database with
the command line, an admin invites a clinician who chooses a password from the e-mail, and a
forgotten password is reset from the e-mailed link. Mail is read back from the .eml files the
outbox writes without SMTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import RunCli
from tests.e2e.conftest import accessible, emailed_link, log_out, screenshot
from tests.test_setup_cli import (  # an empty, migrated database instead of the demo
    database_url,  # noqa: F401
    empty_sqlite_template,  # noqa: F401
)

ADMIN_EMAIL = "ann@lakeside.example"
ADMIN_PASSWORD = "lakeside-admin-pass-2026"
CLINICIAN_EMAIL = "sam@lakeside.example"
CLINICIAN_PASSWORD = "sam-chooses-this-one"


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")


@pytest.mark.postgres
def test_first_run_admin_from_the_command_line_invites_a_clinician_who_sets_a_password(
    page: Any,
    live_server: Any,
    run_cli: RunCli,
    database_url: str,  # noqa: F811
    monkeypatch: Any,
    allowed_errors: list[re.Pattern[str]],
) -> None:
    allowed_errors.append(re.compile(r"status of 503 .*/book$"))  # before the set-up
    page.goto("/book")
    assert "This service is not set up yet" in page.locator("main").inner_text()
    monkeypatch.setenv("DATABASE_URL", database_url)
    made = run_cli(
        "clinic",
        "create",
        "--name",
        "Lakeside Physio",
        "--timezone",
        "America/Chicago",
        "--phone",
        "+1 312 555 0199",
    )
    assert made.returncode == 0, made.stderr
    admin = run_cli(
        "user",
        "create",
        "--clinic",
        made.stdout.strip(),
        "--role",
        "admin",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Ann Byrne, PT",
        "--password-stdin",
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    assert admin.returncode == 0, admin.stderr

    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.wait_for_url("**/staff/**")
    page.goto("/staff/admin/clinicians")
    page.get_by_label(re.compile("^Name")).fill("Sam Chen, DC")
    page.get_by_label("Email").fill(CLINICIAN_EMAIL)
    page.get_by_label("Chiropractor").check()
    accessible(page)
    page.get_by_role("button", name="Add clinician").click()
    page.get_by_text("We e-mailed them a link to choose their password").wait_for()
    assert "Sam Chen, DC" in page.locator("main").inner_text()
    screenshot(page, "clinician-invited")
    log_out(page)

    page.goto(emailed_link(live_server, to=CLINICIAN_EMAIL, path="/welcome"))
    page.get_by_text("Welcome, Sam Chen, DC.").wait_for()
    page.get_by_label("Password (at least 12 characters)").fill(CLINICIAN_PASSWORD)
    page.get_by_label("The password again").fill(CLINICIAN_PASSWORD)
    accessible(page)
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("Your password is set").wait_for()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Email").fill(CLINICIAN_EMAIL)
    page.get_by_label("Password").fill(CLINICIAN_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/staff/schedule")
    assert "Lakeside Physio" in page.locator("header").inner_text()
