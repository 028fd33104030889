"""build_tokenizer: the byte-level BPE vocabulary shared by the tiny models, trained on the run's
own multilingual text; each tiny model adds its family's special tokens and chat template (see
mlpt.tiny)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import io, logs, tiny

logs.setup(snakemake)
texts = io.texts([*snakemake.input.data, *snakemake.input.references], ("question", "reasoning", "apis", "call"))
tiny.build_lm_tokenizer(texts, snakemake.params.vocab_size, snakemake.output[0])
