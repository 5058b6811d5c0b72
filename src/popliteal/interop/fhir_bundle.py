"""Bundles of type `collection`: one patient's episode, or every patient of a clinic, with the
clinic (Organization) and the clinicians they name (Practitioner) once each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from popliteal.interop.fhir_base import Ids, instant, validated
from popliteal.interop.fhir_resources import episode_resources, organization, practitioner
from popliteal.interop.records import Episode, OrgRec
from popliteal.knowledge.loader import Knowledge


def collection(
    kb: Knowledge, org: OrgRec, episodes: Iterable[Episode], *, now: datetime, scope: str
) -> dict[str, Any]:
    """A validated Bundle (collection) of the episodes; `scope` names what it holds (for its
    identifier: 'patient-3', 'clinic')."""
    ids = Ids(org.slug)
    resources = [organization(ids, org)]
    staff_seen: set[int] = set()
    body: list[dict[str, Any]] = []
    for ep in episodes:
        for sid, staff in sorted(ep.staff.items()):
            if sid not in staff_seen:
                staff_seen.add(sid)
                resources.append(practitioner(ids, staff))
        body += episode_resources(kb, ep, now)
    resources += body
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in _unique(resources)]
    envelope = {
        "resourceType": "Bundle",
        "id": ids.id("Bundle", f"{scope}-{now.isoformat()}"),
        "identifier": {"system": "urn:popliteal:export", "value": f"{org.slug}/{scope}"},
        "type": "collection",
        "timestamp": instant(now),
    }
    # Each resource was validated by its own model as it was made: the envelope is checked
    # with the entries' full URLs alone, not a second time through every resource.
    validated(Bundle, {**envelope, "entry": [{"fullUrl": e["fullUrl"]} for e in entries]})
    return {**envelope, "entry": entries}


def _unique(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for r in resources:
        if r["id"] not in seen:
            seen.add(r["id"])
            out.append(r)
    return out
