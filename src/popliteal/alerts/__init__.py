"""Alerts: what a clinician of the clinic must look at (red flags raised during care, review
flags, suggested surgical consults), opened at most once per person, kind and rule, and
resolved with a note.

Below sessions, so a guided session and a check-in open their red flags here; outcomes opens
its review flags through the same opener. Reads accounts, screening and knowledge only.
"""
