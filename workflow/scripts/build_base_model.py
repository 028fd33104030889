"""build_base_model: a random-initialised tiny causal LM of a real architecture (Qwen3, Gemma3),
saved so that it loads by path exactly like a Hugging Face id."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

import logging

from mlpt import logs, tiny

logs.setup(snakemake)
spec = dict(snakemake.params.spec)
arch = spec.pop("arch")
n = tiny.build_causal_lm(arch, spec, snakemake.input.tokenizer, snakemake.output[0], seed=snakemake.params.seed)
logging.info("built %s with %d parameters", arch, n)
