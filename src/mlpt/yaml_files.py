"""Reading YAML: every YAML file of the project (configs, schemas, the language table) is read here.

The loader is YAML's safe loader made strict, since a config file *is* the experiment and a
silently different reading of it changes results:

* a key given twice in one mapping is an error (PyYAML would keep the last one: an ``sft:`` block
  appended at the end of a config would silently reset the whole recipe);
* anchors and aliases (``&a`` / ``*a``) are an error: nothing in the project needs them, and nested
  aliases expand exponentially (a few lines can make validation use gigabytes);
* ``.nan`` and ``.inf`` are an error: no setting of the study is meaningfully non-finite, and a NaN
  passes every ``minimum`` of a JSON schema.

Each error names the file, the line and the key.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

#: libyaml's parser when PyYAML was built with it (several times faster than the pure-Python one:
#: the config and its schema are read at every Snakemake start), else the pure-Python one.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoadError(yaml.YAMLError):
    """A YAML document that parses but is refused (duplicate key, alias, non-finite number)."""


def _where(loader, node) -> str:
    name = getattr(loader, "source_name", None) or node.start_mark.name
    prefix = f"{name}:" if name and not name.startswith("<") else ""
    return f"{prefix}{node.start_mark.line + 1}"


class StrictLoader(_BASE_LOADER):
    """The safe loader, refusing duplicate keys, aliases and non-finite numbers (module docstring)."""

    source_name: str | None = None

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise StrictLoadError(f"{_where(self, node)}: YAML anchors and aliases (&name / *name) are not "
                                  "allowed; write the value out")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise StrictLoadError(f"{_where(self, key_node)}: YAML merge keys ('<<') are not allowed")
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise StrictLoadError(f"{_where(self, key_node)}: key '{key}' is given twice in one mapping "
                                          f"(first on line {seen[key]}); the last one would silently win")
                seen[key] = key_node.start_mark.line + 1
                if value_node.tag == _FLOAT_TAG:
                    self._check_finite(value_node, key)
                self.constructed_objects.pop(key_node, None)  # constructed again by the base class
        return super().construct_mapping(node, deep=deep)

    def _check_finite(self, node, key=None) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            named = f"key '{key}': " if key is not None else ""
            raise StrictLoadError(f"{_where(self, node)}: {named}non-finite number {node.value!r} "
                                  "(no setting may be NaN or infinite)")
        return value

    def construct_yaml_float(self, node):
        return self._check_finite(node)


_FLOAT_TAG = "tag:yaml.org,2002:float"
StrictLoader.add_constructor(_FLOAT_TAG, StrictLoader.construct_yaml_float)


def safe_load_yaml(stream, source: str | None = None) -> Any:
    """The YAML document of ``stream`` (text, or an open file), read strictly (module docstring).

    Raises :class:`StrictLoadError` (a ``yaml.YAMLError``) for a refused document, naming
    ``source`` (default: the stream's name) and the line."""
    loader = StrictLoader(stream)
    loader.source_name = source
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(path: str | Path) -> Any:
    """The contents of the YAML file ``path``; a missing, malformed or refused file is a
    :class:`ConfigError` naming the file and line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return safe_load_yaml(fh, source=str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except StrictLoadError as err:
        raise ConfigError(str(err) if str(err).startswith(str(path)) else f"{path}: {err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
