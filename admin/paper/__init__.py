"""Papierkarten: paper cards typed in by the officer."""
