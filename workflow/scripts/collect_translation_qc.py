"""collect_translation_qc: per task x language x split, how the text was made and what QC counted (table),
and the per-language bar chart of QC flags, labelled with the run and its MT model (tiny or not)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import analysis, figures, io, logs, rule_inputs

logs.setup(snakemake)
table = analysis.translation_qc(rule_inputs.by_key(snakemake.input.items()))
with io.atomic_path(snakemake.output.table) as fh:
    table.to_csv(fh, index=False)
mt_model = (snakemake.config.get("translation") or {}).get("model") or {}
plotting = {"run": snakemake.config["run"], "models": {"mt": {"label": "MT model", **mt_model}}}
figures.translation_qc_flags(table, snakemake.params.languages, snakemake.output.pdf, snakemake.output.png, plotting)
