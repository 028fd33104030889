"""plot_fig2/3/4/7/8/9: one paper figure (params.figure) from the run's tables (see mlpt.figures)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

import pandas as pd

from mlpt import figures, logs, stats

logs.setup(snakemake)
fig, p, o = snakemake.params.figure, snakemake.params.plotting, snakemake.output
table = pd.read_csv(snakemake.input[0])
if fig == "fig2":
    figures.fig2_accuracy_vs_languages(table, p["models"], p["tasks"], p["run"], o.pdf, o.png)
elif fig == "fig3":
    figures.fig3_median_change(table, p["tasks"], o.pdf, o.png)
elif fig in ("fig4", "fig9"):
    rows = stats.zero_shot_rows(table, p["mixture_languages"], p["languages"], p["source_lang"])
    largest = figures.largest_per_family(p["models"])
    selected = largest if fig == "fig4" else [m for m in p["models"] if m not in largest]
    title = ("Zero-shot (language left out) vs direct inclusion" + ("" if fig == "fig4" else ": remaining models"))
    figures.fig4_zero_shot(rows, p["models"], p["tasks"], selected, o.pdf, o.png, title)
elif fig == "fig7":
    figures.fig7_heatmaps(table, p["models"], p["tasks"], list(p["languages"]), p["mixtures"][1:], o.pdf, o.png)
elif fig == "fig8":
    figures.fig8_scaling(table, p["models"], p["tasks"], p["languages"], o.pdf, o.png)
else:
    raise ValueError(f"unknown figure '{fig}'")
