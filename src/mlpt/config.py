"""Load and check a study configuration.

A config file *is* the experiment (config/paper.yaml, config/demo.yaml). This module checks it
in two passes before any job runs, and every error names the offending key and file:

1. the JSON schema (``schemas/config.schema.yaml``): types, enums, identifier patterns and
   unknown keys (``additionalProperties: false``); defaults from the schema are filled in;
2. study rules the schema cannot express: the source language is a configured, trainable
   language; every mixture names configured, trainable languages (an eval-only language such as
   ``te`` may never be trained on); every language has prompt phrases; mixture names are unique;
   every model has an SFT resource tier, and each task's global batch divides into per-device
   batches over that tier's GPUs; the base model's few-shot exemplars fit in every task's
   validation split; the ``llm`` translation backend is given a causal LM (``hub_id``), also in
   every task's translation settings (:func:`task_translation`).

``python -m mlpt.config FILE`` checks a config file and prints its run name (the Makefile reads
the run name this way, so an invalid config stops before any command uses it).
"""

from __future__ import annotations

import copy
import functools
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from . import cluster, mixture_grammar, paths, prompts
from .errors import ConfigError
from .yaml_files import load_yaml, safe_load_yaml  # noqa: F401  (safe_load_yaml: re-exported for callers of this module)

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
            target = _resolve_ref(pointer, others[file])
            return inline({**target, **{k: v for k, v in node.items() if k != "$ref"}})
        return {key: inline(value) for key, value in node.items()}

    schema = inline(schema)
    for other in others.values():
        schema["$defs"] = {**inline(other.get("$defs", {})), **schema.get("$defs", {})}
    return schema


def _key_path(path) -> str:
    return "/".join(str(p) for p in path) or "<top level>"


def _fill_defaults(instance: Any, schema: Mapping, root: Mapping) -> None:
    """Set schema defaults for absent object keys, recursively (in place)."""
    if "$ref" in schema:
        schema = _resolve_ref(schema["$ref"], root)
    if not isinstance(instance, dict):
        if isinstance(instance, list) and "items" in schema:
            for item in instance:
                _fill_defaults(item, schema["items"], root)
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra, root)


def _resolve_ref(ref: str, root: Mapping) -> Mapping:
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
    raise ConfigError(f"{source}: key '{_key_path((*at, *err.absolute_path))}': {message}")


def validate(config: dict, source: str = "config", files=()) -> dict:
    """Check ``config`` against the schema and the study rules; fill defaults; return it.

    ``files`` are the YAML files ``config`` was read from by another loader (Snakemake's
    ``--configfile``): each is read again with this project's strict loader first
    (:mod:`mlpt.yaml_files`: duplicate keys, aliases and non-finite numbers are refused, naming
    file and line), so what Snakemake read is what this project accepts. A config with
    ``study: spontaneous`` is study B's, checked by :func:`mlpt.spontaneous.study.validate`."""
    for path in files:
        load_yaml(path)
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(config).__name__}")
    _check_finite(config, source)
    if config.get("study") == "spontaneous":
        from .spontaneous import study  # local import: it imports this module

        return study.validate(config, source)
    schema = load_schema("config")
    check_schema(config, schema, source)
    _fill_defaults(config, schema, schema)
    _check_study_rules(config, source)
    return config


def _check_finite(node: Any, source: str, at: tuple = ()) -> None:
    """No number anywhere in a config may be NaN or infinite (also one given by ``--config`` on the
    command line, which no YAML loader reads): a NaN passes every ``minimum`` of the schema."""
    if isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{source}: key '{_key_path(at)}': non-finite number {node} (no setting may be NaN or infinite)")
    if isinstance(node, dict):
        for key, value in node.items():
            _check_finite(value, source, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, source, (*at, i))


#: Mappings of the translation settings that a task's override merges key by key (``model`` is replaced
#: whole: ``hub_id`` and ``tiny`` are alternatives).
MERGED_TRANSLATION_KEYS = ("llm", "qc")


def task_translation(config: dict, task: str) -> dict:
    """The translation settings of ``task``: ``tasks.<task>.translation`` over the top-level ``translation``.

    A key the task gives replaces the top-level one; ``llm`` and ``qc`` are merged key by key."""
    merged = copy.deepcopy(config["translation"])
    for key, value in config["tasks"][task].get("translation", {}).items():
        merged[key] = {**merged.get(key, {}), **value} if key in MERGED_TRANSLATION_KEYS else copy.deepcopy(value)
    return merged


def schema_defaults(*keys: str) -> dict[str, Any]:
    """``{key: default}`` of the config schema's object at ``keys``: a property path such as
    ``("sft",)`` or ``("translation", "qc")``, or a definition, ``("$defs", "resource_spec")``.

    The schema is the one home of every config default; code that needs one (a dataclass field, a
    keyword default for callers that pass no config) reads it here instead of restating it."""
    root = node = _config_schema()
    if keys[:1] == ("$defs",):
        node, keys = root["$defs"][keys[1]], keys[2:]
    for key in keys:
        node = node["properties"][key]
        if "$ref" in node:
            node = _resolve_ref(node["$ref"], root)
    return {key: copy.deepcopy(sub["default"]) for key, sub in node.get("properties", {}).items() if "default" in sub}


def schema_default(*keys: str) -> Any:
    """The config schema's default of the key at ``keys``, e.g. ``("translation", "shard_size")``."""
    *parent, key = keys
    return schema_defaults(*parent)[key]


@functools.lru_cache(maxsize=1)
def _config_schema() -> dict:
    return load_schema("config")


def load(path: str | Path) -> dict:
    """Read, check and return a config file (defaults filled in)."""
    return validate(load_yaml(path), source=str(path))


def _check_study_rules(config: dict, source: str) -> None:
    langs = config["languages"]
    src = config["source_language"]
    if src not in langs:
        raise ConfigError(f"{source}: key 'source_language': '{src}' is not one of the configured languages {list(langs)}")
    if langs[src]["role"] == "eval":
        raise ConfigError(f"{source}: key 'languages/{src}/role': the source language cannot be eval-only")
    phrases = prompts.load_phrases(Path(config["resources_dir"]) / prompts.PHRASES_FILE, must_exist=False)
    if phrases is not None:
        missing = [code for code in langs if code not in phrases["languages"]]
        if missing:
            raise ConfigError(
                f"{source}: key 'languages': no prompt phrases for {missing} in "
                f"{Path(config['resources_dir']) / prompts.PHRASES_FILE}"
            )
    resources = Path(config["resources_dir"])
    for model, spec in config["models"].items():
        if sum(key in spec for key in ("hub_id", "tiny", "registry")) > 1:
            raise ConfigError(f"{source}: key 'models/{model}': give one of hub_id, tiny or registry, not several")
        like = spec.get("tiny", {}).get("like")
        if not resources.is_dir():  # checked where the workflow runs (as the prompt phrases are)
            continue
        if like and not (Path(paths.model_reference(resources, like)) / "config.json").is_file():
            raise ConfigError(f"{source}: key 'models/{model}/tiny/like': no reference files for '{like}' "
                              f"({paths.model_reference(resources, like)}/config.json is missing)")
        if "chat_template" in spec and not (resources / spec["chat_template"]).is_file():
            raise ConfigError(f"{source}: key 'models/{model}/chat_template': file "
                              f"{resources / spec['chat_template']} not found")
    _check_translation(config["translation"], "translation", source)
    schema = load_schema("config")
    translation_schema = {"$defs": schema["$defs"], **schema["properties"]["translation"]}
    for task, spec in config["tasks"].items():
        override, at = spec.get("translation", {}), ("tasks", task, "translation")
        key = _key_path(at)
        check_schema(override, translation_schema, source, at=at)
        if "one_process_per" in override:
            raise ConfigError(f"{source}: key '{key}/one_process_per': how translate jobs are cut is run-wide; "
                              "set translation/one_process_per")
        if "tiny" in override.get("model", {}):
            raise ConfigError(f"{source}: key '{key}/model/tiny': a task's MT model takes hub_id; the tiny MT model is "
                              "built once per run from translation/model/tiny")
        _check_translation(task_translation(config, task), key, source)
    _check_batch_sizes(config, source)
    k = config["evaluation"]["baseline_num_fewshot"]
    for task, spec in config["tasks"].items():
        if k > spec["n_val"]:
            raise ConfigError(f"{source}: key 'evaluation/baseline_num_fewshot': {k} exemplars, but task '{task}' has "
                              f"only n_val={spec['n_val']} validation items (tasks/{task}/n_val)")
    # Expanding the mixtures checks every language they name (raises ConfigError with the key).
    mixture_grammar.expand(config, source=source)


def _check_translation(translation: dict, key: str, source: str) -> None:
    """One block of translation settings (``key``: where it comes from) names one MT model the backend can load."""
    mt = translation["model"]
    if ("hub_id" in mt) == ("tiny" in mt):
        raise ConfigError(f"{source}: key '{key}/model': give exactly one of hub_id or tiny")
    if translation["backend"] == "llm" and "tiny" in mt:
        raise ConfigError(f"{source}: key '{key}/model/tiny': the llm backend needs hub_id (an instruction-tuned "
                          "causal LM); tiny builds a seq2seq MT model")


def _check_batch_sizes(config: dict, source: str) -> None:
    """Every (model, task) SFT job: global batch = per-device batch × accumulation × processes, where
    the processes are the GPUs of the model's ``cluster/sft`` tier (one process without GPUs)."""
    for model, spec in config["models"].items():
        try:
            gpus = cluster.tier(config["cluster"]["sft"], spec["params_b"], f"{source}: key 'cluster/sft'")["gpus"]
        except ValueError as err:
            raise ConfigError(str(err)) from None
        processes = max(gpus, 1)
        for task, tspec in config["tasks"].items():
            override = tspec["sft"]
            sft = {**config["sft"], **override}
            per_step = sft["per_device_batch_size"] * processes
            if sft["global_batch_size"] % per_step:
                key = f"tasks/{task}/sft" if {"global_batch_size", "per_device_batch_size"} & set(override) else "sft"
                raise ConfigError(
                    f"{source}: key '{key}': global_batch_size {sft['global_batch_size']} is not a multiple of "
                    f"per_device_batch_size ({sft['per_device_batch_size']}) × {processes} training process(es), the GPUs "
                    f"of model '{model}' in its cluster/sft tier (task '{task}')")


def main(argv: list[str] | None = None) -> int:
    """Check a config file; print its run name (stdout) or the error (stderr, exit status 1)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mlpt.config", description=main.__doc__)
    parser.add_argument("config", help="a study config file, e.g. config/demo.yaml")
    args = parser.parse_args(argv)
    try:
        print(load(args.config)["run"])
    except ConfigError as err:
        print(f"Invalid configuration: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
