"""build_mt_model (study B): the tiny NLLB-architecture MT model, its vocabulary trained on the run's
English texts and the prompt wording of every language, so each script has its characters."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import logging

from mlpt import logs, tiny
from mlpt.spontaneous import sources

logs.setup(snakemake)
spec = dict(snakemake.params.spec)
vocab = spec.pop("vocab_size", 2000)
texts = sources.tokenizer_texts(snakemake.input.data, snakemake.input.prompts)
n = tiny.build_mt_model(texts, vocab, spec, snakemake.output[0], seed=snakemake.params.seed)
logging.info("built MT model with %d parameters", n)
