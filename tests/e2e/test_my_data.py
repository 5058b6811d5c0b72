"""A person downloads their data and deletes their account in the browser, then can not log in."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from popliteal.knowledge.loader import Knowledge
from tests.accounts.factories import PASSWORD
from tests.e2e.conftest import accessible, nav_to, screenshot
from tests.workspace.rights_factories import person_with_history


@pytest.fixture
def allowed_errors() -> list[re.Pattern[str]]:
    # The refused login at the end answers 400 (the browser logs a failed resource load).
    return [re.compile(r"status of 400")]


def log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_download_my_data_then_delete_my_account(
    page: Any, db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    episode = person_with_history(db, kb)
    db.rollback()
    log_in(page, episode.email)
    page.wait_for_url("**/my/today")

    nav_to(page, "My account")
    page.wait_for_url("**/my/account")
    accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data").click()
    download = info.value
    assert re.fullmatch(r"my-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as zf:
        names = {n.removeprefix("my-data/") for n in zf.namelist()}
        profile = json.loads(zf.read("my-data/profile.json"))[0]
        notes = json.loads(zf.read("my-data/visit_notes.json"))
        assert zf.read("my-data/discharge-summary-1.pdf").startswith(b"%PDF")
    assert {"README.txt", "screenings.json", "plans.json", "runs.json"} <= names
    assert profile["email"] == episode.email
    assert len(notes) == 2

    page.get_by_role("link", name="Delete my account").click()
    page.wait_for_url("**/my/account/delete")
    accessible(page)
    assert page.get_by_role("heading", name="What the clinic must keep").is_visible()
    assert "your 2 visit notes" in page.locator("main").inner_text()
    screenshot(page, "delete-my-account")
    page.get_by_label("Type your password to say yes").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account now").click()
    page.wait_for_url("**/account/deleted")
    assert page.get_by_role("heading", name="Your account is deleted").is_visible()
    accessible(page)

    # Logged out, and the old address and password no longer open an account.
    page.goto("/my/today")
    page.wait_for_url("**/login**")
    log_in(page, episode.email)
    assert page.get_by_text("Wrong email or password").is_visible()
    assert "/login" in page.url
