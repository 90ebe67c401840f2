"""Löschfristen und Datenschutz: the purge after the retention period; re-masking texts."""
