"""plot_loss_curves: the loss curve of every SFT run (see mlpt.figures.training_curves)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import figures, io, logs, rule_inputs

logs.setup(snakemake)
p = snakemake.params
runs = {run: io.read_json(path) for run, path in rule_inputs.by_key(snakemake.input.items()).items()}
figures.training_curves(runs, p.plotting["models"], p.plotting["tasks"], snakemake.output.pdf, snakemake.output.png)
