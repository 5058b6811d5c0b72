"""The top floor: a patient's whole episode of care, over every area.

The clinician's patient list and patient record with its cards (care, running, outcomes,
alerts) and the exam API; the person's Today, session finish and progress pages, which show
outcomes beside the programme; and `flows.py`, the steps in one area that set off another. No
area imports this one (import-linter checks it).
"""
