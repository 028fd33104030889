"""translate / translate_questions (study B): one language's test items, or its training questions
machine-translated (see mlpt.spontaneous.sources.translate_language)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs
from mlpt.spontaneous import sources

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
sources.translate_language(
    english_file=snakemake.input.data, out_file=snakemake.output.records, qc_file=snakemake.output.qc, task=wc.task,
    lang=wc.lang, split=p.split, source=p.source, ref_dir=p.reference, backend=p.backend, codes=p.codes,
    mt_model=p.mt_model, languages=p.languages, work_dir=p.work_dir, seed=p.seed, src=p.src,
)
