"""plot_fig2_accuracy_vs_languages: Fig 2 from tables/accuracy.csv."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

import pandas as pd

from mlpt import analysis, logs

logs.setup(snakemake)
acc = pd.read_csv(snakemake.input[0])
analysis.plot_fig2(acc, snakemake.params.models, snakemake.params.tasks, snakemake.params.run, snakemake.output.pdf, snakemake.output.png)
