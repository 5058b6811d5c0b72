"""Settings from environment variables, read once at start-up (documented in the README)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VAR_DIR = "var"
DEFAULT_MAIL_FROM = "popliteal <no-reply@localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _upload_mb(name: str, default: int) -> int:
    value = _int(name, default)
    if not 1 <= value <= 1024:
        raise ValueError(f"{name} must be between 1 and 1024 (megabytes), got {value}")
    return value


def _emergency_number(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    if not raw.isdigit() or not 2 <= len(raw) <= 6:
        raise ValueError(f"{name} must be 2 to 6 digits (911, 112, 999), got {raw!r}")
    return raw


def _days(name: str, default: int) -> int:
    value = _int(name, default)
    if not 1 <= value <= 3650:
        raise ValueError(f"{name} must be between 1 and 3650 (days), got {value}")
    return value


def _years(name: str, default: int) -> int:
    value = _int(name, default)
    if not 1 <= value <= 100:
        raise ValueError(f"{name} must be between 1 and 100 (years), got {value}")
    return value


def _log_format(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip().lower() or default
    if raw not in {"json", "text"}:
        raise ValueError(f"{name} must be json or text, got {raw!r}")
    return raw


def _optional_path(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    return Path(raw) if raw else None


def _secret_key(var_dir: Path) -> str:
    """POPLITEAL_SECRET_KEY, or a random key kept in var/ so sessions survive a restart."""
    key = os.environ.get("POPLITEAL_SECRET_KEY")
    if key:
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    var_dir: Path
    secure_cookies: bool
    login_max_failures_account: int
    login_max_failures_address: int
    login_window_minutes: int
    session_hours: int
    # Largest watch file accepted (POPLITEAL_MAX_UPLOAD_MB); bigger ones are refused unread.
    max_upload_bytes: int = 25 * 1024 * 1024
    # Folder of a licensed clinic's KOOS/IKDC wording files (POPLITEAL_WORDING_DIR); None:
    # licensed questionnaires show our neutral labels only.
    wording_dir: Path | None = None
    # The number the emergency message and its tap-to-call link use (POPLITEAL_EMERGENCY_NUMBER):
    # 911 in the US and Canada, 112 or 999 elsewhere.
    emergency_number: str = "911"
    # Compile every page template and set up the database mappings before the first request
    # (POPLITEAL_WARM_START; `popliteal serve` turns it on), so nobody waits for it.
    warm_start: bool = False
    # A clinician's or admin's session ends after this many minutes without a request
    # (POPLITEAL_STAFF_IDLE_MINUTES; 0 turns it off). Patients keep the absolute limit only.
    staff_idle_minutes: int = 30
    # Where e-mail goes (POPLITEAL_SMTP_URL, smtp://user:pass@host:port, smtps:// for TLS,
    # ?starttls=true); None: each message is written as an .eml file under var/outbox/.
    smtp_url: str | None = None
    # The sender of every message (POPLITEAL_MAIL_FROM).
    mail_from: str = DEFAULT_MAIL_FROM
    # The address people reach the site at (POPLITEAL_BASE_URL), for links in e-mails the
    # sender writes outside a request (questionnaire reminders).
    base_url: str = DEFAULT_BASE_URL
    # Days an anonymous screening is kept after its last change
    # (POPLITEAL_ANONYMOUS_SCREENING_DAYS); `popliteal maintenance run` deletes older ones.
    anonymous_screening_days: int = 30
    # Years the visit notes of a deleted account are kept after the last visit
    # (POPLITEAL_RECORD_RETENTION_YEARS): the clinic's record-retention duty under its state's
    # law. Then `popliteal maintenance run` deletes them (README, Privacy).
    record_retention_years: int = 7
    # Prometheus metrics at /metrics (POPLITEAL_METRICS); off unless asked for.
    metrics: bool = False
    # Log lines as JSON objects, one a line (POPLITEAL_LOG_FORMAT=json, the default) or as
    # plain text for a developer's terminal (text).
    log_format: str = "json"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Accept plain postgres URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def mail_from() -> str:
    """The sender of every message (POPLITEAL_MAIL_FROM), also the organizer of invites."""
    return os.environ.get("POPLITEAL_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("POPLITEAL_VAR_DIR", DEFAULT_VAR_DIR))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'popliteal.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return Settings(
        database_url=normalise_database_url(url),
        secret_key=_secret_key(var_dir),
        var_dir=var_dir,
        secure_cookies=_bool("POPLITEAL_SECURE_COOKIES", False),
        login_max_failures_account=_int("POPLITEAL_LOGIN_MAX_FAILURES_ACCOUNT", 5),
        login_max_failures_address=_int("POPLITEAL_LOGIN_MAX_FAILURES_ADDRESS", 20),
        login_window_minutes=_int("POPLITEAL_LOGIN_WINDOW_MINUTES", 15),
        session_hours=_int("POPLITEAL_SESSION_HOURS", 12),
        max_upload_bytes=_upload_mb("POPLITEAL_MAX_UPLOAD_MB", 25) * 1024 * 1024,
        wording_dir=_optional_path("POPLITEAL_WORDING_DIR"),
        emergency_number=_emergency_number("POPLITEAL_EMERGENCY_NUMBER", "911"),
        warm_start=_bool("POPLITEAL_WARM_START", False),
        staff_idle_minutes=_int("POPLITEAL_STAFF_IDLE_MINUTES", 30),
        smtp_url=os.environ.get("POPLITEAL_SMTP_URL", "").strip() or None,
        mail_from=mail_from(),
        base_url=(os.environ.get("POPLITEAL_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/"),
        anonymous_screening_days=_days("POPLITEAL_ANONYMOUS_SCREENING_DAYS", 30),
        record_retention_years=_years("POPLITEAL_RECORD_RETENTION_YEARS", 7),
        metrics=_bool("POPLITEAL_METRICS", False),
        log_format=_log_format("POPLITEAL_LOG_FORMAT", "json"),
    )
