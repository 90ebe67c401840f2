"""Themen und Teams: the lists the officer classifies with."""
