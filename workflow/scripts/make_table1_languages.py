"""make_table1_languages: Table 1 (languages, resource level, role) as CSV and LaTeX."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import analysis, logs

logs.setup(snakemake)
analysis.write_table(
    analysis.table1_languages(snakemake.params.languages), snakemake.output.csv, snakemake.output.tex,
    caption="Languages of the study: resource level and role.", label="tab:languages",
)
