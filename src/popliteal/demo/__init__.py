"""The demo clinic `make run` loads (clinic.py), the care histories its patients carry
(history.py, written in bulk by bulk.py) and the large clinic of `demo load --scale N`
(scale.py)."""

from popliteal.demo.clinic import (
    ADMIN,
    CHIRO,
    CLINIC_NAME,
    CLINIC_SLUG,
    CLINIC_TZ,
    DEMO_ANSWERS,
    PATIENT,
    DemoAccount,
    load_demo,
)

__all__ = [
    "ADMIN",
    "CHIRO",
    "CLINIC_NAME",
    "CLINIC_SLUG",
    "CLINIC_TZ",
    "DEMO_ANSWERS",
    "PATIENT",
    "DemoAccount",
    "load_demo",
]
