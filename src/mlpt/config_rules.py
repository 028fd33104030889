"""Config rules that both studies' configs obey, beyond their schemas.

:mod:`mlpt.config` (study A) and :mod:`mlpt.spontaneous.study` (study B) each call these after
their own schema check: a translation block names one MT model its backend can load, and every
SFT job's global batch divides into per-device batches over the GPUs of the model's tier.
"""

from __future__ import annotations

from . import cluster
from .errors import ConfigError


def check_translation(translation: dict, key: str, source: str) -> None:
    """One block of translation settings (``key``: where it comes from) names one MT model the backend can load."""
    mt = translation["model"]
    if ("hub_id" in mt) == ("tiny" in mt):
        raise ConfigError(f"{source}: key '{key}/model': give exactly one of hub_id or tiny")
    if translation["backend"] == "llm" and "tiny" in mt:
        raise ConfigError(f"{source}: key '{key}/model/tiny': the llm backend needs hub_id (an instruction-tuned "
                          "causal LM); tiny builds a seq2seq MT model")


def check_batch_sizes(config: dict, source: str) -> None:
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
