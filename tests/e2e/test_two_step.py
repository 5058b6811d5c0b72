"""A clinician turns on two-step sign-in in the browser (scans the QR code, or types the key;
here the test is the app), saves the recovery codes, logs out, and logs in with a code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import time_machine

from popliteal.demo import CHIRO
from tests.e2e.conftest import accessible


def test_turn_on_two_step_sign_in_then_log_in_with_a_code(
    page: Any, pinned_clock: time_machine.Traveller
) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(CHIRO.email)
    page.get_by_label("Password").fill(CHIRO.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/schedule")

    page.get_by_role("link", name="Two-step sign-in").click()
    page.wait_for_url("**/account/two-step")
    assert page.get_by_role("img", name="QR code to scan with your authenticator app").is_visible()
    accessible(page)
    app = pyotp.TOTP(page.locator("[data-totp-secret]").inner_text().strip())
    page.get_by_label("Code from your app").fill(app.now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/")
    page.goto("/login")
    page.get_by_label("Email").fill(CHIRO.email)
    page.get_by_label("Password").fill(CHIRO.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/code**")
    # The code used at set-up is spent: the app's next one (30 s on, within the window).
    pinned_clock.shift(timedelta(seconds=30))
    page.get_by_label("Code from your authenticator app").fill(app.now())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/schedule")
    assert page.get_by_role("button", name="Log out").is_visible()
