"""What every FHIR mapping shares: stable ids, references, codings from the knowledge base's
code table, and validation of each resource through its R4B model.

Ids are UUIDs derived from the clinic and the row (uuid5), so an export made twice names each
resource the same, and references are the `urn:uuid:` full URLs of the bundle's entries.
fhir.resources checks structure and types, not code values, so the codes written here come
from the small fixed sets below (checked by the tests).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.resource import Resource

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Code

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
# Our own names: URNs, so no host is implied.
IDENTIFIER_SYSTEM = "urn:popliteal:id"
SCREENING_QUESTIONNAIRE = "urn:popliteal:questionnaire:screening"
CHOICE_SYSTEM = "urn:popliteal:answer"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:popliteal")


@dataclass(frozen=True)
class Ids:
    """Stable ids for one clinic's resources."""

    clinic_slug: str

    def id(self, kind: str, key: object) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.clinic_slug}/{kind}/{key}"))

    def url(self, kind: str, key: object) -> str:
        return f"urn:uuid:{self.id(kind, key)}"

    def ref(self, kind: str, key: object, display: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"reference": self.url(kind, key)}
        if display:
            out["display"] = display
        return out


def validated(model: type[Resource], data: dict[str, Any]) -> dict[str, Any]:
    """The resource, checked by its R4B model (pydantic's ValidationError when it is not valid
    R4B). The data is returned as given, already JSON-ready: the model's own serialiser costs
    twice the check and would return the same document."""
    model.model_validate(data)
    return data


def instant(at: datetime) -> str:
    """A dateTime with its zone (the database's UTC)."""
    return at.isoformat()


def day(on: date) -> str:
    return on.isoformat()


def coding(system: str, code: Code) -> dict[str, str]:
    return {"system": system, "code": code.code, "display": code.display}


def condition_concept(kb: Knowledge, condition_id: str) -> dict[str, Any]:
    """A condition as a CodeableConcept: its name as text, with SNOMED CT and ICD-10-CM codes
    only where the code table has one read in a source (`found`)."""
    name = kb.conditions[condition_id].name if condition_id in kb.conditions else condition_id
    codings = []
    for entry in kb.codes.conditions:
        if entry.condition == condition_id:
            if entry.snomed is not None and entry.snomed.figure == "found":
                codings.append(coding(SNOMED, entry.snomed))
            if entry.icd10cm is not None and entry.icd10cm.figure == "found":
                codings.append(coding(ICD10CM, entry.icd10cm))
    return {"coding": codings, "text": name} if codings else {"text": name}


def measure_concept(kb: Knowledge, measure_id: str) -> dict[str, Any]:
    """A measure as a CodeableConcept: its text, with its LOINC code only when `found`."""
    for m in kb.codes.measures:
        if m.id == measure_id:
            if m.loinc is not None and m.loinc.figure == "found":
                return {"coding": [coding(LOINC, m.loinc)], "text": m.text}
            return {"text": m.text}
    return {"text": measure_id}


def category(system: str, code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": system, "code": code, "display": display}]}]
