"""Dienststellen und Karten: the views over the card domain in ``cards/``."""
