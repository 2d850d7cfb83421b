"""Errors the command line turns into one line and exit status 2 (kept free of heavy imports)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration file or override that cannot be used, with where and why."""
