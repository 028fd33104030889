"""plot_loss_curves: the loss curve of every SFT run (see mlpt.figures.training_curves)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import figures, io, logs

logs.setup(snakemake)
p = snakemake.params
runs = {tuple(key): io.read_json(path) for key, path in zip(p.runs, snakemake.input)}
figures.training_curves(runs, p.plotting["models"], p.plotting["tasks"], snakemake.output.pdf, snakemake.output.png)
