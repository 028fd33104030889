"""translate: every needed split of one task in one language (see mlpt.translate)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, translate

logs.setup(snakemake)
p = snakemake.params
translate.run(
    snakemake.input.data, snakemake.input.references, snakemake.output.records, snakemake.output.qc,
    task_kind=p.kind, src=p.src, tgt=snakemake.wildcards.lang, splits=p.splits, backend=p.backend,
    codes=p.codes, mt_model=p.mt_model, languages=p.languages, work_dir=p.work_dir, seed=p.seed,
)
