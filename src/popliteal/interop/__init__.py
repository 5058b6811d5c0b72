"""Exchange with other systems: FHIR R4 (R4B models) export of a patient's or a clinic's
record, the screening as a FHIR Questionnaire, and import of a QuestionnaireResponse to it.

Above every clinical area (it reads them all) and below workspace, so the person's "My data"
download there can include the FHIR bundle. Pure mapping in `records.py`, `fhir_resources.py`,
`fhir_observations.py` and `questionnaire.py`; database loading and access in `service.py`.
"""
