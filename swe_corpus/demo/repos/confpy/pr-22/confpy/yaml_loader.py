"""Load YAML files into a Config."""

import yaml

from .loader import Config


def load_yaml(path):
    with open(path) as fh:
        return Config({k: str(v) for k, v in yaml.safe_load(fh).items()})
