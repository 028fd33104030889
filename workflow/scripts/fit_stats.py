"""fit_stats and fit_stats_control: the paper's statistics (mlpt.stats.paper_statistics) from
tables/accuracy.csv and the per-item scores of the evaluations: bilingual vs English-only changes
and their medians, Table 2 (win rates with Wilson intervals), Table 3 (regression with bootstrap
intervals), the per-case zero-shot vs direct tests and their shares, the pooled t-tests (an extra
view), and a headline file. Only the paper's evaluation languages count (roles core and eval).

params.scope says which tasks: "paper" (the study's tasks; the headline file puts each of the
paper's headline numbers next to this run's value) or "control" (the positive-control tasks; every
table is labelled "control (synthetic), not the paper's numbers" and the headline file holds this
run's values only). Control rows never enter the paper's tables, nor paper rows the control's."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import logging

import pandas as pd

from mlpt import analysis, io, logs, rule_inputs, stats

logs.setup(snakemake)
p, o = snakemake.params, snakemake.output
control = p.scope == "control"
label = analysis.CONTROL_LABEL if control else None
acc = pd.read_csv(snakemake.input.accuracy)
acc = acc[acc["task"].isin(p.tasks)]
files = rule_inputs.by_key(snakemake.input.items(), prefix="samples")  # (model, task, mixture) -> samples.jsonl
items = analysis.item_scores_in_table(
    analysis.read_item_scores(files, stats.languages_with_role(p.languages, ["core"])), acc)
logging.info("%d per-item scores from %d evaluations", len(items), len(files))

result = stats.paper_statistics(acc, p.mixture_languages, p.languages, p.source_lang, seed=p.seed, items=items)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The control's tables carry their label in a first column ``scope``."""
    return frame.assign(scope=label)[["scope", *frame.columns]] if control else frame


def caption(text: str) -> str:
    """LaTeX captions of the control's tables start with its label."""
    return f"Control (synthetic), not the paper's numbers. {text}" if control else text


def tex_label(name: str) -> str:
    return f"tab:control-{name}" if control else f"tab:{name}"


for frame, path in ((result.changes, o.changes), (result.summary, o.summary), (result.ttests, o.ttests),
                    (result.cases, o.cases)):
    with io.atomic_path(path) as fh:
        labelled(frame).to_csv(fh, index=False)
analysis.write_table(labelled(result.win_table.round(4)), o.table2, o.table2_tex, label=tex_label("winrates"),
                     caption=caption("Win rate of bilingual over English-only SFT, with Wilson 95% intervals."),
                     tex=analysis.table2_latex(result.win_table))
logging.info("regression: held-out R2 %.3f, train R2 %.3f", result.r2_test, result.r2_train)
analysis.write_table(labelled(result.coef.rename_axis("predictor").reset_index()
                              .assign(r2_test=result.r2_test, r2_train=result.r2_train).round(4)),
                     o.table3, o.table3_tex, label=tex_label("regression"), tex=analysis.table3_latex(result.coef),
                     caption=caption(f"Pooled OLS regression of accuracy, 95% bootstrap intervals "
                                     f"(held-out R2 = {result.r2_test:.3f})."))
analysis.write_table(labelled(result.case_shares.round(4)), o.shares, o.shares_tex, label=tex_label("zeroshot"),
                     caption=caption("Zero-shot vs direct training: cases (model x task x language x "
                                     "training size) where zero-shot is better, not different or worse "
                                     "(two-sided McNemar exact test on paired items, p < 0.05)."),
                     tex=analysis.case_shares_latex(result.case_shares))
if control:
    headlines = analysis.statistics_overview(result, label)
else:
    headlines = analysis.headline_numbers(io.read_yaml(snakemake.input.headlines), result.summary,
                                          result.win_rates, result.coef, result.r2_test)
analysis.write_table(headlines, o.headlines, o.headlines_tex, label=tex_label("headlines"),
                     caption=caption("This run's statistics." if control
                                     else "The paper's headline numbers and this run's values."),
                     tex=headlines.drop(columns="scope") if control else None)  # the caption carries the label
