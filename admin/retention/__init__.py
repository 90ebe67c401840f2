"""Löschfristen: the purge of texts and contact data after the retention period."""
