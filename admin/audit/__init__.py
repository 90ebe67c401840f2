"""Protokoll: the audit log page and the history of an entry in words."""
