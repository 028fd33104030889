"""irrelevant_label_control (study B): accuracy with the real label words vs irrelevant ones, and
the irrelevant-output rate, per model x task x mixture x language, as a table, a figure and a
LaTeX table pooled over languages (see mlpt.spontaneous.results.label_control); the figure and the
LaTeX caption name the run."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import figures, io, latex, logs, rule_inputs
from mlpt.spontaneous import results

logs.setup(snakemake)
p, out, run = snakemake.params, snakemake.output, snakemake.config["run"]
table = results.label_control(rule_inputs.by_key(snakemake.input.items()), p.models, p.mixture_languages)
with io.atomic_path(out.table) as fh:
    table.to_csv(fh, index=False)
label = figures.run_label({"run": run, "models": p.models})
latex.write_table(results.label_control_summary(table, p.mixtures), out.tex,
                  "The irrelevant-label control, pooled over languages: accuracy with the task's label words and "
                  "with irrelevant words in their place, and the share of free generations that begin with no "
                  f"label word ({label}).", "tab:label-control", decimals=1)
results.plot_label_control(table, p.models, p.mixtures, out.pdf, out.png, run=run)
