"""Outcome measures: questionnaire scoring, follow-up schedule, alerts and charts."""
