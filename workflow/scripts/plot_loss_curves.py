"""plot_loss_curves: the loss curve of every SFT run (either study), a colour per mixture and a dash
per model, labelled with the run (see mlpt.figures.training_curves)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import figures, io, logs, rule_inputs

logs.setup(snakemake)
p = snakemake.params
runs = {run: io.read_json(path) for run, path in rule_inputs.by_key(snakemake.input.items()).items()}
# study A's plotting params name the run and order the mixtures
plotting = {"run": snakemake.config["run"], **p.plotting}
figures.training_curves(runs, plotting, snakemake.output.pdf, snakemake.output.png)
