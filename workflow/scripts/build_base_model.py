"""build_base_model: a random-initialised tiny copy of a real checkpoint (Qwen3, Gemma3), shrunk in
size only, saved so that it loads by path exactly like a Hugging Face id (see mlpt.tiny)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import logging
from pathlib import Path

from mlpt import logs, models, tiny

logs.setup(snakemake)
p = snakemake.params
if p.verify_checksums:
    tiny.verify_reference(p.resources, p.like, p.chat_template)
template = Path(p.chat_template).read_text(encoding="utf-8") if p.chat_template else None
n = tiny.build_causal_lm(p.like, p.sizes, snakemake.input.tokenizer, snakemake.output[0], seed=p.seed,
                         resources_dir=p.resources, chat_template=template)
models.record_weights(snakemake.output[0], {"source": "tiny copy", "like": p.like, "sizes": p.sizes, "seed": p.seed})
logging.info("built a tiny %s with %d parameters", p.like, n)
