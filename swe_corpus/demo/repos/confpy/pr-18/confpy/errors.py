"""Exceptions raised by confpy."""


class ConfigError(ValueError):
    """Raised when a configuration file cannot be parsed."""
