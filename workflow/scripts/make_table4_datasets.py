"""make_table4_datasets: Table 4 (dataset statistics: items per language and split, and for an
API-calling task its number of APIs and example APIs) from the per-language data files."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import analysis, logs, rule_inputs

logs.setup(snakemake)
files: dict[str, dict[str, str]] = {}
for (task, lang), path in rule_inputs.by_key(snakemake.input.items()).items():
    files.setdefault(task, {})[lang] = path
analysis.write_table(analysis.table4_datasets(files, snakemake.params.tasks), snakemake.output.csv,
                     snakemake.output.tex, label="tab:datasets",
                     caption="Datasets: items per language and split; for API calling, the APIs of the gold calls.")
