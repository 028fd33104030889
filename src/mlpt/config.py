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

A config file may hold only its differences from another: ``extends: paper.yaml`` lays it over
that base file (:mod:`mlpt.config_layers`; both loaders, :func:`load` and Snakemake's
``--configfile`` through :func:`validate`, resolve it the same way).

``python -m mlpt.config FILE`` checks a config file and prints its run name (the Makefile reads
the run name this way, so an invalid config stops before any command uses it).
"""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path
from typing import Any

from . import config_layers, config_rules, mixture_grammar, paths, prompts
from . import schema as schema_lib
from .spontaneous import study as spontaneous_study
from .errors import ConfigError
from .yaml_files import safe_load_yaml  # noqa: F401  (safe_load_yaml: re-exported for callers of this module)

def validate(config: dict, source: str = "config", files=()) -> dict:
    """Check ``config`` against the schema and the study rules; fill defaults; return it.

    ``files`` are the YAML files ``config`` was read from by another loader (Snakemake's
    ``--configfile``): each is read again with this project's strict loader first
    (:mod:`mlpt.yaml_files`: duplicate keys, aliases and non-finite numbers are refused, naming
    file and line), so what Snakemake read is what this project accepts; the bases they
    ``extends`` (:mod:`mlpt.config_layers`), which Snakemake does not know, are read the same way
    and laid beneath ``config``, in place. A config with ``study: spontaneous`` is study B's,
    checked by :func:`mlpt.spontaneous.study.validate`."""
    layers = _lay_bases(config, files) if files else None
    return _checked(config, layers.source if layers else source, layers)


def load(path: str | Path) -> dict:
    """Read, check and return a config file (defaults filled in), with the bases it ``extends``."""
    layers = config_layers.read(path)
    return _checked(layers.config, layers.source, layers)


def _checked(config: dict, source: str, layers: config_layers.Layers | None) -> dict:
    """:func:`validate`'s checks; an error names the file of ``layers`` that gives its key."""
    try:
        if isinstance(config, dict) and config_layers.EXTENDS in config:
            raise ConfigError(f"{source}: key '{config_layers.EXTENDS}': a base config is laid beneath the file "
                              "that names it when the file is read (mlpt.config.load, Snakemake's --configfile); "
                              "this config came without its file")
        return _validate(config, source)
    except ConfigError as err:
        raise (layers.locate(err, source) if layers else err) from None


def _lay_bases(config: dict, files) -> config_layers.Layers | None:
    """Read every file of ``files`` and of their chains strictly; lay their bases beneath
    ``config`` (Snakemake's reading of ``files``, its --config values over them) in place."""
    chains = [config_layers.read(path) for path in files]
    bases = tuple(layer for chain in chains for layer in chain.layers[:-1])
    if not bases or not isinstance(config, dict):
        return None
    layers = config_layers.Layers((*bases, *(chain.layers[-1] for chain in chains)), tops=len(chains))
    config.pop(config_layers.EXTENDS, None)
    merged = config_layers.deep_merge(config_layers.Layers(bases, tops=0).config, config)
    config.clear()
    config.update(merged)
    return layers


def _validate(config: dict, source: str) -> dict:
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(config).__name__}")
    schema_lib.check_finite(config, source)
    if config.get("study") == "spontaneous":
        return spontaneous_study.validate(config, source)
    schema = schema_lib.load_schema("config")
    schema_lib.check_schema(config, schema, source)
    schema_lib.fill_defaults(config, schema, schema)
    _check_study_rules(config, source)
    return config


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
            node = schema_lib.resolve_ref(node["$ref"], root)
    return {key: copy.deepcopy(sub["default"]) for key, sub in node.get("properties", {}).items() if "default" in sub}


def schema_default(*keys: str) -> Any:
    """The config schema's default of the key at ``keys``, e.g. ``("translation", "shard_size")``."""
    *parent, key = keys
    return schema_defaults(*parent)[key]


@functools.lru_cache(maxsize=1)
def _config_schema() -> dict:
    return schema_lib.load_schema("config")


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
    config_rules.check_translation(config["translation"], "translation", source)
    schema = schema_lib.load_schema("config")
    translation_schema = {"$defs": schema["$defs"], **schema["properties"]["translation"]}
    for task, spec in config["tasks"].items():
        override, at = spec.get("translation", {}), ("tasks", task, "translation")
        key = schema_lib.key_path(at)
        schema_lib.check_schema(override, translation_schema, source, at=at)
        if "tiny" in override.get("model", {}):
            raise ConfigError(f"{source}: key '{key}/model/tiny': a task's MT model takes hub_id; the tiny MT model is "
                              "built once per run from translation/model/tiny")
        config_rules.check_translation(task_translation(config, task), key, source)
    config_rules.check_batch_sizes(config, source)
    k = config["evaluation"]["baseline_num_fewshot"]
    for task, spec in config["tasks"].items():
        if k > spec["n_val"]:
            raise ConfigError(f"{source}: key 'evaluation/baseline_num_fewshot': {k} exemplars, but task '{task}' has "
                              f"only n_val={spec['n_val']} validation items (tasks/{task}/n_val)")
    decode_task = config["preflight"]["decode_task"]
    if decode_task is not None and decode_task not in config["tasks"]:
        raise ConfigError(f"{source}: key 'preflight/decode_task': '{decode_task}' is not one of the configured tasks "
                          f"{list(config['tasks'])}")
    # Expanding the mixtures checks every language they name (raises ConfigError with the key).
    mixture_grammar.expand(config, source=source)


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
