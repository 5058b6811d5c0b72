"""The top floor: the clinician's workspace over a patient's whole episode of care.

The patient list, the patient record with its cards (care, running, outcomes, alerts) and the
exam API read every area below; no area imports this one (import-linter checks it).
"""
