"""Eingang: the inbox query, the entry page, triage and the Anliegen of a reaction."""
