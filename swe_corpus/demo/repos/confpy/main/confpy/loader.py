"""Load INI-style `key = value` files, with environment variable overrides."""

from __future__ import annotations

import os
from pathlib import Path

from ._env import env_key, parse_bool, split_list


class ConfigError(ValueError):
    """Raised when a configuration file cannot be parsed."""


class Config:
    """Parsed configuration values with typed accessors."""

    def __init__(self, values: dict[str, str]):
        self._values = dict(values)

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._values.get(key, default)

    def get_bool(self, key: str, default: bool = False) -> bool:
        if key not in self._values:
            return default
        return parse_bool(self._values[key])

    def get_int(self, key: str, default: int = 0) -> int:
        raw = self._values.get(key)
        if raw is None:
            return default
        return int(raw)

    def get_list(self, key: str, default: list[str] | None = None) -> list[str]:
        raw = self._values.get(key)
        if raw is None:
            return list(default or [])
        return split_list(raw)


def parse_lines(lines: list[str]) -> dict[str, str]:
    """Parse `key = value` lines; blank lines and `#` comments are skipped."""
    values: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"line {number}: expected 'key = value', got {raw!r}")
        key, value = line.split("=")
        values[key.strip()] = value.strip()
    return values


def load(path: str | os.PathLike, environ: dict[str, str] | None = None, prefix: str = "CONFPY_") -> Config:
    """Read `path`; a variable named `prefix + KEY` in `environ` overrides `key`."""
    environ = os.environ if environ is None else environ
    values = parse_lines(Path(path).read_text(encoding="utf-8").splitlines())
    for key in list(values):
        override = environ.get(env_key(prefix, key))
        if override is not None:
            values[key] = override
    return Config(values)
