"""A forgotten password, in the browser: ask for a link, follow the e-mailed link (read back
from the .eml the outbox writes), choose a new password, log in with it; the link then works
no more."""

from __future__ import annotations

import re
from typing import Any

from popliteal.demo import PATIENT
from tests.e2e.conftest import accessible, emailed_link, log_out

NEW_PASSWORD = "a-fresh-knee-password"


def test_a_forgotten_password_is_reset_from_the_emailed_link(
    page: Any, live_server: Any, allowed_errors: list[re.Pattern[str]]
) -> None:
    allowed_errors.append(re.compile(r"status of 400 .*/reset-password\?token="))  # used link
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(PATIENT.email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account exists for that address").wait_for()
    accessible(page)

    link = emailed_link(live_server, to=PATIENT.email, path="/reset-password")
    page.goto(link)
    page.get_by_label("New password (at least 10 characters)").fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("Your new password is set").wait_for()

    page.goto("/login")
    page.get_by_label("Email").fill(PATIENT.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/my/today")
    log_out(page)
    page.goto(link)
    assert "This link has expired or was already used" in page.locator("main").inner_text()
