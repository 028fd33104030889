"""Reading YAML: every YAML file of the project (configs, schemas, the language table) is read here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

#: libyaml's safe loader when PyYAML was built with it (several times faster than the pure-Python
#: one: the config and its schema are read at every Snakemake start), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load_yaml(stream) -> Any:
    """``yaml.safe_load`` with the fastest safe loader available; every YAML file is read with it."""
    return yaml.load(stream, Loader=_YAML_LOADER)


def load_yaml(path: str | Path) -> Any:
    """The contents of the YAML file ``path``; a missing or malformed file is a :class:`ConfigError`."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return safe_load_yaml(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
