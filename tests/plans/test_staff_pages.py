"""The clinician's plan pages through the app, as a browser without JavaScript uses them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.demo import ADMIN, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlan, CarePlanVersion
from popliteal.screening.models import Screening
from popliteal.sessions.models import SessionLog
from tests.accounts.factories import PASSWORD
from tests.conftest import login
from tests.running.factories import demo_records, other_clinic


class _FormFields(HTMLParser):
    """The fields a browser would send from one form: checked boxes, selected options."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields.append((a.get("name", ""), ""))

    def handle_data(self, data: str) -> None:
        if self.textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def plan_form(page: str) -> dict[str, list[str]]:
    """The builder form's fields as posted (a name may repeat: equipment, treatments)."""
    parser = _FormFields("plan-form")
    parser.feed(page)
    assert parser.fields, "no plan form on the page"
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def rows(form: dict[str, list[str]]) -> list[str]:
    """The exercise ids of the form's rows, in order."""
    numbered = sorted(
        (int(m.group(1)), v[0]) for k, v in form.items() if (m := re.match(r"ex-(\d+)-id$", k))
    )
    return [eid for _, eid in numbered]


def press(client: Any, url: str, form: dict[str, list[str]], action: str, **extra: Any) -> Any:
    return client.post(url, data={**form, "action": action, **extra})


def plan_counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    found = (
        db.scalar(select(func.count()).select_from(CarePlan)) or 0,
        db.scalar(select(func.count()).select_from(CarePlanVersion)) or 0,
    )
    db.rollback()
    return found


def build_url(patient_id: int) -> str:
    return f"/staff/patients/{patient_id}/plan/build"


def test_builder_opens_with_the_draft_and_saves_it_as_is_in_one_click(
    app: Any, client: Any, db: Session
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(build_url(patient_id))
    assert page.status_code == 200
    assert "the top condition of the newest screening" in page.text
    assert "decision support, not a diagnosis" in page.text
    form = plan_form(page.text)
    drafted = rows(form)
    assert len(drafted) >= 3
    assert form["condition"] == ["running_overload"]
    assert f'src="/exercises/{drafted[0]}.svg"' in page.text  # thumbnails
    assert plan_counts(db) == (0, 0)  # opening the builder stores nothing

    saved = press(client, build_url(patient_id), form, "save")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/staff/patients/{patient_id}/plan?saved=1"
    shown = client.get(saved.headers["location"])
    assert "Version 1 saved and assigned" in shown.text
    assert "First plan" in shown.text

    with TestClient(app, follow_redirects=False) as person:
        login(person, PATIENT.email, PATIENT.password)
        mine = person.get("/api/me/plan").json()
    assert mine["number"] == 1
    assert [e["id"] for e in mine["exercises"]] == drafted
    assert mine["condition"] == "running_overload"


def test_up_down_remove_and_add_change_the_form_and_store_nothing(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    form = plan_form(client.get(url).text)
    first = rows(form)

    up = press(client, url, form, "up:2")
    assert up.status_code == 200
    moved = rows(plan_form(up.text))
    assert moved == [first[0], first[2], first[1], *first[3:]]
    assert "up to number 2." in up.text

    down = press(client, url, plan_form(up.text), "down:0")
    assert rows(plan_form(down.text))[:2] == [moved[1], moved[0]]

    removed = press(client, url, plan_form(down.text), "remove:1")
    after_remove = rows(plan_form(removed.text))
    assert len(after_remove) == len(first) - 1
    assert moved[0] not in after_remove
    assert "Removed " in removed.text

    added = press(client, url, plan_form(removed.text), "add", add_exercise="quad_set")
    assert added.status_code == 200
    assert rows(plan_form(added.text))[-1] == "quad_set"
    assert f"Added {kb.exercises['quad_set'].name} as number {len(first)}" in added.text

    # With JavaScript, htmx posts the same form and swaps the form it gets back.
    swapped = client.post(
        url, data={**plan_form(added.text), "action": "up:1"}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert 'id="plan-form"' in swapped.text
    assert plan_counts(db) == (0, 0)


def test_a_changed_dose_and_typos_come_back_on_the_form(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    form = plan_form(client.get(url).text)
    counted = next(i for i, _ in enumerate(rows(form)) if form[f"ex-{i}-sets"] != [""])
    form[f"ex-{counted}-sets"] = ["many"]
    refused = press(client, url, form, "save")
    assert refused.status_code == 400
    assert "Nothing was saved" in refused.text
    assert "sets: enter a whole number from 1 to 10" in refused.text
    assert 'value="many"' in refused.text  # what was typed comes back
    assert plan_counts(db) == (0, 0)

    form[f"ex-{counted}-sets"] = ["2"]
    assert press(client, url, form, "save").status_code == 303
    db.expire_all()
    version = db.scalar(select(CarePlanVersion))
    assert version is not None
    assert version.exercises[counted]["sets"] == 2
    db.rollback()


def test_a_contraindicated_exercise_is_refused_with_its_reason(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    drafted = client.post(
        url,
        data={
            "csrf_token": plan_form(client.get(url).text)["csrf_token"],
            "action": "redraft",
            "condition": "pcl_injury",
            "phase": "protect",
            "goal": "everyday_life",
        },
    )
    assert drafted.status_code == 200
    form = plan_form(drafted.text)
    assert (form["condition"], form["phase"]) == (["pcl_injury"], ["protect"])
    assert re.search(r'<option value="hamstring_curl_band" disabled>', drafted.text)

    refused = press(client, url, form, "add", add_exercise="hamstring_curl_band")
    assert refused.status_code == 400
    reason = next(
        c.reason
        for c in kb.exercises["hamstring_curl_band"].contraindications
        if c.condition == "pcl_injury"
    )
    assert "was not added: it is not allowed for" in refused.text
    assert reason.split(";")[0] in refused.text
    assert "hamstring_curl_band" not in rows(plan_form(refused.text))

    # Slipped into the form by hand, the save refuses it too.
    forced = {**form, "ex-40-id": ["hamstring_curl_band"], "ex-40-sets": ["2"]}
    forced |= {"ex-40-reps": ["10"], "ex-40-per_week": ["3"]}
    saved = press(client, url, forced, "save")
    assert saved.status_code == 400
    assert "is not allowed for" in saved.text
    assert plan_counts(db) == (0, 0)


def test_saving_again_makes_version_2_and_the_history_lists_both(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    assert press(client, url, plan_form(client.get(url).text), "save").status_code == 303

    again = client.get(url)
    assert "Starting from the current plan: version 1" in again.text
    form = plan_form(again.text)
    assert form["base_version"] == ["1"]
    first = rows(form)
    form = plan_form(press(client, url, form, "remove:0").text)
    assert "Saving makes version 2." in client.post(url, data={**form, "action": "refresh"}).text
    # With JavaScript, htmx gets the address to go to in a header.
    saved = client.post(url, data={**form, "action": "save"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert saved.headers["HX-Redirect"] == f"/staff/patients/{patient_id}/plan?saved=2"

    page = client.get(f"/staff/patients/{patient_id}/plan")
    assert f'href="/staff/patients/{patient_id}/plan/versions/1"' in page.text
    assert f'href="/staff/patients/{patient_id}/plan/versions/2"' in page.text
    assert "Removed " in page.text  # the automatic "what changed"
    old = client.get(f"/staff/patients/{patient_id}/plan/versions/1")
    assert old.status_code == 200
    assert "This is an earlier version" in old.text
    db.expire_all()
    latest = db.scalar(select(CarePlanVersion).where(CarePlanVersion.number == 2))
    assert latest is not None
    assert [e["id"] for e in latest.exercises] == first[1:]
    assert latest.change_summary.startswith("Removed ")
    db.rollback()
    assert client.get(f"/staff/patients/{patient_id}/plan/versions/3").status_code == 404


def test_referral_only_condition_shows_the_referral_and_no_builder(
    client: Any, db: Session
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(f"/staff/patients/{patient_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    client.post(
        f"/staff/patients/{patient_id}/diagnosis",
        data={"csrf_token": token.group(1), "condition": "dvt", "note": ""},
    )
    builder = client.get(build_url(patient_id))
    assert builder.status_code == 200
    assert "Refer now: no exercise plan" in builder.text
    assert "needs emergency medical care" in builder.text
    assert 'id="plan-form"' not in builder.text
    assert "the working diagnosis" in builder.text


def test_patient_page_shows_the_care_plan_block(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    before = client.get(f"/staff/patients/{patient_id}")
    assert "No care plan yet." in before.text
    assert f'href="/staff/patients/{patient_id}/plan/build">Build plan' in before.text
    url = build_url(patient_id)
    press(client, url, plan_form(client.get(url).text), "save")
    after = client.get(f"/staff/patients/{patient_id}")
    block = after.text.split('id="care-plan"')[1].split("end care plan block")[0]
    assert "Running overload" in block or "running" in block.lower()
    assert "Protect" in block
    assert "None logged yet" in block
    assert f'href="/staff/patients/{patient_id}/plan">Open plan' in block
    assert f'href="/staff/patients/{patient_id}/notes">Visit notes' in block


def test_approving_a_suggestion_makes_a_new_version(client: Any, db: Session) -> None:
    records = demo_records(db)
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(records.patient_id)
    assert press(client, url, plan_form(client.get(url).text), "save").status_code == 303
    db.expire_all()
    version = db.scalar(select(CarePlanVersion))
    assert version is not None
    target = next(e for e in version.exercises if e.get("sets"))
    for hurt in (True, False, False):
        db.add(
            SessionLog(
                clinic_id=records.clinic_id,
                patient_id=records.patient_id,
                plan_version_id=version.id,
                local_date=version.starts_on,
                status="done",
                pain_before=2,
                pain_after=7,
                entries=[
                    {
                        "id": target["id"],
                        "name": target["name"],
                        "sets_prescribed": target["sets"],
                        "sets_done": target["sets"],
                        "hurt": hurt,
                    }
                ],
            )
        )
    db.commit()
    page = client.get(f"/staff/patients/{records.patient_id}/plan")
    assert "Progression suggestions" in page.text
    assert "Regress" in page.text
    assert f'name="exercise" value="{target["id"]}"' in page.text
    assert "this hurt" in page.text.lower()  # the session log's hurt flag
    assert f"{target['sets']} of {target['sets']}" in page.text  # sets done

    token = plan_token(page.text)
    nothing = client.post(
        f"/staff/patients/{records.patient_id}/plan/approve",
        data={"csrf_token": token, "action": "exercises"},
    )
    assert nothing.status_code == 400
    assert "choose at least one suggestion" in nothing.text.lower()
    approved = client.post(
        f"/staff/patients/{records.patient_id}/plan/approve",
        data={"csrf_token": token, "action": "exercises", "exercise": [target["id"]]},
    )
    assert approved.status_code == 303
    assert approved.headers["location"].endswith("?saved=2")
    shown = client.get(approved.headers["location"])
    assert "Version 2 saved and assigned" in shown.text
    assert "Approved suggestions" in shown.text


def plan_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_another_clinics_clinician_gets_404_everywhere(
    app: Any, client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    form = plan_form(client.get(url).text)
    press(client, url, form, "save")
    _, other_email = other_clinic(db, kb)
    before = plan_counts(db)
    with TestClient(app, follow_redirects=False) as stranger:
        login(stranger, other_email, PASSWORD)
        token = plan_token(stranger.get("/staff/patients").text)
        for path in (url, f"/staff/patients/{patient_id}/plan", f"{url[:-6]}/versions/1"):
            assert stranger.get(path).status_code == 404, path
        posted = {**form, "csrf_token": [token], "action": ["save"]}
        assert stranger.post(url, data=posted).status_code == 404
        approve = {"csrf_token": token, "action": "phase"}
        assert stranger.post(f"{url[:-6]}/approve", data=approve).status_code == 404
    assert plan_counts(db) == before


def test_the_person_and_visitors_cannot_open_the_builder(client: Any, db: Session) -> None:
    patient_id = demo_records(db).patient_id
    anonymous = client.get(build_url(patient_id))
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    login(client, PATIENT.email, PATIENT.password)
    assert client.get(build_url(patient_id)).status_code == 403
    assert client.get(f"/staff/patients/{patient_id}/plan").status_code == 403


def test_no_pain_score_asks_for_one_and_a_known_score_sets_the_phase(
    client: Any, db: Session
) -> None:
    records = demo_records(db)
    login(client, ADMIN.email, ADMIN.password)
    page = client.get(build_url(records.patient_id))
    assert "No pain score yet" in page.text  # the demo screening has no pain score
    assert plan_form(page.text)["phase"] == ["protect"]
    assert re.search(r'<details class="card plan-options"\s+open>', page.text)

    screening = db.get(Screening, records.screening_id)
    assert screening is not None
    screening.answers = {**screening.answers, "pain_now": 2}
    db.commit()
    page = client.get(build_url(records.patient_id))
    assert "No pain score yet" not in page.text
    assert plan_form(page.text)["phase"] != ["protect"]  # pain 2 starts further on
    assert plan_form(page.text)["pain"] == ["2"]


def test_an_automatic_swap_is_not_shown_as_the_clinicians_words(
    app: Any, client: Any, db: Session
) -> None:
    patient_id = demo_records(db).patient_id
    login(client, ADMIN.email, ADMIN.password)
    url = build_url(patient_id)
    drafted = client.post(
        url,
        data={
            "csrf_token": plan_form(client.get(url).text)["csrf_token"],
            "action": "redraft",
            "condition": "pcl_injury",
            "pain": "0",
            "goal": "everyday_life",
        },
    )
    assert "needs leg press" in drafted.text
    assert "Swapped in automatically for Leg press machine" in drafted.text
    saved = press(client, url, plan_form(drafted.text), "save")
    assert saved.status_code == 303

    with TestClient(app, follow_redirects=False) as person:
        login(person, PATIENT.email, PATIENT.password)
        mine = person.get("/my/plan").text
    assert "Swapped in for Leg press machine, which needs equipment you do not have." in mine
    assert "From your clinician: In place of" not in mine
