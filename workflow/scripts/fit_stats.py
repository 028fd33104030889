"""fit_stats: the paper's statistics from tables/accuracy.csv (see mlpt.stats): bilingual vs
English-only changes and their medians, Table 2 (win rates), Table 3 (regression), t-tests, and
the headline numbers next to the paper's. Only the study's tasks count (not positive controls)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

import logging

import pandas as pd

from mlpt import analysis, io, logs, stats

logs.setup(snakemake)
p, o = snakemake.params, snakemake.output
acc = pd.read_csv(snakemake.input.accuracy)
acc = acc[acc["task"].isin(p.study_tasks)]  # positive-control tasks are not part of the paper's statistics

changes = stats.bilingual_changes(acc, p.mixture_languages, p.source_lang)
summary = stats.summarise_changes(changes, seed=p.seed)
for frame, path in ((changes, o.changes), (summary, o.summary)):
    with io.atomic_path(path) as fh:
        frame.to_csv(fh, index=False)
analysis.write_table(stats.win_rates(changes).reset_index().round(3), o.table2, o.table2_tex,
                     caption="Win rate of bilingual over English-only SFT.", label="tab:winrates")
win = stats.win_rates(changes)
coef, r2_test, r2_train = stats.regression(acc, seed=p.seed)
logging.info("regression: held-out R2 %.3f, train R2 %.3f", r2_test, r2_train)
analysis.write_table(coef.rename_axis("predictor").reset_index().assign(r2_test=r2_test, r2_train=r2_train).round(4),
                     o.table3, o.table3_tex, label="tab:regression",
                     caption=f"Pooled OLS regression of accuracy (held-out R2 = {r2_test:.3f}).")
analysis.write_table(analysis.headline_numbers(io.read_yaml(snakemake.input.headlines), summary, win, coef, r2_test),
                     o.headlines, o.headlines_tex, caption="The paper's headline numbers and this run's values.",
                     label="tab:headlines")
rows = stats.zero_shot_rows(acc, p.mixture_languages, p.languages, p.source_lang)
with io.atomic_path(o.ttests) as fh:
    stats.ttest_zero_shot_vs_direct(rows).to_csv(fh, index=False)
