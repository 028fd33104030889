"""plot_fig2/3/4/7/8/9, plot_fig2_by_exposure and plot_extra_languages: one figure (params.figure,
a key of mlpt.figures.FIGURES) from the run's table (the accuracy table; Fig 3: the median
changes)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import pandas as pd

from mlpt import figures, logs

logs.setup(snakemake)
figures.FIGURES[snakemake.params.figure](pd.read_csv(snakemake.input[0]), snakemake.params.plotting,
                                         snakemake.output.pdf, snakemake.output.png)
