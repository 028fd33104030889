"""make_table1_languages: Table 1 (languages: family, sub-family and script from the run's language
table, resource level, role, and per task whether the test set is human or machine-translated) as
CSV and LaTeX."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import analysis, logs

logs.setup(snakemake)
analysis.write_table(
    analysis.table1_languages(snakemake.params.languages, snakemake.params.test_sets, snakemake.input.phrases),
    snakemake.output.csv, snakemake.output.tex, label="tab:languages",
    caption="Languages of the study: family, sub-family, script, resource level, role, and per task whether the "
    "test set is human or machine-translated.",
)
