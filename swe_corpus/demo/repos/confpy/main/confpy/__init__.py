"""confpy: small INI-style configuration files with environment overrides."""

from .loader import Config, ConfigError, load

__all__ = ["Config", "ConfigError", "load"]
__version__ = "0.4.1"
