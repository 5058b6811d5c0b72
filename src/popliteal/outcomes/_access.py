"""Who may use the follow-up services, and how late a clinician may date what they enter."""

from __future__ import annotations

from popliteal.accounts import service as accounts_service

# Paper forms may be entered up to a year late; older ones belong in the notes.
MAX_BACKDATE_DAYS = 365


require_staff = accounts_service.require_staff  # one check for every area
