"""Browser journeys in Debian's Chromium driven by Playwright, against a live server thread."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

if not CHROMIUM.exists():  # `make test` installs it; a bare pytest run without it says why
    pytest.skip("Chromium is not installed: run `make test`", allow_module_level=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def allowed_errors() -> list[re.Pattern[str]]:
    """Browser console errors a test expects (e.g. the 400 of a refused form), as patterns."""
    return []


@pytest.fixture
def page(browser: Any, live_server: Any, allowed_errors: list[re.Pattern[str]]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    # Every wait is on a condition; the limit only bounds a real failure on a busy machine.
    context.set_default_timeout(30_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: (
            errors.append(f"{msg.text} {msg.location.get('url', '')}")
            if msg.type == "error"
            else None
        ),
    )
    yield pg
    context.close()
    unexpected = [e for e in errors if not any(p.search(e) for p in allowed_errors)]
    assert not unexpected, f"browser errors: {unexpected}"


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


PHONE_SIZE = {"width": 390, "height": 844}
DESKTOP_SIZE = {"width": 1280, "height": 900}


def also_on_a_desktop(page: Any, name: str) -> None:
    """The page a phone test is on, as a desktop browser shows it: the main links out in the
    header (no Menu button), nothing wider than the window, no serious axe-core finding; saved
    as test-artifacts/NAME.png. The phone size is put back afterwards."""
    page.set_viewport_size(DESKTOP_SIZE)
    try:
        assert not page.get_by_role("button", name="Menu").is_visible(), page.url
        assert page.get_by_role("navigation", name="Main").is_visible(), page.url
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (page.url, overflow)
        accessible(page)
        screenshot(page, name)
    finally:
        page.set_viewport_size(PHONE_SIZE)


# The page's overflow past the window's right edge, with the innermost elements that stick out
# (not those inside a box that scrolls sideways on purpose, like the calendar): none is good.
WIDER_THAN_THE_WINDOW = """() => {
  const doc = document.documentElement, w = doc.clientWidth;
  if (doc.scrollWidth <= w) return [];
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const out = [...document.body.querySelectorAll('*')].filter(e => {
    if (e.getBoundingClientRect().right <= w + 1) return false;
    for (let a = e.parentElement; a; a = a.parentElement) if (scrolls(a)) return false;
    return true;
  });
  return [doc.scrollWidth - w, ...out.filter(e => !out.some(o => o !== e && e.contains(o)))
    .slice(0, 5).map(e => e.tagName + '.' + (e.getAttribute('class') || '') + ': '
      + (e.innerText || e.textContent || '').slice(0, 40))];
}"""


def wider_than_the_window(page: Any) -> list[Any]:
    """[pixels past the right edge, what sticks out…], or [] when nothing does."""
    found: list[Any] = page.evaluate(WIDER_THAN_THE_WINDOW)
    return found


def also_on_a_phone(page: Any, name: str) -> None:
    """The page a desktop test is on, as a phone shows it: the main links behind the Menu
    button, nothing wider than the window; saved as test-artifacts/NAME.png. (axe-core ran at
    desktop size: its findings do not depend on the width.) The desktop size is put back."""
    page.set_viewport_size(PHONE_SIZE)
    try:
        assert page.get_by_role("button", name="Menu").is_visible(), page.url
        screenshot(page, name)
        assert not wider_than_the_window(page), (page.url, wider_than_the_window(page))
    finally:
        page.set_viewport_size(DESKTOP_SIZE)


def serious_violations(page: Any) -> list[str]:
    """axe-core violations of impact serious or critical on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def accessible(page: Any) -> None:
    assert serious_violations(page) == [], page.url


def step_marker(page: Any) -> str:
    """What identifies the screening step on screen (read in one go: htmx may swap it)."""
    marker: str = page.evaluate(
        """() => { const l = document.querySelector('label[for=screening-progress]');
                   return l ? l.innerText : location.href; }"""
    )
    return marker


def next_step(page: Any, before: str) -> None:
    """htmx swaps the step in place, or redirects to the result: wait for either."""
    page.wait_for_function(
        """(before) => location.pathname.endsWith('/result') ||
            (document.querySelector('label[for=screening-progress]') || {}).innerText !== before""",
        arg=before,
    )


def open_menu(page: Any) -> None:
    """On a phone the main links are behind the Menu button: open it (nothing on a wide
    screen). The page's script decides whether the menu folds: wait until it has run, or a
    busy machine can look before the fold and click a link that folds away just after."""
    page.wait_for_load_state("load")
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        menu.click()


def nav_to(page: Any, name: str) -> None:
    """Follow a link of the main menu, as a person would on this screen size."""
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def log_out(page: Any) -> None:
    """Log out as a person would: on a phone the button is behind the Menu button."""
    open_menu(page)
    page.get_by_role("button", name=re.compile("Log out")).click()


def emailed_link(live_server: Any, *, to: str, path: str) -> str:
    """Send what the outbox holds as `popliteal notify run --once` does without SMTP (.eml
    files under var/outbox/), then read the newest .eml to this address and return its link
    to `path` (…?token=…), as a path on this server."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    from popliteal.mail.sender import run_once
    from popliteal.mail.transport import FolderTransport

    app = live_server.app
    folder = Path(app.state.settings.var_dir) / "outbox"
    with app.state.sessionmaker() as session:
        run_once(session, transport=FolderTransport(folder), mail_from="clinic@example.com")
    found: list[tuple[float, str]] = []
    for eml in folder.glob("*.eml"):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] != to:
            continue
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        links = re.findall(
            rf"https?://[^/\s]+({re.escape(path)}\?token=[\w-]+)", text.get_content()
        )
        found += [(eml.stat().st_mtime_ns, link) for link in links]
    assert found, f"no e-mail to {to} with a {path} link in {folder}"
    return max(found)[1]
