"""plot_accuracy_by_condition: accuracy pooled per condition (all languages, and those it did not
tune on) with its change over the base model, and the bars per language (see
mlpt.spontaneous.results)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs
from mlpt.spontaneous import results

logs.setup(snakemake)
p, out = snakemake.params, snakemake.output
acc = results.read_accuracy(snakemake.input[0])
with io.atomic_path(out.table) as fh:
    results.by_condition(acc, p.base, p.pivot).to_csv(fh, index=False)
results.plot_conditions(acc, p.models, p.languages, p.conditions, out.pdf, out.png)
