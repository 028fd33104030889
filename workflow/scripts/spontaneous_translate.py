"""translate / translate_questions (study B): one language's test items, or its training questions
machine-translated (see mlpt.spontaneous.sources.translate_language). With ``warm_worker`` on, in a
process forked from the warm worker (mlpt.warm)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, warm
from mlpt.spontaneous import sources

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
warm.call(sources.translate_language, dict(
    english_file=snakemake.input.data, out_file=snakemake.output.records, qc_file=snakemake.output.qc, task=wc.task,
    lang=wc.lang, split=p.split, source=p.source, ref_dir=p.reference, backend=p.backend, codes=p.codes,
    mt_model=p.mt_model, languages=p.languages, work_dir=p.work_dir, seed=p.seed, src=p.src,
), enabled=snakemake.config["warm_worker"])
