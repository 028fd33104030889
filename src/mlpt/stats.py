"""The statistics of "English is Not All You Need", as small pure functions over the accuracy table.

Every function reads the tidy table ``tables/accuracy.csv`` (one row per model × task × mixture ×
evaluated language; columns ``model, family, params_b, task, mixture, n_train_langs, lang,
resource, in_training, n, correct, accuracy, ci_low, ci_high``; accuracy on a 0-1 scale) and,
where a mixture's languages matter, ``mixture_languages`` (mixture name -> its training
languages; ``pretrained`` is not in it). Partial tables (missing models, tasks or mixtures) are
fine: what is missing is skipped, and an empty selection gives an empty frame with the usual
columns rather than an error. Nothing here plots or writes files.

Statistics
----------
``paper_rows`` / ``extra_rows``
    The paper's numbers come from its evaluation languages only: those whose config role is
    ``core`` (trained and evaluated) or ``eval`` (evaluated only). Every checkpoint is also
    evaluated on the ``extra`` (train-only) languages; those rows stay in the accuracy table and
    have their own view, but enter no statistic, table or figure that carries a paper number.
``paper_statistics``
    Every statistic behind Tables 2-3, the headline numbers, Fig. 3 and the zero-shot vs direct
    tests, from ``paper_rows`` alone (and, for the per-case tests, the per-item scores).
``wilson_ci`` / ``pooled_accuracy`` / ``change_ci``
    Wilson score 95% interval of an accuracy ``correct / n`` (statsmodels), the error bars of every
    accuracy figure and the intervals of Table 2's win rates; the same for the pooled counts of
    several rows; and Newcombe's interval of a difference of two accuracies, built from their two
    Wilson intervals (Fig. 7).
``exposure``
    Whether a row's evaluation language was trained on: "direct" (in the training mixture),
    "zero-shot" (not in it) or "base" (the untouched base model).
``bilingual_changes`` / ``summarise_changes`` / ``win_rates`` / ``win_rate_table``
    Adding one language X to English-only training (mixture ``en-X`` vs ``en``): the change in
    accuracy, in percentage points, on every evaluated language, split into *english* (the
    source language itself), *direct* (X) and *transfer* (every other language). The paper
    summarises the changes by their median with a bootstrap CI (Fig. 3) and by win rates, the
    share of positive changes, with Wilson intervals on the win counts (Table 2).
``zero_shot_vs_direct`` / ``zero_shot_case_tests`` / ``case_shares``
    Accuracy on a core language X when X is *not* trained on but the other core languages are
    (leave-one-out mixtures with 4, 6 and 9 training languages), against accuracy on X after its
    direct baseline: English + X (``en-X``), or for English itself the English-only mixture
    ``en`` (Figs. 4 and 9). The paper's test: one two-sided test per case (model × task ×
    language × training size) on the per-item 0/1 scores, here McNemar's exact test on the paired
    items, summarised as the share of cases where zero-shot is better / not different / worse,
    with the counts (the paper's "87.5% = 7/8"). ``ttest_zero_shot_vs_direct`` is an extra,
    labelled view: Welch t-tests pooled over model × language cells.
``regression``
    The pooled OLS of accuracy on log10(parameters), model family, task, pretrained-only,
    evaluation language in training and sqrt(L / L_max) (Table 3), with seeded case-bootstrap
    intervals of the coefficients (the analytic OLS statistics as extra columns). The paper
    reports a held-out R² of 80.5% and coefficients 0.302 (log10 params), 0.265 (Qwen3), -0.207
    (math), -0.110 (pretrained only), 0.089 (language in training) and 0.053 (sqrt(L / L_max)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from .mixture_grammar import PRETRAINED

KEY = ["model", "task", "mixture", "lang"]

CATEGORIES = ["english", "direct", "transfer"]
CHANGE_COLUMNS = ["model", "family", "params_b", "task", "mixture", "added", "lang", "resource", "change",
                  "category"]
SUMMARY_STATS = ["n", "median", "ci_low", "ci_high", "win_rate", "mean"]
ZERO_SHOT_COLUMNS = ["model", "family", "params_b", "task", "mixture", "lang", "resource", "setting",
                     "train_size", "n", "correct", "accuracy"]
TTEST_COLUMNS = ["test", "task", "train_size", "setting", "mean_zero_shot", "mean_direct", "diff", "t", "p",
                 "n_zero_shot", "n_direct"]
#: How the pooled t-tests are labelled in their table: an extra view, not the paper's per-case tests.
POOLED_TTEST_LABEL = "extra: Welch t-test pooled over model x language cells (not the paper's per-case tests)"
CASE_COLUMNS = ["model", "family", "params_b", "task", "lang", "resource", "train_size", "zero_shot_mixture",
                "direct_mixture", "n_items", "zero_shot_correct", "direct_correct", "zero_shot_accuracy",
                "direct_accuracy", "diff", "only_zero_shot", "only_direct", "p_value", "outcome"]
OUTCOMES = ["better", "not different", "worse"]
SHARE_COLUMNS = ["task", "train_size", "models", "languages", "cases", "better", "not_different", "worse",
                 "better_share", "not_different_share", "worse_share", "not_worse_share"]
WIN_COLUMNS = ["category", "task", "wins", "n", "win_rate", "ci_low", "ci_high"]
PREDICTORS = ["log10_params", "family_qwen", "task_math", "pretrained_only", "lang_in_training",
              "sqrt_L_over_Lmax", "const"]
# Table 3: the coefficient with its bootstrap interval, then the analytic OLS statistics as extras.
COEF_COLUMNS = ["coef", "ci_low", "ci_high", "bootstrap_resamples", "std_err", "t", "p_value", "ci_low_ols",
                "ci_high_ols"]
POOLED_COLUMNS = ["rows", "n", "correct", "accuracy", "ci_low", "ci_high"]

PAPER_ROLES = ("core", "eval")  # the paper's evaluation languages; "extra" languages are trained on only
EXPOSURES = ["base", "direct", "zero-shot"]


def _require(acc: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in acc.columns]
    if missing:
        raise ValueError(f"accuracy table lacks column(s) {', '.join(missing)}")


def _check_unique(acc: pd.DataFrame) -> None:
    dup = acc.duplicated(KEY, keep=False)
    if dup.any():
        first = acc.loc[dup, KEY].iloc[0].to_dict()
        raise ValueError(f"accuracy table has {int(dup.sum())} rows with a repeated {KEY} key, e.g. {first}")


# --------------------------------------------------------------------------------------------------
# Which rows carry the paper's numbers


def languages_with_role(languages: Mapping[str, Mapping], roles: Iterable[str]) -> list[str]:
    """Codes of the config's ``languages`` whose ``role`` is one of ``roles``, in config order."""
    roles = set(roles)
    return [code for code, spec in languages.items() if spec["role"] in roles]


def paper_rows(acc: pd.DataFrame, languages: Mapping[str, Mapping]) -> pd.DataFrame:
    """The rows of the paper's evaluation languages (config role ``core`` or ``eval``).

    Every statistic, table and figure that carries a number of the paper is computed from these
    rows only; ``languages`` is the config's ``languages`` section."""
    return acc[acc["lang"].isin(languages_with_role(languages, PAPER_ROLES))]


def extra_rows(acc: pd.DataFrame, languages: Mapping[str, Mapping]) -> pd.DataFrame:
    """The rows of the extra (train-only, config role ``extra``) languages: in no paper number."""
    return acc[acc["lang"].isin(languages_with_role(languages, ["extra"]))]


def exposure(acc: pd.DataFrame) -> pd.Series:
    """Per row: "base" (the untouched base model), "direct" (the evaluation language is in the
    training mixture) or "zero-shot" (it is not)."""
    _require(acc, ["mixture", "in_training"])
    values = np.where(acc["mixture"] == PRETRAINED, "base",
                      np.where(acc["in_training"].astype(bool), "direct", "zero-shot"))
    return pd.Series(values, index=acc.index, name="exposure")


# --------------------------------------------------------------------------------------------------
# Confidence intervals


def wilson_ci(correct, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``correct / n`` (statsmodels ``proportion_confint``, method "wilson").

    Vectorised over array-likes (or scalars); returns float arrays ``(low, high)`` of the
    broadcast shape, NaN where ``n == 0``."""
    correct = np.asarray(correct, dtype=float)
    n = np.asarray(n, dtype=float)
    correct, n = np.broadcast_arrays(correct, n)
    low = np.full(n.shape, np.nan)
    high = np.full(n.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(correct[ok], n[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def pooled_accuracy(acc: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Accuracy of several rows taken together, with its Wilson 95% interval, per group of ``by``.

    ``accuracy`` = Σ correct / Σ n over the group's rows, which is their mean accuracy when every
    row has the same ``n`` (as the parallel test sets of one task do); ``ci_low``/``ci_high`` is
    the Wilson interval of the pooled counts: it reflects the sampling of test items only, treats
    the pooled items as independent, and does not include the spread between the pooled
    languages or mixtures. ``rows`` counts the pooled rows; a group of one row keeps that row's
    accuracy and interval. Columns: ``by`` + ``POOLED_COLUMNS``, groups in sorted order; rows
    without counts are dropped."""
    by = list(by)
    _require(acc, [*by, "n", "correct"])
    data = acc.dropna(subset=["n", "correct"])
    pooled = (data.groupby(by, sort=True, observed=True)
              .agg(rows=("n", "size"), n=("n", "sum"), correct=("correct", "sum")).reset_index())
    pooled["accuracy"] = pooled["correct"] / pooled["n"].where(pooled["n"] > 0)
    pooled["ci_low"], pooled["ci_high"] = wilson_ci(pooled["correct"].to_numpy(), pooled["n"].to_numpy())
    return pooled[[*by, *POOLED_COLUMNS]]


def change_ci(correct: ArrayLike, n: ArrayLike, correct_ref: ArrayLike, n_ref: ArrayLike,
              alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Interval (95% by default) of ``correct / n − correct_ref / n_ref`` (0-1 scale), for
    independent samples.

    Newcombe's hybrid score interval (statsmodels ``confint_proportions_2indep``, method
    "newcomb"), which combines the two accuracies' Wilson intervals. Vectorised like
    ``wilson_ci``; NaN where either ``n`` is 0 or missing."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (correct, n, correct_ref, n_ref)))
    low = np.full(arrays[0].shape, np.nan)
    high = np.full(arrays[0].shape, np.nan)
    ok = (arrays[1] > 0) & (arrays[3] > 0) & ~np.isnan(arrays[0]) & ~np.isnan(arrays[2])
    if ok.any():
        lo, hi = confint_proportions_2indep(*(a[ok] for a in arrays), method="newcomb", compare="diff",
                                            alpha=alpha)
        low[ok], high[ok] = lo, hi
    return low, high


# --------------------------------------------------------------------------------------------------
# Adding one language to English-only training


def bilingual_changes(acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                      source_lang: str = "en") -> pd.DataFrame:
    """Change in accuracy from adding one language to source-only training, per evaluated language.

    For every model × task × *bilingual* mixture (exactly two training languages, one of them
    ``source_lang``; its other language is ``added``) × evaluated language::

        change = 100 × (accuracy[bilingual mixture] − accuracy[source-only mixture])   (points)

    where the source-only mixture is the one whose languages are exactly ``[source_lang]``.
    ``category`` is "english" when ``lang == source_lang`` (the label is the paper's; it means the
    source language), "direct" when ``lang`` is the added language, and "transfer" otherwise
    (including languages never trained on, such as te).

    Rows without a counterpart (same model, task and language in the source-only mixture) and
    rows whose accuracy is NaN are skipped. Returns columns ``CHANGE_COLUMNS``; empty if there is no
    source-only mixture or no bilingual one. Raises ValueError if several mixtures are source-only
    (the baseline would be ambiguous) or if the table repeats a model × task × mixture × lang key.
    """
    _require(acc, ["model", "family", "params_b", "task", "mixture", "lang", "resource", "accuracy"])
    _check_unique(acc)
    empty = pd.DataFrame({c: pd.Series(dtype=float if c in ("params_b", "change") else object)
                          for c in CHANGE_COLUMNS})
    source_only = [m for m, langs in mixture_languages.items() if list(langs) == [source_lang]]
    if len(source_only) > 1:
        raise ValueError(f"several source-only mixtures ({', '.join(source_only)}); the baseline is ambiguous")
    added = {m: next(lang for lang in langs if lang != source_lang)
             for m, langs in mixture_languages.items()
             if len(langs) == 2 and len(set(langs)) == 2 and source_lang in langs}
    if not source_only or not added:
        return empty
    base = acc.loc[acc["mixture"] == source_only[0], ["model", "task", "lang", "accuracy"]]
    bi = acc.loc[acc["mixture"].isin(list(added))]
    merged = bi.merge(base, on=["model", "task", "lang"], how="inner", suffixes=("", "_source"))
    merged = merged.dropna(subset=["accuracy", "accuracy_source"])
    if merged.empty:
        return empty
    out = merged[["model", "family", "params_b", "task", "mixture", "lang", "resource"]].copy()
    out.insert(5, "added", merged["mixture"].map(added))
    out["change"] = 100.0 * (merged["accuracy"] - merged["accuracy_source"])
    out["category"] = np.where(out["lang"] == source_lang, "english",
                               np.where(out["lang"] == out["added"], "direct", "transfer"))
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def _median_ci(x: np.ndarray, n_boot: int, seed: int, confidence: float) -> tuple[float, float]:
    if len(x) < 2 or np.all(x == x[0]):
        # One value (or all equal): no resampling variability to estimate.
        return (np.nan, np.nan) if len(x) < 2 else (float(x[0]), float(x[0]))
    res = sps.bootstrap((x,), np.median, n_resamples=n_boot, method="percentile", confidence_level=confidence,
                        vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarise_changes(changes: pd.DataFrame, n_boot: int = 10000, seed: int = 0,
                      by: str | Sequence[str] = ("task", "category"), confidence: float = 0.95) -> pd.DataFrame:
    """Median change with a bootstrap CI, win rate and mean, per group (Fig. 3).

    Per group of ``by``: ``n`` (changes, NaN dropped), ``median``, ``ci_low``/``ci_high`` — the
    percentile bootstrap ``confidence`` interval of the median (``scipy.stats.bootstrap``,
    ``n_boot`` resamples) — ``win_rate`` (share of changes > 0; ties are not wins) and ``mean``.
    Each group is resampled with a fresh ``numpy.random.default_rng(seed)``, so a group's interval
    does not depend on which other groups are present. Groups of one change get a NaN interval;
    groups whose changes are all equal get the degenerate interval at that value. Columns:
    ``by`` + ``SUMMARY_STATS``; empty (with those columns) for an empty input."""
    by = [by] if isinstance(by, str) else list(by)
    _require(changes, [*by, "change"])
    rows = []
    data = changes.dropna(subset=["change"])
    if not data.empty:
        for key, group in data.groupby(by, sort=True, observed=True):
            x = group["change"].to_numpy(dtype=float)
            low, high = _median_ci(x, n_boot, seed, confidence)
            rows.append({**dict(zip(by, key)), "n": len(x), "median": float(np.median(x)), "ci_low": low,
                         "ci_high": high, "win_rate": float(np.mean(x > 0)), "mean": float(np.mean(x))})
    if not rows:
        return pd.DataFrame(columns=[*by, *SUMMARY_STATS])
    return pd.DataFrame(rows, columns=[*by, *SUMMARY_STATS])


def win_rates(changes: pd.DataFrame) -> pd.DataFrame:
    """Win rates of adding one language (Table 2): share of changes > 0, on a 0-1 scale.

    Rows: category ("english", "direct", "transfer", always all three, NaN where a category has
    no changes); columns: each task (in order of first appearance) and "all", which pools the
    tasks (a share over all changes of the category, not a mean of the task columns). A change of
    exactly 0 (same number of correct items) is a tie and counts as *not* a win. NaN changes are
    ignored."""
    _require(changes, ["task", "category", "change"])
    data = changes.dropna(subset=["change"])
    wins = data.assign(win=data["change"] > 0)
    tasks = list(pd.unique(wins["task"]))
    table = pd.DataFrame(index=pd.Index(CATEGORIES, name="category"), columns=[*tasks, "all"], dtype=float)
    for task in tasks:
        table[task] = wins[wins["task"] == task].groupby("category")["win"].mean()
    table["all"] = wins.groupby("category")["win"].mean()
    table.columns.name = "task"
    return table


def win_rate_table(changes: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Table 2: win counts and win rates of adding one language, with Wilson intervals.

    One row per category ("english", "direct", "transfer", in that order) × task (in order of first
    appearance, then "all", which pools the tasks): ``wins`` (changes > 0; a tie is not a win),
    ``n`` (changes, NaN dropped), ``win_rate`` = wins / n and its Wilson score ``1 − alpha``
    interval ``ci_low``/``ci_high`` (:func:`wilson_ci`), all on a 0-1 scale; NaN where ``n`` is 0.
    The paper's intervals are these: 30/40 wins give [0.598, 0.858], 35/40 [0.739, 0.945],
    119/160 [0.671, 0.805]. Columns ``WIN_COLUMNS``."""
    _require(changes, ["task", "category", "change"])
    data = changes.dropna(subset=["change"])
    rows = []
    for task in [*pd.unique(data["task"]), "all"]:
        d = data if task == "all" else data[data["task"] == task]
        for category in CATEGORIES:
            x = d.loc[d["category"] == category, "change"]
            rows.append({"category": category, "task": task, "wins": int((x > 0).sum()), "n": len(x)})
    table = pd.DataFrame(rows, columns=["category", "task", "wins", "n"])
    table["win_rate"] = table["wins"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = wilson_ci(table["wins"].to_numpy(), table["n"].to_numpy(), alpha=alpha)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    table = table.sort_values("category", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
    return table[WIN_COLUMNS]


# --------------------------------------------------------------------------------------------------
# Zero-shot transfer vs direct training


def direct_baseline(mixture_languages: Mapping[str, Sequence[str]], lang: str, source_lang: str = "en") -> str | None:
    """The mixture that trains on ``lang`` directly, with the fewest languages, against which its
    zero-shot accuracy is compared: ``source_lang`` + ``lang`` (``en-X``) for a language other than
    the source; for the source language itself, the source-only mixture (``en``), as English is
    in every bilingual mixture and so has no bilingual mixture of its own. Mixtures are found by
    their languages, not their names; None if the config has no such mixture. ValueError if
    several mixtures have the same languages (the baseline would be ambiguous)."""
    wanted = {source_lang} if lang == source_lang else {source_lang, lang}
    found = [m for m, langs in mixture_languages.items() if set(langs) == wanted and len(langs) == len(wanted)]
    if len(found) > 1:
        raise ValueError(f"several mixtures train on exactly {sorted(wanted)} ({', '.join(found)}); "
                         "the direct baseline is ambiguous")
    return found[0] if found else None


def zero_shot_design(mixture_languages: Mapping[str, Sequence[str]], core_languages: Sequence[str],
                     source_lang: str = "en") -> list[dict]:
    """Which mixtures compare zero-shot with direct training, per core language X.

    One entry per core language X (the source language included) and *zero-shot mixture* of X: a
    mixture without X but with every other core language (``core-minus-X``, ``core-minus-X+fr-th``,
    ``core-minus-X+extras``: 4, 6 and 9 training languages in the study). Each entry is a dict with
    ``lang`` (X), ``zero_shot`` (the mixture), ``train_size`` (its number of languages) and
    ``direct`` (:func:`direct_baseline` of X: ``en-X``, or ``en`` for English; None if the config
    lacks it). Entries follow the order of ``core_languages``, then of ``mixture_languages``."""
    core = list(core_languages)
    design = []
    for lang in core:
        others = set(core) - {lang}
        direct = direct_baseline(mixture_languages, lang, source_lang)
        for mixture, langs in mixture_languages.items():
            if lang not in langs and others <= set(langs):
                design.append({"lang": lang, "zero_shot": mixture, "train_size": len(langs), "direct": direct})
    return design


def zero_shot_vs_direct(acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                        core_languages: Sequence[str], source_lang: str = "en") -> pd.DataFrame:
    """Accuracy on a core language X without vs with training on X (Figs. 4 and 9), long format.

    For every core language X, English included (:func:`zero_shot_design`):

    * zero-shot: accuracy on X from every mixture that leaves X out but has all the other core
      languages (4, 6 and 9 training languages); ``setting`` = "zero-shot-<size>".
    * direct: accuracy on X from its direct baseline, the bilingual mixture ``en-X``, or for
      English the English-only mixture ``en`` (:func:`direct_baseline`); ``setting`` = "direct".

    ``train_size`` is the number of training languages of the mixture (1 for English's direct
    baseline, 2 for the others). Missing models/mixtures are skipped; NaN accuracies dropped; a
    repeated model × task × mixture × lang key raises ValueError. Columns ``ZERO_SHOT_COLUMNS``."""
    _require(acc, ["model", "family", "params_b", "task", "mixture", "lang", "resource", "n", "correct",
                   "accuracy"])
    _check_unique(acc)
    wanted = {}  # (mixture, lang) -> (setting, train_size)
    for case in zero_shot_design(mixture_languages, core_languages, source_lang):
        wanted[(case["zero_shot"], case["lang"])] = (f"zero-shot-{case['train_size']}", case["train_size"])
        if case["direct"] is not None:
            wanted[(case["direct"], case["lang"])] = ("direct", len(mixture_languages[case["direct"]]))
    pieces = []
    for (mixture, lang), (setting, size) in wanted.items():
        rows = acc.loc[(acc["mixture"] == mixture) & (acc["lang"] == lang)]
        if not rows.empty:
            pieces.append(rows.assign(setting=setting, train_size=size))
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("params_b", "accuracy") else
                                          int if c in ("train_size", "n", "correct") else object)
                             for c in ZERO_SHOT_COLUMNS})
    out = pd.concat(pieces, ignore_index=True).dropna(subset=["accuracy"])
    return out[ZERO_SHOT_COLUMNS].reset_index(drop=True)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value for paired 0/1 outcomes.

    ``only_a`` / ``only_b``: the discordant pairs (items right under condition a only / under b
    only); concordant pairs carry no information about a difference. Under the null hypothesis of
    equal accuracy each discordant pair falls either way with probability 1/2, so the p-value is
    the two-sided binomial tail ``min(1, 2 · P(Binomial(only_a + only_b, 1/2) <= min(only_a,
    only_b)))`` (as statsmodels' ``mcnemar(exact=True)``); 1.0 without discordant pairs."""
    n = int(only_a) + int(only_b)
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * sps.binom.cdf(min(int(only_a), int(only_b)), n, 0.5)))


def zero_shot_case_tests(items: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                         core_languages: Sequence[str], source_lang: str = "en", alpha: float = 0.05) -> pd.DataFrame:
    """The paper's zero-shot vs direct comparison: one two-sided test per *case*.

    A case is model × task × core language X × zero-shot training size (:func:`zero_shot_design`):
    X's accuracy after a mixture that leaves it out (4, 6 or 9 training languages) against X's
    accuracy after its direct baseline (``en-X``; for English, the English-only mixture ``en``).
    English is included.

    ``items`` holds the per-item 0/1 scores of the evaluations (columns ``model, task, mixture,
    lang, id, correct``; one row per test item, from ``eval/<model>/<task>/<mixture>.samples.jsonl``).
    A task's test items are the same in every mixture, so the two accuracies of a case are measured
    on the same items: the test is **McNemar's exact test** on the paired items
    (:func:`mcnemar_exact`), which uses the items where the two checkpoints disagree and is exact
    at any test size. The paper says "two-sided t-tests"; a t-test of two 0/1 samples of a few
    hundred items treats them as independent and normal, while McNemar's test is the standard
    two-sided test for paired binary outcomes. Items are paired by ``id``; an item present under one
    mixture only is left out (``n_items`` counts the pairs).

    ``outcome`` is "better" (zero-shot higher, p < ``alpha``), "worse" (lower, p < ``alpha``) or
    "not different". Cases whose mixtures are missing, or that share no item, are skipped.
    Columns ``CASE_COLUMNS`` (``family``, ``params_b`` and ``resource`` are filled by
    :func:`paper_case_tests`; here they are left empty); ``diff`` is zero-shot − direct accuracy
    (0-1 scale)."""
    _require(items, ["model", "task", "mixture", "lang", "id", "correct"])
    design = [c for c in zero_shot_design(mixture_languages, core_languages, source_lang) if c["direct"] is not None]
    mixtures = {c["zero_shot"] for c in design} | {c["direct"] for c in design}
    data = items[items["mixture"].isin(mixtures) & items["lang"].isin(list(core_languages))]
    rows = []
    if not data.empty:
        if data.duplicated(["model", "task", "mixture", "lang", "id"]).any():
            raise ValueError("per-item scores repeat a model × task × mixture × lang × id key")
        scores = (data.assign(correct=data["correct"].astype(bool).astype(int))
                  .set_index(["model", "task", "lang", "id", "mixture"])["correct"].unstack("mixture"))
        by_lang: dict[str, list[dict]] = {}
        for case in design:
            by_lang.setdefault(case["lang"], []).append(case)
        for (model, task, lang), block in scores.groupby(level=["model", "task", "lang"], sort=False):
            for case in by_lang.get(lang, []):
                zs, direct = case["zero_shot"], case["direct"]
                if zs not in block.columns or direct not in block.columns:
                    continue
                pair = block[[zs, direct]].dropna()
                if pair.empty:
                    continue
                z, d = pair[zs].to_numpy(dtype=int), pair[direct].to_numpy(dtype=int)
                only_z, only_d = int(np.sum((z == 1) & (d == 0))), int(np.sum((z == 0) & (d == 1)))
                p = mcnemar_exact(only_z, only_d)
                outcome = "not different" if p >= alpha else ("better" if only_z > only_d else "worse")
                rows.append({"model": model, "family": None, "params_b": np.nan, "task": task, "lang": lang,
                             "resource": None, "train_size": case["train_size"], "zero_shot_mixture": zs,
                             "direct_mixture": direct, "n_items": len(pair), "zero_shot_correct": int(z.sum()),
                             "direct_correct": int(d.sum()), "zero_shot_accuracy": float(z.mean()),
                             "direct_accuracy": float(d.mean()), "diff": float(z.mean() - d.mean()),
                             "only_zero_shot": only_z, "only_direct": only_d, "p_value": p, "outcome": outcome})
    return pd.DataFrame(rows, columns=CASE_COLUMNS)


def paper_case_tests(items: pd.DataFrame, acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                     languages: Mapping[str, Mapping], source_lang: str = "en", alpha: float = 0.05) -> pd.DataFrame:
    """:func:`zero_shot_case_tests` over the config's core languages, with each case's model family
    and size (from the accuracy table ``acc``) and its language's resource level (config)."""
    cases = zero_shot_case_tests(items, mixture_languages, languages_with_role(languages, ["core"]), source_lang,
                                 alpha)
    meta = acc.drop_duplicates("model").set_index("model")
    cases["family"] = cases["model"].map(meta["family"])
    cases["params_b"] = cases["model"].map(meta["params_b"]).astype(float)
    cases["resource"] = cases["lang"].map({code: spec["resource"] for code, spec in languages.items()})
    # the order of the tables: task and model as in the accuracy table, languages as in the config
    order = {"task": list(pd.unique(acc["task"])), "model": list(meta.index), "lang": list(languages)}
    rank = {col: {v: i for i, v in enumerate(values)} for col, values in order.items()}
    return (cases.sort_values(["task", "train_size", "model", "lang"], kind="stable",
                              key=lambda c: c.map(rank[c.name]) if c.name in rank else c)
            .reset_index(drop=True))


def largest_per_family(cases: pd.DataFrame) -> list[str]:
    """The largest model of each family in a table with ``model, family, params_b`` columns (Fig 4's
    models: Qwen3-8B and Gemma3-4B in the paper)."""
    sizes = cases.drop_duplicates("model")
    if sizes.empty:
        return []
    return [g.loc[g["params_b"].idxmax(), "model"] for _, g in sizes.groupby("family", sort=False)]


def case_shares(cases: pd.DataFrame, source_lang: str = "en") -> pd.DataFrame:
    """Shares of cases in which zero-shot is better / not different / worse than direct training.

    The paper states its comparison as shares of cases with their counts (e.g. 87.5% = 7/8). Its
    grouping of cases is not stated, so the table gives one row per task × zero-shot training size
    × ``models`` ("all", or "largest per family": Fig 4's models) × ``languages`` ("all core",
    "core except <source>", "high-resource", "low-resource"). ``cases`` counts the tests of the
    group; ``better``/``not_different``/``worse`` count outcomes of :func:`zero_shot_case_tests`;
    ``*_share`` are those counts over ``cases``; ``not_worse_share`` = (better + not different) /
    cases, the share where zero-shot matches or exceeds direct training. Groups without cases are
    left out. Columns ``SHARE_COLUMNS``."""
    _require(cases, ["model", "family", "params_b", "task", "lang", "resource", "train_size", "outcome"])
    largest = largest_per_family(cases)
    model_scopes = {"all": lambda d: d, "largest per family": lambda d: d[d["model"].isin(largest)]}
    lang_scopes = {"all core": lambda d: d, f"core except {source_lang}": lambda d: d[d["lang"] != source_lang],
                   "high-resource": lambda d: d[d["resource"] == "high"],
                   "low-resource": lambda d: d[d["resource"] == "low"]}
    rows = []
    for task in pd.unique(cases["task"]):
        for size in sorted(pd.unique(cases.loc[cases["task"] == task, "train_size"])):
            group = cases[(cases["task"] == task) & (cases["train_size"] == size)]
            for models, pick_models in model_scopes.items():
                for langs, pick_langs in lang_scopes.items():
                    d = pick_langs(pick_models(group))
                    if d.empty:
                        continue
                    counts = {o: int((d["outcome"] == o).sum()) for o in OUTCOMES}
                    n = len(d)
                    rows.append({"task": task, "train_size": int(size), "models": models, "languages": langs,
                                 "cases": n, "better": counts["better"], "not_different": counts["not different"],
                                 "worse": counts["worse"], "better_share": counts["better"] / n,
                                 "not_different_share": counts["not different"] / n,
                                 "worse_share": counts["worse"] / n,
                                 "not_worse_share": (counts["better"] + counts["not different"]) / n})
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def ttest_zero_shot_vs_direct(rows: pd.DataFrame) -> pd.DataFrame:
    """An extra view, not the paper's test: pooled two-sided Welch t-tests of zero-shot vs direct
    accuracy, per task × zero-shot training size (the paper's per-case tests are
    :func:`zero_shot_case_tests`).

    ``rows`` is the output of ``zero_shot_vs_direct``. For each task and each zero-shot setting
    (training size k), the zero-shot accuracies (one per model × language cell) are compared with
    the task's "direct" accuracies by ``scipy.stats.ttest_ind(zero_shot, direct, equal_var=False)``
    (Welch's unequal-variance test), the samples treated as independent. To keep the two samples
    comparable on partial tables, both are restricted to the model × language cells present in
    both (on the full table every cell is). ``diff`` = mean_zero_shot − mean_direct (0-1 scale;
    positive = zero-shot better). ``t`` and ``p`` are NaN when a side has fewer than 2 values.
    ``test`` labels the rows (:data:`POOLED_TTEST_LABEL`). Columns ``TTEST_COLUMNS``."""
    _require(rows, ["model", "task", "lang", "setting", "train_size", "accuracy"])
    out = []
    for task in pd.unique(rows["task"]):
        d = rows[rows["task"] == task]
        direct = d[d["setting"] == "direct"]
        zero = d[d["setting"].str.startswith("zero-shot")]
        for size in sorted(pd.unique(zero["train_size"])):
            z = zero[zero["train_size"] == size]
            cells = set(zip(z["model"], z["lang"])) & set(zip(direct["model"], direct["lang"]))

            def in_cells(frame: pd.DataFrame) -> np.ndarray:
                keep = np.array([c in cells for c in zip(frame["model"], frame["lang"])], dtype=bool)
                return frame.loc[keep, "accuracy"].to_numpy(dtype=float)

            zc, dc = in_cells(z), in_cells(direct)
            if len(zc) >= 2 and len(dc) >= 2:
                res = sps.ttest_ind(zc, dc, equal_var=False)
                t, p = float(res.statistic), float(res.pvalue)
            else:
                t = p = np.nan
            mz = float(np.mean(zc)) if len(zc) else np.nan
            md = float(np.mean(dc)) if len(dc) else np.nan
            out.append({"test": POOLED_TTEST_LABEL, "task": task, "train_size": int(size),
                        "setting": f"zero-shot-{int(size)}", "mean_zero_shot": mz, "mean_direct": md, "diff": mz - md,
                        "t": t, "p": p, "n_zero_shot": len(zc), "n_direct": len(dc)})
    return pd.DataFrame(out, columns=TTEST_COLUMNS)


# --------------------------------------------------------------------------------------------------
# Pooled regression (Table 3)


def regression_design(acc: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Design matrix ``X`` (columns ``PREDICTORS``, constant last) and response ``y`` (accuracy, 0-1).

    Raises ValueError on a repeated model × task × mixture × lang key. Rows with NaN accuracy are
    dropped, and rows are put in a canonical order (sorted by model,
    task, mixture, lang) so the random split of ``regression`` does not depend on the input's row
    order. ``sqrt_L_over_Lmax`` = sqrt(n_train_langs / max n_train_langs), the max taken over the
    given table (10 on the full study; 0 everywhere if every row is pretrained)."""
    _require(acc, ["model", "family", "params_b", "task", "mixture", "n_train_langs", "lang", "in_training",
                   "accuracy"])
    _check_unique(acc)
    d = acc.dropna(subset=["accuracy"]).sort_values(KEY, kind="stable").reset_index(drop=True)
    l_max = float(d["n_train_langs"].max()) if len(d) else 0.0
    ratio = d["n_train_langs"].astype(float) / l_max if l_max > 0 else d["n_train_langs"].astype(float) * 0.0
    X = pd.DataFrame({
        "log10_params": np.log10(d["params_b"].astype(float)),
        "family_qwen": (d["family"] == "qwen3").astype(float),
        "task_math": (d["task"] == "math").astype(float),
        "pretrained_only": (d["mixture"] == PRETRAINED).astype(float),
        "lang_in_training": d["in_training"].astype(bool).astype(float),
        "sqrt_L_over_Lmax": np.sqrt(ratio),
        "const": 1.0,
    }, index=d.index)[PREDICTORS]
    return X, d["accuracy"].astype(float)


def split_indices(n: int, seed: int = 0, test_size: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random train/test split of ``n`` rows: ``perm = default_rng(seed).permutation(n)``;
    the first ``round(test_size * n)`` positions are the test rows, the rest train. Returns
    ``(train, test)`` positional indices, each sorted."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_size * n))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _identifiable(X: pd.DataFrame) -> list[str]:
    """The predictors of ``X`` the fit can estimate, in ``PREDICTORS`` order: the constant, then
    each predictor that adds a dimension to those kept before it (it varies, and is not a linear
    combination of them)."""
    kept = ["const"]
    if len(X) == 0:
        return kept
    for name in PREDICTORS[:-1]:
        candidate = X[[*kept, name]].to_numpy(dtype=float)
        if np.linalg.matrix_rank(candidate) == len(kept) + 1:
            kept.append(name)
    return [p for p in PREDICTORS if p in kept]


def bootstrap_coefficients(X: np.ndarray, y: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """OLS coefficients of ``n_boot`` case-resamples of the rows of ``(X, y)``.

    Each resample draws ``len(y)`` rows with replacement; it is represented by how often it draws
    each row (``rng.multinomial``, equal probabilities), and its least-squares fit solves the
    normal equations weighted by those counts, all resamples at once. A resample whose design is
    rank-deficient (a predictor constant in it, e.g. a dummy whose rows were never drawn) has no
    unique fit and is left out. Returns an array of shape (kept resamples, columns of ``X``)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n, k = X.shape
    if n == 0 or n_boot <= 0:
        return np.empty((0, k))
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)  # (resamples, rows)
    xtx = (counts @ (X[:, :, None] * X[:, None, :]).reshape(n, k * k)).reshape(n_boot, k, k)
    xty = counts @ (X * y[:, None])
    unique = np.linalg.matrix_rank(xtx) == k
    return np.linalg.solve(xtx[unique], xty[unique][..., None])[..., 0]


def regression(acc: pd.DataFrame, seed: int = 0, test_size: float = 0.3, n_boot: int = 2000,
               confidence: float = 0.95) -> tuple[pd.DataFrame, float, float]:
    """Pooled OLS of accuracy (0-1 scale) on the paper's six predictors (Table 3).

    accuracy ~ const + log10(params_b) + [family == qwen3] + [task == math]
               + [mixture == pretrained] + [eval language in training] + sqrt(n_train_langs / max)

    Rows (see ``regression_design``) are split at random, 70/30 by default (``split_indices``,
    seeded numpy Generator permutation); ``statsmodels`` OLS is fitted on the training rows.
    Returns ``(coef_table, r2_test, r2_train)``: ``coef_table`` is indexed by ``PREDICTORS``
    (``log10_params, family_qwen, task_math, pretrained_only, lang_in_training, sqrt_L_over_Lmax,
    const``) with columns ``COEF_COLUMNS``:

    * ``coef`` and its ``confidence`` interval ``ci_low``/``ci_high`` from a seeded case
      bootstrap, as the paper's: the training rows are resampled with replacement ``n_boot``
      times, OLS refitted on each (:func:`bootstrap_coefficients`, generator
      ``numpy.random.default_rng([seed, 1])``, independent of the split's), and the interval is
      the percentile interval of the refitted coefficients; ``bootstrap_resamples`` counts the
      resamples that had a unique fit. Rows of one model, task and mixture are not independent,
      and resampling rows (not models) ignores that, as an interval of a pooled regression does.
    * extras: the analytic OLS standard error ``std_err``, ``t``, ``p_value`` and the analytic
      interval ``ci_low_ols``/``ci_high_ols`` (statsmodels, same confidence).

    ``r2_test`` = 1 − SSE/SST on the held-out rows, SST about the held-out mean; ``r2_train`` is
    the fit's R².

    The paper reports held-out R² = 80.5% and coefficients 0.302 (log10_params), 0.265
    (family_qwen), −0.207 (task_math), −0.110 (pretrained_only), 0.089 (lang_in_training), 0.053
    (sqrt_L_over_Lmax). Its split seed is not given, so exact values will differ.

    A predictor that does not vary in the training rows (e.g. one model family in a partial
    table), or that the predictors before it already determine (e.g. the family when each family
    has one model size), is not identifiable: it is left out of the fit and reported as a NaN row
    (:func:`_identifiable`). With fewer training rows than parameters, or fewer than 2 test rows,
    the table is all NaN / the R² NaN.
    """
    X, y = regression_design(acc)
    table = pd.DataFrame(np.nan, index=pd.Index(PREDICTORS, name="predictor"), columns=COEF_COLUMNS)
    train, test = split_indices(len(y), seed=seed, test_size=test_size)
    Xtr, ytr = X.iloc[train], y.iloc[train]
    used = _identifiable(Xtr)
    if len(Xtr) <= len(used):
        return table, np.nan, np.nan
    fit = sm.OLS(ytr, Xtr[used]).fit()
    alpha = 1.0 - confidence
    ci = fit.conf_int(alpha=alpha)
    table.loc[used, "coef"] = fit.params
    table.loc[used, "std_err"] = fit.bse
    table.loc[used, "t"] = fit.tvalues
    table.loc[used, "p_value"] = fit.pvalues
    table.loc[used, "ci_low_ols"] = ci[0]
    table.loc[used, "ci_high_ols"] = ci[1]
    boot = bootstrap_coefficients(Xtr[used].to_numpy(dtype=float), ytr.to_numpy(dtype=float), n_boot,
                                  np.random.default_rng([seed, 1]))
    table.loc[used, "bootstrap_resamples"] = len(boot)
    if len(boot) >= 2:
        table.loc[used, "ci_low"] = np.percentile(boot, 100 * alpha / 2, axis=0)
        table.loc[used, "ci_high"] = np.percentile(boot, 100 * (1 - alpha / 2), axis=0)
    r2_test = np.nan
    if len(test) >= 2:
        yte = y.iloc[test].to_numpy()
        pred = fit.predict(X.iloc[test][used]).to_numpy()
        sst = float(np.sum((yte - yte.mean()) ** 2))
        r2_test = 1.0 - float(np.sum((yte - pred) ** 2)) / sst if sst > 0 else np.nan
    return table, r2_test, float(fit.rsquared)


def zero_shot_rows(acc: pd.DataFrame, mixture_languages: dict, languages: dict, source_lang: str = "en") -> pd.DataFrame:
    """:func:`zero_shot_vs_direct` with the core languages taken from the config's ``languages``."""
    return zero_shot_vs_direct(acc, mixture_languages, languages_with_role(languages, ["core"]), source_lang)


# --------------------------------------------------------------------------------------------------
# Everything that carries a paper number


@dataclass(frozen=True)
class PaperStatistics:
    """The statistics of the paper's tables and headline numbers (see :func:`paper_statistics`)."""

    changes: pd.DataFrame  # bilingual_changes
    summary: pd.DataFrame  # summarise_changes (Fig. 3, headline medians)
    win_rates: pd.DataFrame  # win_rates (headline numbers)
    win_table: pd.DataFrame  # win_rate_table (Table 2: win counts with Wilson intervals)
    coef: pd.DataFrame  # regression coefficients with bootstrap intervals (Table 3)
    r2_test: float
    r2_train: float
    ttests: pd.DataFrame  # ttest_zero_shot_vs_direct (extra, pooled)
    cases: pd.DataFrame  # paper_case_tests (one McNemar test per case)
    case_shares: pd.DataFrame  # case_shares (shares of cases better / not different / worse)


def paper_statistics(acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                     languages: Mapping[str, Mapping], source_lang: str = "en", seed: int = 0,
                     n_boot: int = 10000, items: pd.DataFrame | None = None,
                     n_boot_regression: int = 2000) -> PaperStatistics:
    """Every statistic that carries a number of the paper, from :func:`paper_rows` only.

    ``languages`` is the config's ``languages`` section: rows of extra (train-only) languages are
    dropped before anything is computed, so they change no median, win rate, coefficient or
    test. ``items`` holds the per-item scores of the evaluations (see
    :func:`zero_shot_case_tests`); without them the per-case tests are empty. ``seed`` seeds the
    bootstraps (``n_boot`` resamples of the medians, ``n_boot_regression`` of the regression) and
    the regression's train/test split."""
    paper = paper_rows(acc, languages)
    changes = bilingual_changes(paper, mixture_languages, source_lang)
    coef, r2_test, r2_train = regression(paper, seed=seed, n_boot=n_boot_regression)
    zero_shot = zero_shot_rows(paper, mixture_languages, languages, source_lang)
    if items is None:
        items = pd.DataFrame(columns=["model", "task", "mixture", "lang", "id", "correct"])
    cases = paper_case_tests(items[items["lang"].isin(languages_with_role(languages, PAPER_ROLES))], paper,
                             mixture_languages, languages, source_lang)
    return PaperStatistics(changes=changes, summary=summarise_changes(changes, n_boot=n_boot, seed=seed),
                           win_rates=win_rates(changes), win_table=win_rate_table(changes), coef=coef,
                           r2_test=r2_test, r2_train=r2_train, ttests=ttest_zero_shot_vs_direct(zero_shot),
                           cases=cases, case_shares=case_shares(cases, source_lang))
