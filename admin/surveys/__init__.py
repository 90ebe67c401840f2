"""Kundenbefragung: survey results, their import (``krm surveys``) and upload page."""
