"""Booking problems the person can act on, with the HTTP status each one maps to."""

from __future__ import annotations

from popliteal.errors import AccountError


class BookingError(AccountError):
    """A problem the person can act on; the message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


PATIENT_BUSY = "You already have a visit at this time. Pick another time, or change that visit."


class SlotTaken(BookingError):
    status_code = 409


class PolicyRefused(BookingError):
    status_code = 403


class TooManyNewAccounts(BookingError):
    """Too many visits booked with new accounts from one address: the calendar is not emptied
    by throwaway accounts."""

    status_code = 429
