"""treatments.yaml and seeds.yaml: treatments, services and surgery indications, and every
claim of the seed pages with the knowledge ids that cover it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from popliteal.knowledge.schema.common import Cited, Id, Text, _Strict


class Treatment(Cited):
    id: Id
    name: Text
    patient_description: Text
    clinician_description: Text
    delivered_by: list[Literal["physical_therapist", "chiropractor", "self"]] = Field(min_length=1)
    modes: list[Literal["in_clinic", "virtual", "at_home"]] = Field(min_length=1)


class SurgeryIndication(Cited):
    id: Id
    name: Text
    conditions: list[Id] = Field(min_length=1)
    red_flags: list[Id] = Field(min_length=1)


class TreatmentsFile(_Strict):
    treatments: list[Treatment]
    surgery_indications: list[SurgeryIndication]


# ---------------------------------------------------------------- seeds.yaml


class Seed(_Strict):
    id: Id
    file: Text
    title: Text


class SeedItem(_Strict):
    kind: Literal["cause", "treatment", "surgery_indication", "aggravating_factor", "service"]
    seed: Id
    quote: Text
    covers: dict[
        Literal["condition", "finding", "treatment", "surgery_indication", "red_flag", "advice"],
        list[Id],
    ]


class SeedsFile(_Strict):
    seeds: list[Seed]
    items: list[SeedItem]
