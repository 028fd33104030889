"""translate: every needed split of one task in one language (see mlpt.translate)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, translate

logs.setup(snakemake)
p = snakemake.params
translate.run(
    source_file=snakemake.input.data, references_file=snakemake.input.references, out_file=snakemake.output.records,
    qc_file=snakemake.output.qc, task_kind=p.kind, src=p.src, tgt=snakemake.wildcards.lang, splits=list(p.splits),
    backend=p.backend, codes=p.codes, mt_model=p.mt_model, languages=p.languages, work_dir=p.work_dir, seed=p.seed,
)
