"""plot_accuracy_by_mixture: accuracy pooled per mixture (all languages, and those it did not
tune on) with its change over the base model, as a table (CSV, and LaTeX in percent) and the bars
per language (see mlpt.spontaneous.results); the figure and the LaTeX caption name the run."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import figures, io, latex, logs
from mlpt.spontaneous import results

logs.setup(snakemake)
p, out, run = snakemake.params, snakemake.output, snakemake.config["run"]
acc = results.read_accuracy(snakemake.input[0])
table = results.by_mixture(acc, p.pretrained, p.pivot)
with io.atomic_path(out.table) as fh:
    table.to_csv(fh, index=False)
label = figures.run_label({"run": run, "models": p.models})
latex.write_table(results.mixtures_summary(table), out.tex,
                  "Accuracy pooled over all languages and over the languages each mixture did not tune on "
                  "(English excluded), and the latter's change over the untuned base model "
                  f"({label}).", "tab:mixtures", decimals=1)
results.plot_mixtures(acc, p.models, p.languages, p.mixtures, out.pdf, out.png, run=run)
