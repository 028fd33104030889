"""make_table4_datasets: Table 4 (dataset statistics) from the per-language data files."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import analysis, logs

logs.setup(snakemake)
analysis.write_table(analysis.table4_datasets(snakemake.params.files, snakemake.params.tasks), snakemake.output.csv,
                     snakemake.output.tex, caption="Datasets: items per language and split.", label="tab:datasets")
