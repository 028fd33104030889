"""build_mt_model: a random-initialised tiny NLLB/M2M100-architecture translation model with an
NLLB-style tokenizer trained on the run's multilingual text."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import logging

from mlpt import io, logs, tiny

logs.setup(snakemake)
texts = io.texts([*snakemake.input.data, *snakemake.input.references], ("question", "reasoning"))
spec = dict(snakemake.params.spec)
vocab = spec.pop("vocab_size", 2000)
n = tiny.build_mt_model(texts, vocab, spec, snakemake.output[0], seed=snakemake.params.seed)
logging.info("built MT model with %d parameters", n)
