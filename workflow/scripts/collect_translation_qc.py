"""collect_translation_qc: per task x language x split, how the text was made and what QC counted (table),
and the per-language bar chart of QC flags."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import analysis, figures, io, logs, rule_inputs

logs.setup(snakemake)
table = analysis.translation_qc(rule_inputs.by_key(snakemake.input.items()))
with io.atomic_path(snakemake.output.table) as fh:
    table.to_csv(fh, index=False)
figures.translation_qc_flags(table, snakemake.params.languages, snakemake.output.pdf, snakemake.output.png)
