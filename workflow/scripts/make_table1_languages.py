"""make_table1_languages: Table 1 (languages, resource level, role, and per task whether the test
set is human or machine-translated) as CSV and LaTeX."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import analysis, logs

logs.setup(snakemake)
analysis.write_table(
    analysis.table1_languages(snakemake.params.languages, snakemake.params.test_sets), snakemake.output.csv,
    snakemake.output.tex, caption="Languages of the study: resource level, role, and per task whether the test set "
    "is human or machine-translated.", label="tab:languages",
)
