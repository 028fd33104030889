"""fit_stats: the paper's statistics from tables/accuracy.csv (see mlpt.stats.paper_statistics):
bilingual vs English-only changes and their medians, Table 2 (win rates), Table 3 (regression),
t-tests, and the headline numbers next to the paper's. Only the study's tasks count (not positive
controls), and only the paper's evaluation languages (roles core and eval, not the extras)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

import logging

import pandas as pd

from mlpt import analysis, io, logs, stats

logs.setup(snakemake)
p, o = snakemake.params, snakemake.output
acc = pd.read_csv(snakemake.input.accuracy)
acc = acc[acc["task"].isin(p.study_tasks)]  # positive-control tasks are not part of the paper's statistics

result = stats.paper_statistics(acc, p.mixture_languages, p.languages, p.source_lang, seed=p.seed)
for frame, path in ((result.changes, o.changes), (result.summary, o.summary), (result.ttests, o.ttests)):
    with io.atomic_path(path) as fh:
        frame.to_csv(fh, index=False)
analysis.write_table(result.win_rates.reset_index().round(3), o.table2, o.table2_tex,
                     caption="Win rate of bilingual over English-only SFT.", label="tab:winrates")
logging.info("regression: held-out R2 %.3f, train R2 %.3f", result.r2_test, result.r2_train)
analysis.write_table(result.coef.rename_axis("predictor").reset_index()
                     .assign(r2_test=result.r2_test, r2_train=result.r2_train).round(4),
                     o.table3, o.table3_tex, label="tab:regression",
                     caption=f"Pooled OLS regression of accuracy (held-out R2 = {result.r2_test:.3f}).")
analysis.write_table(analysis.headline_numbers(io.read_yaml(snakemake.input.headlines), result.summary,
                                               result.win_rates, result.coef, result.r2_test),
                     o.headlines, o.headlines_tex, caption="The paper's headline numbers and this run's values.",
                     label="tab:headlines")
