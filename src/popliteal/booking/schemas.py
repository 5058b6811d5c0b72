"""JSON shapes of the booking API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Mode = Literal["in_clinic", "virtual", "at_home"]


class AppointmentTypeRead(BaseModel):
    id: int
    code: str
    name: str
    description: str
    minutes: int
    modes: list[str]
    is_free: bool


class SlotRead(BaseModel):
    start: datetime = Field(description="Start in the clinic's time zone (ISO 8601 with offset).")
    end: datetime
    start_utc: datetime
    end_utc: datetime
    clinician_id: int
    clinician_name: str


class SlotsRead(BaseModel):
    timezone: str = Field(description="The clinic's time zone; `start`/`end` use its offset.")
    type: str
    mode: str
    slots: list[SlotRead]


class AppointmentCreate(BaseModel):
    """Book a visit: as the logged-in patient, or without logging in with your name and e-mail
    (the visit is held until you follow the link we e-mail you)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=40, description="Appointment type code or id.")
    mode: Mode
    start: AwareDatetime = Field(description="ISO 8601 with an offset, e.g. the slot's `start`.")
    clinician_id: int | None = Field(default=None, description="null: any free clinician.")
    address: str = Field(default="", max_length=500, description="Needed for at_home visits.")
    screening_id: str | None = Field(
        default=None,
        max_length=32,
        description="The screening to share with the clinic; leave out to share none.",
    )
    use_recent_screening: bool = Field(
        default=False,
        description="Share this browser's (or your) newest calm screening of the last 30 days. "
        "Without this or `screening_id` no screening is attached.",
    )
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(
        default=None,
        max_length=256,
        description="Ignored (kept for older clients): you choose a password with the e-mailed "
        "link.",
    )
    full_name: str | None = Field(default=None, max_length=200)
    phone: str = Field(default="", max_length=40)


class HoldRead(BaseModel):
    """A visit booked without logging in: held until the e-mailed link is followed. The answer
    is the same whether or not the address has an account."""

    status: str = "held"
    message: str


class AppointmentReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime
    clinician_id: int | None = Field(default=None, description="null: keep or pick any free.")


class AppointmentRead(BaseModel):
    id: int
    type: str
    type_name: str
    mode: str
    status: str
    timezone: str
    start: datetime
    end: datetime
    start_utc: datetime
    end_utc: datetime
    clinician_id: int
    clinician_name: str
    patient_id: int
    patient_name: str
    address: str
    location: str
    screening_id: str | None
    sequence: int
    ics_url: str
    may_change: bool
    change_refusal: str | None
