"""Requests HTTP Library."""

__version__ = "2.31.0"
