"""Helpers shared by the loader: value coercion and environment variable names."""

from __future__ import annotations

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def parse_bool(value: str) -> bool:
    """Interpret a configuration value as a boolean."""
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def split_list(value: str, sep: str = ",") -> list[str]:
    """Split a comma-separated value, dropping empty items."""
    return [item.strip() for item in value.split(sep) if item.strip()]


def env_key(prefix: str, name: str) -> str:
    """Name of the environment variable that overrides `name`."""
    return prefix + name.upper()
