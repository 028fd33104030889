"""build_tokenizer (study B): the byte-level BPE vocabulary of the tiny models, trained on the run's
English texts and the prompt wording of every language (see mlpt.tiny)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, tiny
from mlpt.spontaneous import sources

logs.setup(snakemake)
texts = sources.tokenizer_texts(snakemake.input.data, snakemake.input.prompts)
tiny.build_lm_tokenizer(texts, snakemake.params.vocab_size, snakemake.output[0])
