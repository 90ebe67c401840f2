"""Berichte: the figures of the annual report, the dashboard, charts and the XLSX."""
