"""What every exported FHIR document must satisfy, checked the same way in every test: each
resource parses through its own R4B model, every reference inside the bundle names an entry,
and the code values fhir.resources does not check are from their R4 value sets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

STATUS = {
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled"},
    "CarePlan": {"draft", "active", "on-hold", "revoked", "completed", "unknown"},
    "Appointment": {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "checked-in",
        "waitlist",
    },
    "Procedure": {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "unknown",
    },
    "RiskAssessment": {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "unknown",
    },
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "stopped"},
    "Questionnaire": {"draft", "active", "retired", "unknown"},
}
ACTIVITY_STATUS = {
    "not-started",
    "scheduled",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
    "stopped",
    "unknown",
}
ACTIVITY_KIND = {
    "Appointment",
    "CommunicationRequest",
    "DeviceRequest",
    "MedicationRequest",
    "NutritionOrder",
    "Task",
    "ServiceRequest",
    "VisionPrescription",
}
CLINICAL = {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
VERIFICATION = {"unconfirmed", "provisional", "differential", "confirmed", "refuted"}
TELECOM_SYSTEM = {"phone", "fax", "email", "pager", "url", "sms", "other"}
TELECOM_USE = {"home", "work", "temp", "old", "mobile"}
PARTICIPANT_STATUS = {"accepted", "declined", "tentative", "needs-action"}


def references(node: Any) -> Iterator[str]:
    """Every `reference` string anywhere in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def code_problems(resource: dict[str, Any]) -> list[str]:
    kind = resource["resourceType"]
    problems = []
    if kind in STATUS and resource.get("status") not in STATUS[kind]:
        problems.append(f"{kind}.status {resource.get('status')!r}")
    for t in resource.get("telecom", []):
        if t.get("system") not in TELECOM_SYSTEM or t.get("use", "home") not in TELECOM_USE:
            problems.append(f"{kind}.telecom {t}")
    if kind == "CarePlan":
        if resource.get("intent") not in {"proposal", "plan", "order", "option"}:
            problems.append(f"CarePlan.intent {resource.get('intent')!r}")
        for a in resource.get("activity", []):
            if a["detail"]["status"] not in ACTIVITY_STATUS:
                problems.append(f"CarePlan activity status {a['detail']['status']!r}")
            if a["detail"]["kind"] not in ACTIVITY_KIND:
                problems.append(f"CarePlan activity kind {a['detail']['kind']!r}")
    if kind == "Condition":
        if resource["clinicalStatus"]["coding"][0]["code"] not in CLINICAL:
            problems.append("Condition.clinicalStatus")
        if resource["verificationStatus"]["coding"][0]["code"] not in VERIFICATION:
            problems.append("Condition.verificationStatus")
    if kind == "Appointment":
        for p in resource["participant"]:
            if p["status"] not in PARTICIPANT_STATUS:
                problems.append(f"Appointment participant status {p['status']!r}")
    return problems


def check_bundle(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Assert the bundle is valid R4B throughout and self-contained; its resources by type."""
    text = json.dumps(bundle)
    assert Bundle.model_validate_json(text).type == "collection"
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls)), "two entries share a fullUrl"
    dangling = sorted(set(references(bundle)) - set(full_urls))
    assert not dangling, f"references that resolve to no entry: {dangling[:5]}"
    by_type: dict[str, list[dict[str, Any]]] = {}
    problems = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate_json(json.dumps(resource))  # each through its own model
        problems += code_problems(resource)
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert not problems, problems[:10]
    return by_type
