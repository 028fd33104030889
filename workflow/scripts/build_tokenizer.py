"""build_tokenizer: a byte-level BPE tokenizer with a chat template, trained on the run's own
multilingual text (for tiny random-initialised models; see mlpt.tiny)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs, tiny

logs.setup(snakemake)
texts = [
    rec[field]
    for path in [*snakemake.input.data, *snakemake.input.references]
    for rec in io.read_jsonl(path)
    for field in ("question", "reasoning", "apis", "call")
    if field in rec
]
tiny.build_lm_tokenizer(texts, snakemake.params.vocab_size, snakemake.output[0])
