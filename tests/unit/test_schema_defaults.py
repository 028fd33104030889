"""The config schema is the one home of every config default: the code's own defaults (dataclass
fields, keyword defaults for callers without a validated config) are read from it, never restated."""

import dataclasses

import pytest

from mlpt import cluster, sft, translate
from mlpt import config as study_config
from mlpt import schema as schema_lib
from mlpt import translation_qc as tqc

#: ``sft`` keys the workflow reads (which launcher configuration a model gets), not the training loop.
WORKFLOW_ONLY_SFT_KEYS = {"fsdp_min_params_b"}


def _field_defaults(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls)}


def _as_field(value):
    return tuple(value) if isinstance(value, list) else value


def test_every_sft_key_is_a_train_config_field_with_the_schema_default():
    schema = study_config.schema_defaults("sft")
    fields = _field_defaults(sft.TrainConfig)
    trained = set(schema) - WORKFLOW_ONLY_SFT_KEYS
    assert trained <= set(fields), trained - set(fields)
    assert {key: fields[key] for key in trained} == {key: _as_field(schema[key]) for key in trained}
    # the fields outside the sft section: the seed, the validation budget, and a per-task key without a default
    assert set(fields) - trained == {"seed", "val_max_new_tokens", "min_steps"}
    assert fields["seed"] == study_config.schema_default("seed")
    assert fields["val_max_new_tokens"] == study_config.schema_default("evaluation", "max_gen_toks")
    assert fields["min_steps"] is None and "default" not in (
        schema_lib.load_schema("config")["properties"]["tasks"]["additionalProperties"]["properties"]["sft"]
        ["properties"]["min_steps"])


def test_the_validated_recipe_of_every_job_is_a_complete_train_config(paper_config, demo_config):
    """What the sft rule passes (the sft section, the task's overrides, the seed) sets every field
    but the validation budget, which the rule adds from evaluation.max_gen_toks."""
    for config in (paper_config, demo_config):
        for task in config["tasks"].values():
            given = {**config["sft"], **task["sft"], "seed": config["seed"]}
            missing = set(_field_defaults(sft.TrainConfig)) - set(given) - {"val_max_new_tokens", "min_steps"}
            assert not missing


def test_translation_defaults_are_the_schemas():
    assert _field_defaults(tqc.Settings) == study_config.schema_defaults("translation", "qc")
    assert tqc.Settings.from_config(None) == tqc.Settings(**study_config.schema_defaults("translation", "qc"))
    assert translate.DEFAULT_MAX_SEGMENT_CHARS == study_config.schema_default("translation", "max_segment_chars")
    assert translate.DEFAULT_SHARD_SIZE == study_config.schema_default("translation", "shard_size")


def test_job_resources_read_the_validated_tier_and_restate_no_default(paper_config):
    tier = paper_config["cluster"]["translate"]
    assert tier["cpus_per_gpu"] == study_config.schema_default("$defs", "resource_spec", "cpus_per_gpu")
    assert cluster.job_resources(tier, {})["cpus_per_task"] == tier["cpus_per_gpu"] * tier["gpus"]
    with pytest.raises(KeyError):  # an unvalidated spec is an error, never a silent default
        cluster.job_resources({"mem_mb": 1000, "runtime": "1h", "gpus": 1}, {})
