"""JSON schemas of configs and records: loading, checking, defaults.

A schema is ``schemas/<name>.schema.yaml``. :func:`load_schema` inlines references into other
schema files, so one section (``sft``, ``translation``) is defined once and shared by both studies;
:func:`check_schema` raises :class:`~mlpt.errors.ConfigError` naming the key of the most relevant
violation; :func:`fill_defaults` sets each absent key the schema gives a default. This module sits
below :mod:`mlpt.config` (which checks a study's rules) and :mod:`mlpt.io` (which validates records).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ConfigError
from .yaml_files import load_yaml

SCHEMA_DIR = Path(__file__).parent / "schemas"


def load_schema(name: str) -> dict:
    """The schema ``schemas/<name>.schema.yaml``, with every reference into another schema file
    (``{$ref: "config.schema.yaml#/properties/sft"}``) replaced by the part it names (keys beside
    the ``$ref`` win) and that file's ``$defs`` added, so one section is defined once and shared
    by both studies, and defaults are filled in the same way."""
    schema = load_yaml(SCHEMA_DIR / f"{name}.schema.yaml")
    others: dict[str, dict] = {}

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        if isinstance(ref, str) and not ref.startswith("#") and "#" in ref:
            file, pointer = ref.split("#", 1)
            if file not in others:
                others[file] = load_yaml(SCHEMA_DIR / file)
            target = resolve_ref(pointer, others[file])
            return inline({**target, **{k: v for k, v in node.items() if k != "$ref"}})
        return {key: inline(value) for key, value in node.items()}

    schema = inline(schema)
    for other in others.values():
        schema["$defs"] = {**inline(other.get("$defs", {})), **schema.get("$defs", {})}
    return schema


def key_path(path) -> str:
    return "/".join(str(p) for p in path) or "<top level>"


def fill_defaults(instance: Any, schema: Mapping, root: Mapping) -> None:
    """Set schema defaults for absent object keys, recursively (in place)."""
    if "$ref" in schema:
        schema = resolve_ref(schema["$ref"], root)
    if not isinstance(instance, dict):
        if isinstance(instance, list) and "items" in schema:
            for item in instance:
                fill_defaults(item, schema["items"], root)
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                fill_defaults(value, extra, root)


def resolve_ref(ref: str, root: Mapping) -> Mapping:
    node: Any = root
    for part in ref.removeprefix("#").removeprefix("/").split("/"):
        node = node[part]
    return node


def check_schema(instance: Any, schema: Mapping, source: str, at: tuple = ()) -> None:
    """Raise ConfigError naming the key of the first (most relevant) schema violation (``at``: the
    key path of ``instance`` inside the config, when it is not the whole config)."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (len(e.path), str(e.path)))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    # oneOf/anyOf errors are vague; the deepest context error usually names the real key.
    while err.context:
        err = jsonschema.exceptions.best_match(err.context)
    message = err.message
    if err.validator == "additionalProperties":
        message = f"unknown key ({message}); allowed keys: {sorted(err.schema.get('properties', {}))}"
    elif err.schema is False:  # a key the schema forbids at this place (``{properties: {key: false}}``)
        message = (f"holds a key that is not allowed at this place (value {err.instance!r}; e.g. "
                   "gradient_checkpointing, which only cluster/sft tiers take)")
    raise ConfigError(f"{source}: key '{key_path((*at, *err.absolute_path))}': {message}")


def check_finite(node: Any, source: str, at: tuple = ()) -> None:
    """No number anywhere in a config may be NaN or infinite (also one given by ``--config`` on the
    command line, which no YAML loader reads): a NaN passes every ``minimum`` of the schema."""
    if isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{source}: key '{key_path(at)}': non-finite number {node} (no setting may be NaN or infinite)")
    if isinstance(node, dict):
        for key, value in node.items():
            check_finite(value, source, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_finite(value, source, (*at, i))
