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
    Every statistic behind Tables 2-3, the headline numbers, Fig. 3 and the t-tests, from
    ``paper_rows`` alone.
``wilson_ci`` / ``pooled_accuracy`` / ``change_ci``
    Wilson score 95% interval of an accuracy ``correct / n`` (statsmodels), the error bars of every
    accuracy figure; the same for the pooled counts of several rows; and Newcombe's interval of a
    difference of two accuracies, built from their two Wilson intervals (Fig. 7).
``exposure``
    Whether a row's evaluation language was trained on: "direct" (in the training mixture),
    "zero-shot" (not in it) or "base" (the untouched base model). Figures never pool zero-shot
    with direct rows.
``bilingual_changes`` / ``summarise_changes`` / ``win_rates``
    Adding one language X to English-only training (mixture ``en-X`` vs ``en``): the change in
    accuracy, in percentage points, on every evaluated language, split into *english* (the
    source language itself), *direct* (X) and *transfer* (every other language). The paper
    summarises the changes by their median with a bootstrap CI (Fig. 3) and by win rates, the
    share of positive changes (Table 2).
``zero_shot_vs_direct`` / ``ttest_zero_shot_vs_direct``
    Accuracy on a core language X when X is *not* trained on but the other core languages are
    (leave-one-out mixtures with 4, 6 and 9 training languages), against accuracy on X after
    training on English + X only (Figs. 4 and 9), compared with two-sided t-tests.
``regression``
    The pooled OLS of accuracy on log10(parameters), model family, task, pretrained-only,
    evaluation language in training and sqrt(L / L_max) (Table 3). The paper reports a held-out
    R² of 80.5% and coefficients 0.302 (log10 params), 0.265 (Qwen3), -0.207 (math), -0.110
    (pretrained only), 0.089 (language in training) and 0.053 (sqrt(L / L_max)).
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
TTEST_COLUMNS = ["task", "train_size", "setting", "mean_zero_shot", "mean_direct", "diff", "t", "p",
                 "n_zero_shot", "n_direct"]
PREDICTORS = ["log10_params", "family_qwen", "task_math", "pretrained_only", "lang_in_training",
              "sqrt_L_over_Lmax", "const"]
COEF_COLUMNS = ["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]
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


# --------------------------------------------------------------------------------------------------
# Zero-shot transfer vs direct training


def zero_shot_vs_direct(acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                        core_languages: Sequence[str], source_lang: str = "en") -> pd.DataFrame:
    """Accuracy on a core language X without vs with training on X (Figs. 4 and 9), long format.

    For every core language X other than ``source_lang``:

    * zero-shot: accuracy on X from every mixture that excludes X but includes all the other core
      languages (``core-minus-X``, ``core-minus-X+fr-th``, ``core-minus-X+extras``: 4, 6 and 9
      training languages); ``setting`` = "zero-shot-<size>".
    * direct: accuracy on X from the bilingual mixture {source_lang, X} (``en-X``); ``setting`` =
      "direct-2".

    ``train_size`` is the number of training languages of the mixture. Mixtures are identified by
    their languages, not their names. Missing models/mixtures are skipped; NaN accuracies dropped;
    a repeated model × task × mixture × lang key raises ValueError. Columns ``ZERO_SHOT_COLUMNS``."""
    _require(acc, ["model", "family", "params_b", "task", "mixture", "lang", "resource", "n", "correct",
                   "accuracy"])
    _check_unique(acc)
    core = set(core_languages)
    pieces = []
    for x in core_languages:
        if x == source_lang:
            continue
        others = core - {x}
        for mixture, langs in mixture_languages.items():
            langs = set(langs)
            if x not in langs and others <= langs:
                setting = f"zero-shot-{len(langs)}"
            elif langs == {source_lang, x}:
                setting = "direct-2"
            else:
                continue
            rows = acc.loc[(acc["mixture"] == mixture) & (acc["lang"] == x)]
            if not rows.empty:
                pieces.append(rows.assign(setting=setting, train_size=len(langs)))
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("params_b", "accuracy") else
                                          int if c in ("train_size", "n", "correct") else object)
                             for c in ZERO_SHOT_COLUMNS})
    out = pd.concat(pieces, ignore_index=True).dropna(subset=["accuracy"])
    return out[ZERO_SHOT_COLUMNS].reset_index(drop=True)


def ttest_zero_shot_vs_direct(rows: pd.DataFrame) -> pd.DataFrame:
    """Two-sided Welch t-tests of zero-shot vs direct accuracy, per task × zero-shot training size.

    ``rows`` is the output of ``zero_shot_vs_direct``. For each task and each zero-shot setting
    (training size k), the zero-shot accuracies are compared with the task's "direct-2" accuracies
    by ``scipy.stats.ttest_ind(zero_shot, direct, equal_var=False)`` (Welch's unequal-variance
    test). The paper says only "two-sided t-tests"; pairing is not stated, so the samples are
    treated as independent. To keep the two samples comparable on partial tables, both are
    restricted to the model × language cells present in both (on the full table every cell is).
    ``diff`` = mean_zero_shot − mean_direct (0-1 scale; positive = zero-shot better). ``t`` and
    ``p`` are NaN when a side has fewer than 2 values. Columns ``TTEST_COLUMNS``."""
    _require(rows, ["model", "task", "lang", "setting", "train_size", "accuracy"])
    out = []
    for task in pd.unique(rows["task"]):
        d = rows[rows["task"] == task]
        direct = d[d["setting"] == "direct-2"]
        zero = d[d["setting"].str.startswith("zero-shot")]
        for size in sorted(pd.unique(zero["train_size"])):
            z = zero[zero["train_size"] == size]
            cells = set(zip(z["model"], z["lang"])) & set(zip(direct["model"], direct["lang"]))
            zc = z[[c in cells for c in zip(z["model"], z["lang"])]]["accuracy"].to_numpy(dtype=float)
            dc = direct[[c in cells for c in zip(direct["model"], direct["lang"])]]["accuracy"].to_numpy(dtype=float)
            if len(zc) >= 2 and len(dc) >= 2:
                res = sps.ttest_ind(zc, dc, equal_var=False)
                t, p = float(res.statistic), float(res.pvalue)
            else:
                t = p = np.nan
            mz = float(np.mean(zc)) if len(zc) else np.nan
            md = float(np.mean(dc)) if len(dc) else np.nan
            out.append({"task": task, "train_size": int(size), "setting": f"zero-shot-{int(size)}",
                        "mean_zero_shot": mz, "mean_direct": md, "diff": mz - md, "t": t, "p": p,
                        "n_zero_shot": len(zc), "n_direct": len(dc)})
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


def regression(acc: pd.DataFrame, seed: int = 0, test_size: float = 0.3) -> tuple[pd.DataFrame, float, float]:
    """Pooled OLS of accuracy (0-1 scale) on the paper's six predictors (Table 3).

    accuracy ~ const + log10(params_b) + [family == qwen3] + [task == math]
               + [mixture == pretrained] + [eval language in training] + sqrt(n_train_langs / max)

    Rows (see ``regression_design``) are split at random, 70/30 by default (``split_indices``,
    seeded numpy Generator permutation); ``statsmodels`` OLS is fitted on the training rows.
    Returns ``(coef_table, r2_test, r2_train)``: ``coef_table`` is indexed by ``PREDICTORS``
    (``log10_params, family_qwen, task_math, pretrained_only, lang_in_training, sqrt_L_over_Lmax,
    const``) with columns ``coef, std_err, t, p_value, ci_low, ci_high`` (95% CI);
    ``r2_test`` = 1 − SSE/SST on the held-out rows, SST about the held-out mean; ``r2_train`` is
    the fit's R².

    The paper reports held-out R² = 80.5% and coefficients 0.302 (log10_params), 0.265
    (family_qwen), −0.207 (task_math), −0.110 (pretrained_only), 0.089 (lang_in_training), 0.053
    (sqrt_L_over_Lmax). Its split seed is not given, so exact values will differ.

    A predictor that does not vary in the training rows (e.g. one model family in a partial
    table) is not identifiable: it is left out of the fit and reported as a NaN row. With fewer
    training rows than parameters, or fewer than 2 test rows, the table is all NaN / the R² NaN.
    """
    X, y = regression_design(acc)
    table = pd.DataFrame(np.nan, index=pd.Index(PREDICTORS, name="predictor"), columns=COEF_COLUMNS)
    train, test = split_indices(len(y), seed=seed, test_size=test_size)
    Xtr, ytr = X.iloc[train], y.iloc[train]
    used = [p for p in PREDICTORS if p == "const" or (len(Xtr) and Xtr[p].nunique() > 1)]
    if len(Xtr) <= len(used):
        return table, np.nan, np.nan
    fit = sm.OLS(ytr, Xtr[used]).fit()
    ci = fit.conf_int(alpha=0.05)
    table.loc[used, "coef"] = fit.params
    table.loc[used, "std_err"] = fit.bse
    table.loc[used, "t"] = fit.tvalues
    table.loc[used, "p_value"] = fit.pvalues
    table.loc[used, "ci_low"] = ci[0]
    table.loc[used, "ci_high"] = ci[1]
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
    win_rates: pd.DataFrame  # win_rates (Table 2)
    coef: pd.DataFrame  # regression coefficients (Table 3)
    r2_test: float
    r2_train: float
    ttests: pd.DataFrame  # ttest_zero_shot_vs_direct


def paper_statistics(acc: pd.DataFrame, mixture_languages: Mapping[str, Sequence[str]],
                     languages: Mapping[str, Mapping], source_lang: str = "en", seed: int = 0,
                     n_boot: int = 10000) -> PaperStatistics:
    """Every statistic that carries a number of the paper, from :func:`paper_rows` only.

    ``languages`` is the config's ``languages`` section: rows of extra (train-only) languages are
    dropped before anything is computed, so they change no median, win rate, coefficient or
    t-test. ``seed`` seeds the bootstrap and the regression's train/test split."""
    paper = paper_rows(acc, languages)
    changes = bilingual_changes(paper, mixture_languages, source_lang)
    coef, r2_test, r2_train = regression(paper, seed=seed)
    zero_shot = zero_shot_rows(paper, mixture_languages, languages, source_lang)
    return PaperStatistics(changes=changes, summary=summarise_changes(changes, n_boot=n_boot, seed=seed),
                           win_rates=win_rates(changes), coef=coef, r2_test=r2_test, r2_train=r2_train,
                           ttests=ttest_zero_shot_vs_direct(zero_shot))
