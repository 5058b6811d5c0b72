"""Clinician workspace pages: the patient list, a patient's record, the working diagnosis,
and the clinic admin pages (settings and clinicians)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from popliteal.accounts import invitations
from popliteal.accounts import service as accounts_service
from popliteal.accounts.deps import CurrentAdmin, CurrentClinician, page_router
from popliteal.accounts.service import InvalidSettings
from popliteal.db import reading
from popliteal.errors import AccountError
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import score_results
from popliteal.running.staff_pages import running_summary
from popliteal.screening import exam_layout, staff_service
from popliteal.screening.differential import chance_to_show
from popliteal.sessions import visit_notes
from popliteal.sessions.plan_pages import care_summary
from popliteal.web.deps import DbSession, Kb, Now, RowId, SettingsDep
from popliteal.web.forms import FormModel, parse_whole_number, whole_number_problem
from popliteal.web.templating import render
from popliteal.workspace import erasure, patient_list
from popliteal.workspace import service as workspace_service
from popliteal.workspace.header import patient_header

router = page_router("staff")


# ------------------------------------------------------------------ patients


@router.get("/staff/patients", response_class=HTMLResponse, include_in_schema=False)
def read_patients(
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    now: Now,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """List the clinic's patients, most urgent first, 50 a page, with a search box."""
    found = patient_list.list_page(session, kb=kb, actor=actor, now=now, q=q[:200], page=page)
    return render(
        request,
        "workspace_patients.html",
        {
            # screening, exam and open alerts together: counts, urgency and order
            "patients": found.patients,
            "listing": found,
            "pages": page_links(found.page, found.pages),
            "q": found.q,
            "labels": staff_service.URGENCY_LABELS,
            "outcome_alerts": found.outcome_alerts,
            "questionnaires_due": found.questionnaires_due,
        },
    )


@router.get("/staff/patients/running-load", response_class=HTMLResponse, include_in_schema=False)
def read_running_load(
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    now: Now,
    ids: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """The patient list's running-load cells for the listed patients (an htmx fragment)."""
    wanted, flags = patient_list.running_load(session, kb=kb, actor=actor, now=now, ids=ids)
    return render(request, "workspace_running_load.html", {"ids": wanted, "load_flags": flags})


def page_links(page: int, pages: int, *, around: int = 2) -> list[int | None]:
    """The page numbers to link: the first, the last and a few around this one (None is a
    gap shown as an ellipsis)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def _patient_page(
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: Any,
    patient_id: int,
    *,
    now: datetime,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    record = workspace_service.patient_record(session, kb=kb, actor=actor, patient_id=patient_id)
    # care plan block (plans/staff_pages.py)
    care = care_summary(session, kb=kb, actor=actor, patient_id=patient_id)
    running = running_summary(session, kb=kb, actor=actor, patient_id=patient_id)
    outcomes = score_results.outcomes_card(session, kb=kb, actor=actor, patient_id=patient_id)
    header = patient_header(session, kb=kb, actor=actor, patient_id=patient_id, now=now)
    return render(
        request,
        "workspace_patient.html",
        {
            "care": care,
            "running": running,
            "outcomes": outcomes,
            "record": record,
            "header": header,
            # the newest ranking first, each with its probability; the rest alphabetically
            "conditions": workspace_service.diagnosis_options(kb, record.screenings),
            "labels": staff_service.URGENCY_LABELS,
            "top": staff_service.TOP_CONDITIONS,
            "chance": chance_to_show,  # the answers' own share, not a red flag's placing
            "findings": kb.findings,
            "answer_text": lambda fid, v: exam_layout.answer_text(kb, fid, v),
            # the exam item or rule in words, never the knowledge base's id
            "finding_label": lambda fid: exam_layout.finding_label(kb, fid),
            "condition_name": lambda cid: (
                kb.conditions[cid].name if cid in kb.conditions else cid.replace("_", " ")
            ),
            "errors": errors or [],
            "saved": request.query_params.get("saved") == "diagnosis",
        },
        status,
    )


@router.get("/staff/patients/{patient_id}", response_class=HTMLResponse, include_in_schema=False)
def read_patient(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    now: Now,
) -> Response:
    """Show a patient's record: details, appointments, screenings and working diagnosis."""
    kept = erasure.kept_record(session, actor=actor, patient_id=patient_id)
    if kept is not None:  # a deleted account: only the notes the clinic must keep
        notes = visit_notes.list_notes(session, kb=kb, actor=actor, patient_id=patient_id)
        return render(request, "workspace_deleted_patient.html", {"kept": kept, "notes": notes})
    return _patient_page(request, session, kb, actor, patient_id, now=now)


class DiagnosisForm(FormModel):
    """The working diagnosis box on a patient's record ("" condition clears it)."""

    condition: str = Field("", max_length=80)
    # The search box (a datalist of names): when filled it is used instead of the list, so a
    # clinician can type part of a name with or without JavaScript.
    condition_search: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)

    def chosen(self, kb: Knowledge) -> str:
        """The condition id to save: the searched name when one was typed, else the list's."""
        typed = self.condition_search.strip().lower()
        if not typed:
            return self.condition
        for condition in kb.conditions.values():
            if typed in (condition.name.lower(), condition.id.lower()):
                return str(condition.id)
        raise UnknownCondition(self.condition_search.strip())


class UnknownCondition(AccountError):
    """A searched condition name that matches none in the knowledge base."""

    def __init__(self, typed: str) -> None:
        super().__init__(f'No condition is called "{typed}"; pick one from the list.')


@router.post(
    "/staff/patients/{patient_id}/diagnosis", response_class=HTMLResponse, include_in_schema=False
)
def update_diagnosis(
    patient_id: RowId,
    request: Request,
    session: DbSession,
    kb: Kb,
    actor: CurrentClinician,
    now: Now,
    form: Annotated[DiagnosisForm, Form()],
) -> Response:
    """Record or clear the working diagnosis."""
    try:
        staff_service.set_working_diagnosis(
            session,
            kb=kb,
            actor=actor,
            patient_id=patient_id,
            condition=form.chosen(kb),
            note=form.note,
        )
    except AccountError as exc:
        return _patient_page(
            request, session, kb, actor, patient_id, now=now, errors=[str(exc)], status=400
        )
    return RedirectResponse(
        f"/staff/patients/{patient_id}?saved=diagnosis#diagnosis", status_code=303
    )


# ------------------------------------------------------------------ clinic admin


BOOKING_NUMBERS = ("cancel_notice_hours", "min_booking_notice_hours", "booking_horizon_days")


class ClinicSettingsForm(FormModel):
    """The clinic settings form; the numbers stay text so a mistyped one is shown again."""

    name: str = Field("", max_length=300)
    timezone: str = Field("", max_length=80)
    cancel_notice_hours: str = Field("", max_length=20)
    min_booking_notice_hours: str = Field("", max_length=20)
    booking_horizon_days: str = Field("", max_length=20)
    followup_interval_days: str = Field("", max_length=20)
    preferred_instrument: str = Field("", max_length=20)

    def problems(self) -> list[str]:
        """The number fields that are not whole numbers, as the page words them.

        The follow-up interval may be left empty (an older form): it then stays as it is.
        """
        keys = [*BOOKING_NUMBERS]
        if self.followup_interval_days.strip():
            keys.append("followup_interval_days")
        return [
            whole_number_problem(key, getattr(self, key))
            for key in keys
            if parse_whole_number(getattr(self, key)) is None
        ]

    def numbers(self, *, unreadable: int = 0) -> dict[str, int]:
        """The booking policy numbers; `unreadable` stands in for one that is not a number."""
        parsed = {key: parse_whole_number(getattr(self, key)) for key in BOOKING_NUMBERS}
        return {key: unreadable if value is None else value for key, value in parsed.items()}

    def followup_interval(self) -> int | None:
        """The follow-up interval in days; None when left empty (or not a number)."""
        return parse_whole_number(self.followup_interval_days)

    def instrument(self) -> str | None:
        """The preferred questionnaire; None when left empty (it stays as it is)."""
        return self.preferred_instrument.strip() or None


def _admin_page(
    request: Request,
    clinic: Any,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    values = form or {
        "name": clinic.name,
        "timezone": clinic.timezone,
        "cancel_notice_hours": clinic.cancel_notice_hours,
        "min_booking_notice_hours": clinic.min_booking_notice_hours,
        "booking_horizon_days": clinic.booking_horizon_days,
        "followup_interval_days": clinic.followup_interval_days,
        "preferred_instrument": clinic.preferred_instrument,
    }
    return render(
        request,
        "accounts_admin.html",
        {
            "values": values,
            "errors": errors or [],
            "timezones": sorted(available_timezones()),
            "saved": request.query_params.get("saved") == "1",
        },
        status,
    )


@router.get("/staff/admin", response_class=HTMLResponse, include_in_schema=False)
def read_clinic_settings(request: Request, session: DbSession, actor: CurrentAdmin) -> Response:
    """Show the clinic's settings form."""
    clinic = accounts_service.read_clinic(session, actor=actor)
    return _admin_page(request, clinic)


@router.post("/staff/admin", response_class=HTMLResponse, include_in_schema=False)
def update_clinic_settings(
    request: Request,
    session: DbSession,
    actor: CurrentAdmin,
    form: Annotated[ClinicSettingsForm, Form()],
) -> Response:
    """Save the clinic's name, time zone, booking policy and follow-up schedule."""
    problems = form.problems()
    interval = form.followup_interval()
    instrument = form.instrument()
    try:
        with reading(session):  # the read ends before the page renders or the update begins
            clinic = accounts_service.admin_clinic(session, actor=actor)
            if problems:
                # Report the other fields too; a field that is not a number was reported above
                # and is checked here as a number in range.
                in_range = form.numbers(unreadable=1)
                if interval is not None:
                    in_range["followup_interval_days"] = interval
                problems += accounts_service.clinic_settings_problems(
                    name=form.name,
                    timezone=form.timezone.strip(),
                    preferred_instrument=instrument or clinic.preferred_instrument,
                    **in_range,
                )
                raise InvalidSettings(problems)
        accounts_service.update_clinic(
            session,
            actor=actor,
            name=form.name,
            timezone=form.timezone,
            followup_interval_days=interval,
            preferred_instrument=instrument,
            **form.numbers(),
        )
    except InvalidSettings as exc:
        return _admin_page(request, clinic, form.model_dump(), exc.problems, 400)
    # The nav bar's cached name: set it to the new one rather than clearing it, so the next
    # page need not read it in a second session while its own transaction is open (SQLite).
    request.app.state.clinic_name = form.name.strip()
    return RedirectResponse("/staff/admin?saved=1", status_code=303)


def _clinicians_page(
    request: Request,
    session: DbSession,
    actor: Any,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    staff = accounts_service.list_staff(session, actor=actor)
    return render(
        request,
        "accounts_clinicians.html",
        {
            "staff": staff,
            "me": actor.user_id,
            "form": form or {"display_name": "", "email": "", "profession": "", "role": ""},
            "errors": errors or [],
            "professions": accounts_service.PROFESSIONS,
            "message": request.query_params.get("done", ""),
        },
        status,
    )


@router.get("/staff/admin/clinicians", response_class=HTMLResponse, include_in_schema=False)
def read_clinicians(request: Request, session: DbSession, actor: CurrentAdmin) -> Response:
    """List the clinic's clinicians, with a form to add one."""
    return _clinicians_page(request, session, actor)


class ClinicianForm(FormModel):
    """The form that adds a clinician or administrator: invited by e-mail, or (the password
    field filled) with a temporary password."""

    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    profession: str = Field("", max_length=40)
    role: str = Field("", max_length=16)
    password: str = Field("", max_length=256)


@router.post("/staff/admin/clinicians", response_class=HTMLResponse, include_in_schema=False)
def create_clinician(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    actor: CurrentAdmin,
    form: Annotated[ClinicianForm, Form()],
) -> Response:
    """Add a clinician or administrator: e-mail them an invitation to choose their password,
    or give a temporary one."""
    try:
        invitations.add_clinician(
            session,
            actor=actor,
            display_name=form.display_name,
            email=form.email,
            profession=form.profession,
            role=form.role,
            password=form.password or None,
            base_url=settings.base_url,
        )
    except AccountError as exc:
        problems = exc.problems if isinstance(exc, InvalidSettings) else [str(exc)]
        typed = form.model_dump(exclude={"password"})  # shown again, never the password
        return _clinicians_page(request, session, actor, form=typed, errors=problems, status=400)
    done = "added" if form.password else "invited"
    return RedirectResponse(f"/staff/admin/clinicians?done={done}", status_code=303)


def _set_active(
    request: Request, session: DbSession, actor: Any, user_id: int, *, active: bool
) -> Response:
    try:
        accounts_service.set_staff_active(session, actor=actor, user_id=user_id, active=active)
    except AccountError as exc:
        return _clinicians_page(request, session, actor, errors=[str(exc)], status=400)
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/staff/admin/clinicians?done={done}", status_code=303)


@router.post(
    "/staff/admin/clinicians/{user_id}/deactivate",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def deactivate_clinician(
    user_id: RowId, request: Request, session: DbSession, actor: CurrentAdmin
) -> Response:
    """Deactivate a clinician: they can no longer log in."""
    return _set_active(request, session, actor, user_id, active=False)


@router.post(
    "/staff/admin/clinicians/{user_id}/activate",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def activate_clinician(
    user_id: RowId, request: Request, session: DbSession, actor: CurrentAdmin
) -> Response:
    """Let a deactivated clinician log in again."""
    return _set_active(request, session, actor, user_id, active=True)
