"""codes.yaml: the clinical codes the FHIR export puts on conditions and measures.

A code is exported only when it was read in a source during the work (`figure: found`); a
`recalled` code stays in the table, for a reviewer to check, and the export leaves that
concept as text only. A wrong code in another system's record is worse than none.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from popliteal.knowledge.schema.common import Cited, Id, Text, _Strict


class Code(Cited):
    code: str = Field(pattern=r"^[A-Za-z0-9.\-]{1,20}$")
    display: Text
    figure: Literal["found", "recalled"]


class ConditionCodes(_Strict):
    condition: Id
    snomed: Code | None = None
    icd10cm: Code | None = None


class MeasureCodes(_Strict):
    """An observation the export writes (pain, an outcome score): its LOINC code when known."""

    id: Id
    text: Text
    loinc: Code | None = None


class CodesFile(_Strict):
    conditions: list[ConditionCodes]
    measures: list[MeasureCodes]
