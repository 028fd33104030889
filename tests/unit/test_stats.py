"""Tests for mlpt.stats on hand-made tables and on the synthetic fixture (tests/fixtures)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from fixtures import make_accuracy_fixture as FIX  # tests/ is on sys.path (conftest.py)
from mlpt import stats

FIXTURES = Path(__file__).parents[1] / "fixtures"
CORE = ["en", "es", "ja", "bn", "sw"]


@pytest.fixture(scope="module")
def fixture_acc() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "accuracy_fixture.csv")


@pytest.fixture(scope="module")
def mixes() -> dict:
    return FIX.fixture_mixture_languages()


# ------------------------------------------------------------------------------------------------
# The fixture itself


def test_fixture_csv_matches_generator(fixture_acc):
    regenerated = FIX.make_table()
    pd.testing.assert_frame_equal(fixture_acc, regenerated, check_dtype=False, check_exact=False, atol=1e-9)


def test_fixture_shape_and_invariants(fixture_acc, mixes):
    assert list(fixture_acc.columns) == stats_columns()
    assert len(fixture_acc) == 5 * 2 * 23 * 11 == 2530
    assert len(mixes) == 22 and "pretrained" not in mixes
    assert mixes["core-minus-ja+fr-th"] == ["en", "es", "bn", "sw", "fr", "th"]
    assert mixes["all10"] == ["en", "es", "ja", "bn", "sw", "fr", "de", "ru", "zh", "th"]
    assert not any("te" in langs for langs in mixes.values())
    assert set(fixture_acc.loc[fixture_acc["task"] == "math", "n"]) == {250}
    assert set(fixture_acc.loc[fixture_acc["task"] == "api", "n"]) == {399}
    np.testing.assert_allclose(fixture_acc["accuracy"], fixture_acc["correct"] / fixture_acc["n"], atol=1e-6)
    expected_in = [lang in mixes.get(m, []) for m, lang in zip(fixture_acc["mixture"], fixture_acc["lang"])]
    assert fixture_acc["in_training"].tolist() == expected_in
    assert (fixture_acc["ci_low"] <= fixture_acc["accuracy"] + 1e-9).all()
    assert (fixture_acc["accuracy"] <= fixture_acc["ci_high"] + 1e-9).all()


def stats_columns() -> list[str]:
    return ["model", "family", "params_b", "task", "mixture", "n_train_langs", "lang", "resource", "in_training",
            "n", "correct", "accuracy", "ci_low", "ci_high"]


# ------------------------------------------------------------------------------------------------
# wilson_ci


def _wilson_formula(k: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def test_wilson_hand_case():
    low, high = stats.wilson_ci(8, 10)
    assert round(float(low), 4) == 0.4902 and round(float(high), 4) == 0.9433
    f_low, f_high = _wilson_formula(8, 10)
    assert float(low) == pytest.approx(f_low, abs=1e-12) and float(high) == pytest.approx(f_high, abs=1e-12)


def test_wilson_vectorised_matches_statsmodels_and_nan_for_zero_n():
    correct = np.array([0, 3, 8, 250, 17, 0])
    n = np.array([10, 3, 10, 250, 399, 0])
    low, high = stats.wilson_ci(correct, n)
    sm_low, sm_high = proportion_confint(correct[:-1], n[:-1], alpha=0.05, method="wilson")
    np.testing.assert_allclose(low[:-1], sm_low)
    np.testing.assert_allclose(high[:-1], sm_high)
    assert np.isnan(low[-1]) and np.isnan(high[-1])
    low90, high90 = stats.wilson_ci(8, 10, alpha=0.1)
    assert low90 > low[2] and high90 < high[2]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_estimate(kn):
    k, n = kn
    low, high = stats.wilson_ci(k, n)
    assert 0.0 <= low <= k / n + 1e-12 and k / n - 1e-12 <= high <= 1.0
    f_low, f_high = _wilson_formula(k, n)
    assert float(low) == pytest.approx(f_low, abs=1e-9) and float(high) == pytest.approx(f_high, abs=1e-9)


# ------------------------------------------------------------------------------------------------
# bilingual_changes / summarise_changes / win_rates on a hand-made table

TINY_MIXES = {"en": ["en"], "en-es": ["en", "es"], "en-bn": ["en", "bn"], "core": CORE}
# accuracy[mixture][lang] for one model, task "math"
TINY_ACC = {
    "en": {"en": 0.50, "es": 0.40, "bn": 0.20, "te": 0.10},
    "en-es": {"en": 0.52, "es": 0.48, "bn": 0.19, "te": 0.10},
    "en-bn": {"en": 0.47, "es": 0.41, "bn": 0.30, "te": 0.13},
    "core": {"en": 0.60, "es": 0.60, "bn": 0.60, "te": 0.60},
}


def _tiny_table(task: str = "math", model: str = "m1", offset: float = 0.0) -> pd.DataFrame:
    rows = []
    for mixture, langs in TINY_ACC.items():
        for lang, a in langs.items():
            rows.append({"model": model, "family": "qwen3", "params_b": 0.6, "task": task, "mixture": mixture,
                         "n_train_langs": len(TINY_MIXES[mixture]), "lang": lang,
                         "resource": "low" if lang in ("bn", "te") else "high",
                         "in_training": lang in TINY_MIXES[mixture], "n": 100, "correct": round(100 * (a + offset)),
                         "accuracy": a + offset, "ci_low": np.nan, "ci_high": np.nan})
    return pd.DataFrame(rows)


def test_bilingual_changes_hand_case():
    ch = stats.bilingual_changes(_tiny_table(), TINY_MIXES)
    assert list(ch.columns) == stats.CHANGE_COLUMNS
    assert len(ch) == 8  # 2 bilingual mixtures × 4 languages; "core" and "en" are not bilingual
    got = {(r.mixture, r.lang): (round(r.change, 9), r.category, r.added) for r in ch.itertuples()}
    assert got == {
        ("en-es", "en"): (2.0, "english", "es"),
        ("en-es", "es"): (8.0, "direct", "es"),
        ("en-es", "bn"): (-1.0, "transfer", "es"),
        ("en-es", "te"): (0.0, "transfer", "es"),
        ("en-bn", "en"): (-3.0, "english", "bn"),
        ("en-bn", "es"): (1.0, "transfer", "bn"),
        ("en-bn", "bn"): (10.0, "direct", "bn"),
        ("en-bn", "te"): (3.0, "transfer", "bn"),
    }


def test_bilingual_changes_skips_missing_counterparts():
    acc = _tiny_table()
    acc = acc[~((acc["mixture"] == "en") & (acc["lang"] == "te"))]  # no baseline for te
    acc = acc[~((acc["mixture"] == "en-bn") & (acc["lang"] == "es"))]  # bilingual row missing
    ch = stats.bilingual_changes(acc, TINY_MIXES)
    assert len(ch) == 5
    assert "te" not in set(ch["lang"])
    no_baseline = stats.bilingual_changes(acc[acc["mixture"] != "en"], TINY_MIXES)
    assert no_baseline.empty and list(no_baseline.columns) == stats.CHANGE_COLUMNS
    no_en_mix = stats.bilingual_changes(acc, {k: v for k, v in TINY_MIXES.items() if k != "en"})
    assert no_en_mix.empty and list(no_en_mix.columns) == stats.CHANGE_COLUMNS


def test_bilingual_changes_rejects_ambiguity():
    with pytest.raises(ValueError, match="source-only"):
        stats.bilingual_changes(_tiny_table(), {**TINY_MIXES, "en-again": ["en"]})
    acc = _tiny_table()
    with pytest.raises(ValueError, match="repeated"):
        stats.bilingual_changes(pd.concat([acc, acc.iloc[:1]]), TINY_MIXES)


def _hand_changes() -> pd.DataFrame:
    rows = [("math", "direct", c) for c in (8.0, 10.0, 2.0, -1.0, 5.0)]
    rows += [("math", "transfer", c) for c in (-1.0, 0.0, 1.0, 3.0)]
    rows += [("api", "direct", c) for c in (4.0, 6.0)]
    rows += [("api", "transfer", c) for c in (0.0, -2.0, -2.0)]
    rows += [("api", "english", c) for c in (7.0,)]
    return pd.DataFrame(rows, columns=["task", "category", "change"])


def test_summarise_changes_hand_case():
    s = stats.summarise_changes(_hand_changes(), n_boot=2000, seed=1)
    assert list(s.columns) == ["task", "category", *stats.SUMMARY_STATS]
    s = s.set_index(["task", "category"])
    md = s.loc[("math", "direct")]
    assert md["n"] == 5 and md["median"] == 5.0 and md["win_rate"] == pytest.approx(0.8)
    assert md["mean"] == pytest.approx(4.8)
    mt = s.loc[("math", "transfer")]
    assert mt["median"] == 0.5 and mt["win_rate"] == 0.5  # the 0.0 is a tie, not a win
    at = s.loc[("api", "transfer")]
    assert at["median"] == -2.0 and at["win_rate"] == 0.0
    one = s.loc[("api", "english")]
    assert one["n"] == 1 and np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])
    for key in [("math", "direct"), ("math", "transfer"), ("api", "direct"), ("api", "transfer")]:
        row = s.loc[key]
        assert row["ci_low"] <= row["median"] <= row["ci_high"]
        x = _hand_changes().query("task == @key[0] and category == @key[1]")["change"]
        assert x.min() <= row["ci_low"] and row["ci_high"] <= x.max()


def test_summarise_changes_matches_scipy_and_is_seeded():
    rng = np.random.default_rng(3)
    ch = pd.DataFrame({"task": "math", "category": "direct", "change": rng.normal(2.0, 5.0, 200)})
    a = stats.summarise_changes(ch, n_boot=3000, seed=7)
    b = stats.summarise_changes(ch, n_boot=3000, seed=7)
    c = stats.summarise_changes(ch, n_boot=3000, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert (a["ci_low"].iloc[0], a["ci_high"].iloc[0]) != (c["ci_low"].iloc[0], c["ci_high"].iloc[0])
    ref = sps.bootstrap((ch["change"].to_numpy(),), np.median, n_resamples=3000, method="percentile",
                        rng=np.random.default_rng(7))
    assert a["ci_low"].iloc[0] == pytest.approx(ref.confidence_interval.low)
    assert a["ci_high"].iloc[0] == pytest.approx(ref.confidence_interval.high)
    # A group's interval does not depend on the other groups present.
    other = pd.DataFrame({"task": "api", "category": "direct", "change": rng.normal(0, 1, 50)})
    both = stats.summarise_changes(pd.concat([other, ch]), n_boot=3000, seed=7, by="task")
    assert both.set_index("task").loc["math", "ci_low"] == pytest.approx(a["ci_low"].iloc[0])


def test_summarise_changes_empty():
    empty = stats.summarise_changes(pd.DataFrame(columns=["task", "category", "change"]))
    assert empty.empty and list(empty.columns) == ["task", "category", *stats.SUMMARY_STATS]


def test_win_rates_hand_case():
    w = stats.win_rates(_hand_changes())
    assert list(w.index) == ["english", "direct", "transfer"]
    assert list(w.columns) == ["math", "api", "all"]
    assert w.loc["direct", "math"] == pytest.approx(4 / 5)
    assert w.loc["direct", "api"] == 1.0
    assert w.loc["direct", "all"] == pytest.approx(6 / 7)  # pooled, not the mean of 0.8 and 1.0
    assert w.loc["transfer", "math"] == pytest.approx(2 / 4)
    assert w.loc["transfer", "api"] == 0.0
    assert w.loc["transfer", "all"] == pytest.approx(2 / 7)
    assert np.isnan(w.loc["english", "math"]) and w.loc["english", "api"] == 1.0
    empty = stats.win_rates(pd.DataFrame(columns=["task", "category", "change"]))
    assert list(empty.index) == ["english", "direct", "transfer"] and empty["all"].isna().all()


# ------------------------------------------------------------------------------------------------
# zero-shot vs direct


def test_zero_shot_vs_direct_selects_by_languages(fixture_acc, mixes):
    rows = stats.zero_shot_vs_direct(fixture_acc, mixes, CORE)
    assert list(rows.columns) == stats.ZERO_SHOT_COLUMNS
    counts = rows["setting"].value_counts().to_dict()
    assert counts == {"direct-2": 40, "zero-shot-4": 40, "zero-shot-6": 40, "zero-shot-9": 40}
    assert set(rows["lang"]) == {"es", "ja", "bn", "sw"}
    expected = {("direct-2", "ja"): "en-ja", ("zero-shot-4", "ja"): "core-minus-ja",
                ("zero-shot-6", "ja"): "core-minus-ja+fr-th", ("zero-shot-9", "ja"): "core-minus-ja+extras"}
    for (setting, lang), mixture in expected.items():
        assert set(rows.loc[(rows["setting"] == setting) & (rows["lang"] == lang), "mixture"]) == {mixture}
    one = rows[(rows["model"] == "qwen3-8b") & (rows["task"] == "api") & (rows["mixture"] == "core-minus-bn")]
    src = fixture_acc[(fixture_acc["model"] == "qwen3-8b") & (fixture_acc["task"] == "api")
                      & (fixture_acc["mixture"] == "core-minus-bn") & (fixture_acc["lang"] == "bn")]
    assert one["accuracy"].tolist() == src["accuracy"].tolist()
    assert not rows.loc[rows["setting"] != "direct-2"].merge(
        fixture_acc[fixture_acc["in_training"]], on=["model", "task", "mixture", "lang"]).shape[0]


def test_ttest_equals_scipy_welch():
    rng = np.random.default_rng(0)
    rows = []
    for model in ("a", "b", "c"):
        for lang in ("es", "ja", "bn", "sw"):
            rows.append({"model": model, "task": "math", "lang": lang, "setting": "direct-2", "train_size": 2,
                         "accuracy": rng.uniform(0.3, 0.6)})
            for size in (4, 9):
                rows.append({"model": model, "task": "math", "lang": lang, "setting": f"zero-shot-{size}",
                             "train_size": size, "accuracy": rng.uniform(0.2, 0.5)})
    rows = pd.DataFrame(rows)
    t = stats.ttest_zero_shot_vs_direct(rows)
    assert list(t.columns) == stats.TTEST_COLUMNS and t["train_size"].tolist() == [4, 9]
    for r in t.itertuples():
        z = rows.loc[rows["setting"] == f"zero-shot-{r.train_size}", "accuracy"].to_numpy()
        d = rows.loc[rows["setting"] == "direct-2", "accuracy"].to_numpy()
        ref = sps.ttest_ind(z, d, equal_var=False)
        assert r.t == pytest.approx(ref.statistic) and r.p == pytest.approx(ref.pvalue)
        assert r.mean_zero_shot == pytest.approx(z.mean()) and r.mean_direct == pytest.approx(d.mean())
        assert r.diff == pytest.approx(z.mean() - d.mean())
        assert r.n_zero_shot == 12 and r.n_direct == 12
        # Welch, not Student: with equal n the statistics agree but the degrees of freedom (so p) differ.
        assert r.p != pytest.approx(sps.ttest_ind(z, d, equal_var=True).pvalue, rel=1e-9)


def test_ttest_restricts_to_common_cells_and_handles_tiny_groups():
    rows = pd.DataFrame([
        {"model": "a", "task": "api", "lang": "es", "setting": "direct-2", "train_size": 2, "accuracy": 0.5},
        {"model": "b", "task": "api", "lang": "es", "setting": "direct-2", "train_size": 2, "accuracy": 0.9},
        {"model": "a", "task": "api", "lang": "es", "setting": "zero-shot-4", "train_size": 4, "accuracy": 0.4},
    ])
    t = stats.ttest_zero_shot_vs_direct(rows)
    assert len(t) == 1
    r = t.iloc[0]
    assert r["n_zero_shot"] == 1 and r["n_direct"] == 1 and r["mean_direct"] == 0.5
    assert r["diff"] == pytest.approx(-0.1) and np.isnan(r["t"]) and np.isnan(r["p"])
    empty = stats.ttest_zero_shot_vs_direct(rows.iloc[:0])
    assert empty.empty and list(empty.columns) == stats.TTEST_COLUMNS


# ------------------------------------------------------------------------------------------------
# regression

TRUE = {"log10_params": 0.30, "family_qwen": 0.26, "task_math": -0.20, "pretrained_only": -0.11,
        "lang_in_training": 0.09, "sqrt_L_over_Lmax": 0.05, "const": 0.20}


def _linear_table(noise: float = 0.005, seed: int = 11) -> pd.DataFrame:
    """A table whose accuracy is exactly linear in the predictors plus small Gaussian noise."""
    rng = np.random.default_rng(seed)
    mixes = {"pretrained": [], **FIX.fixture_mixture_languages()}
    rows = []
    for model, (family, params_b) in FIX.MODELS.items():
        for task in ("math", "api"):
            for mixture, langs in mixes.items():
                for lang in FIX.LANGUAGES:
                    x = {"log10_params": math.log10(params_b), "family_qwen": family == "qwen3",
                         "task_math": task == "math", "pretrained_only": mixture == "pretrained",
                         "lang_in_training": lang in langs, "sqrt_L_over_Lmax": math.sqrt(len(langs) / 10),
                         "const": 1.0}
                    acc = sum(TRUE[k] * float(v) for k, v in x.items()) + rng.normal(0, noise)
                    rows.append({"model": model, "family": family, "params_b": params_b, "task": task,
                                 "mixture": mixture, "n_train_langs": len(langs), "lang": lang,
                                 "resource": FIX.RESOURCE[lang], "in_training": lang in langs, "n": 250,
                                 "correct": round(250 * acc), "accuracy": acc, "ci_low": np.nan, "ci_high": np.nan})
    return pd.DataFrame(rows)


def test_regression_recovers_planted_coefficients():
    table, r2_test, r2_train = stats.regression(_linear_table())
    assert list(table.index) == stats.PREDICTORS and list(table.columns) == stats.COEF_COLUMNS
    for name, value in TRUE.items():
        assert table.loc[name, "coef"] == pytest.approx(value, abs=0.01), name
        assert table.loc[name, "ci_low"] <= table.loc[name, "coef"] <= table.loc[name, "ci_high"]
    assert r2_test > 0.99 and r2_train > 0.99


def test_regression_equals_direct_statsmodels_fit():
    acc = _linear_table(noise=0.05, seed=5).sample(frac=1.0, random_state=0)  # row order must not matter
    table, r2_test, r2_train = stats.regression(acc, seed=3, test_size=0.3)
    d = acc.sort_values(["model", "task", "mixture", "lang"], kind="stable").reset_index(drop=True)
    X = pd.DataFrame({
        "log10_params": np.log10(d["params_b"]), "family_qwen": (d["family"] == "qwen3").astype(float),
        "task_math": (d["task"] == "math").astype(float), "pretrained_only": (d["mixture"] == "pretrained") * 1.0,
        "lang_in_training": d["in_training"].astype(float),
        "sqrt_L_over_Lmax": np.sqrt(d["n_train_langs"] / d["n_train_langs"].max())})
    X = sm.add_constant(X, prepend=False)
    perm = np.random.default_rng(3).permutation(len(d))
    n_test = round(0.3 * len(d))
    test, train = perm[:n_test], perm[n_test:]
    assert len(train) == len(d) - n_test and n_test == 759
    fit = sm.OLS(d["accuracy"].iloc[train], X.iloc[train]).fit()
    np.testing.assert_allclose(table["coef"].to_numpy(), fit.params[stats.PREDICTORS].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(table["std_err"].to_numpy(), fit.bse[stats.PREDICTORS].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(table["p_value"].to_numpy(), fit.pvalues[stats.PREDICTORS].to_numpy(),
                               rtol=1e-8, atol=1e-300)
    assert r2_train == pytest.approx(fit.rsquared)
    y_te = d["accuracy"].iloc[test].to_numpy()
    pred = fit.predict(X.iloc[test]).to_numpy()
    assert r2_test == pytest.approx(1 - np.sum((y_te - pred) ** 2) / np.sum((y_te - y_te.mean()) ** 2))
    other_seed = stats.regression(acc, seed=4)[0]
    assert not np.allclose(other_seed["coef"], table["coef"])


def test_regression_on_fixture(fixture_acc):
    table, r2_test, r2_train = stats.regression(fixture_acc)
    for name in ("log10_params", "family_qwen", "lang_in_training"):
        assert table.loc[name, "coef"] > 0 and table.loc[name, "p_value"] < 1e-6
    for name in ("task_math", "pretrained_only"):
        assert table.loc[name, "coef"] < 0
    assert 0.7 < r2_test <= 1 and 0.7 < r2_train <= 1
    assert stats.regression(fixture_acc)[1] == r2_test  # deterministic


def test_regression_unidentified_predictor_is_nan(fixture_acc):
    qwen_only = fixture_acc[fixture_acc["family"] == "qwen3"]
    table, r2_test, _ = stats.regression(qwen_only)
    assert table.loc["family_qwen"].isna().all()
    assert table.drop(index="family_qwen")["coef"].notna().all() and r2_test > 0.5
    # Three rows of one model/task/mixture: no predictor varies, so only the constant is fitted.
    three, _, _ = stats.regression(fixture_acc.iloc[:3])
    assert three["coef"].notna().tolist() == [False] * 6 + [True]
    tiny, r2, r2_tr = stats.regression(fixture_acc.iloc[:2])  # 1 train row, 1 test row
    assert list(tiny.index) == stats.PREDICTORS and tiny["coef"].isna().all() and np.isnan(r2) and np.isnan(r2_tr)


# ------------------------------------------------------------------------------------------------
# Full fixture and partial tables


def _run_all(acc: pd.DataFrame, mixes: dict) -> dict:
    changes = stats.bilingual_changes(acc, mixes)
    rows = stats.zero_shot_vs_direct(acc, mixes, CORE)
    return {"changes": changes, "summary": stats.summarise_changes(changes, n_boot=500),
            "wins": stats.win_rates(changes), "rows": rows, "ttest": stats.ttest_zero_shot_vs_direct(rows),
            "regression": stats.regression(acc)}


def test_everything_on_full_fixture(fixture_acc, mixes):
    out = _run_all(fixture_acc, mixes)
    ch = out["changes"]
    assert len(ch) == 5 * 2 * 4 * 11
    assert ch["category"].value_counts().to_dict() == {"transfer": 5 * 2 * 4 * 9, "english": 40, "direct": 40}
    assert set(ch["added"]) == {"es", "ja", "bn", "sw"}
    assert out["summary"].shape == (6, 2 + len(stats.SUMMARY_STATS))
    assert out["summary"]["n"].sum() == len(ch)
    assert out["wins"].shape == (3, 3) and out["wins"].notna().all().all()
    # Planted effect: training on a language helps it.
    assert out["wins"].loc["direct", "all"] > 0.9
    assert out["ttest"].shape == (2 * 3, len(stats.TTEST_COLUMNS))
    assert set(out["ttest"]["n_zero_shot"]) == {20} and set(out["ttest"]["n_direct"]) == {20}
    assert out["regression"][0].shape == (7, 6)


def test_everything_with_one_model_removed(fixture_acc, mixes):
    acc = fixture_acc[fixture_acc["model"] != "qwen3-8b"]
    out = _run_all(acc, mixes)
    assert len(out["changes"]) == 4 * 2 * 4 * 11
    assert set(out["ttest"]["n_direct"]) == {16}
    assert out["regression"][0]["coef"].notna().all()


def test_everything_with_mixtures_missing(fixture_acc, mixes):
    acc = fixture_acc[~fixture_acc["mixture"].isin(["en", "core-minus-ja+extras", "en-sw"])]
    acc = acc[~((acc["model"] == "gemma3-1b") & (acc["task"] == "api"))]
    out = _run_all(acc, mixes)
    assert out["changes"].empty and list(out["changes"].columns) == stats.CHANGE_COLUMNS
    assert out["summary"].empty and out["wins"].isna().all().all()
    assert set(out["rows"]["setting"]) == {"direct-2", "zero-shot-4", "zero-shot-6", "zero-shot-9"}
    assert not ((out["rows"]["setting"] == "zero-shot-9") & (out["rows"]["lang"] == "ja")).any()
    assert len(out["ttest"]) == 6
    math9 = out["ttest"].set_index(["task", "train_size"]).loc[("math", 9)]
    assert math9["n_zero_shot"] == 5 * 2  # es, bn (ja: mixture gone; sw: no en-sw to compare with)
    assert out["regression"][0]["coef"].notna().all()
    only_pretrained = fixture_acc[fixture_acc["mixture"] == "pretrained"]
    out = _run_all(only_pretrained, mixes)
    assert out["changes"].empty and out["rows"].empty and out["ttest"].empty
    assert out["regression"][0].loc[["pretrained_only", "lang_in_training", "sqrt_L_over_Lmax"]].isna().all().all()


# ------------------------------------------------------------------------------------------------
# The paper's evaluation languages: core and eval rows carry every paper number, extra rows none


@pytest.fixture
def languages(paper_config) -> dict:
    return paper_config["languages"]


def test_languages_by_role_follow_the_config(fixture_acc, languages):
    assert stats.languages_with_role(languages, stats.PAPER_ROLES) == ["en", "es", "ja", "bn", "sw", "te"]
    assert stats.languages_with_role(languages, ["extra"]) == ["fr", "de", "ru", "zh", "th"]
    paper, extra = stats.paper_rows(fixture_acc, languages), stats.extra_rows(fixture_acc, languages)
    assert len(paper) + len(extra) == len(fixture_acc) and set(paper.index).isdisjoint(extra.index)
    assert set(paper["lang"]) == {"en", "es", "ja", "bn", "sw", "te"}
    # A role edit in the config moves a language between the views.
    relabelled = {**languages, "fr": {**languages["fr"], "role": "core"}}
    assert "fr" in set(stats.paper_rows(fixture_acc, relabelled)["lang"])


def _paper_statistics(acc, mixes, languages):
    return stats.paper_statistics(acc, mixes, languages, seed=3, n_boot=300)


def _frames(result) -> dict[str, pd.DataFrame]:
    """Every output of paper_statistics as a frame (the two R² values as one)."""
    return {"changes": result.changes, "summary": result.summary, "win_rates": result.win_rates,
            "coef": result.coef, "r2": pd.DataFrame({"test": [result.r2_test], "train": [result.r2_train]}),
            "ttests": result.ttests}


def test_paper_statistics_ignore_extra_language_rows(fixture_acc, mixes, languages):
    before = _frames(_paper_statistics(fixture_acc, mixes, languages))
    extras = stats.languages_with_role(languages, ["extra"])
    for seed in (0, 1):
        after = _frames(_paper_statistics(FIX.alter_rows(fixture_acc, extras, seed=seed), mixes, languages))
        for name, frame in before.items():
            pd.testing.assert_frame_equal(frame, after[name], obj=name)
    # Only the paper's languages are compared: transfer = the other core languages and te.
    ch = before["changes"]
    assert set(ch["lang"]) == {"en", "es", "ja", "bn", "sw", "te"}
    assert ch["category"].value_counts().to_dict() == {"transfer": 5 * 2 * 4 * 4, "english": 40, "direct": 40}


@pytest.mark.parametrize("lang, moved", [
    ("bn", ["changes", "summary", "win_rates", "coef", "r2", "ttests"]),  # a core language
    ("te", ["changes", "summary", "win_rates", "coef", "r2"]),  # the eval-only language (never in a t-test)
])
def test_paper_statistics_follow_core_and_eval_rows(fixture_acc, mixes, languages, lang, moved):
    before = _frames(_paper_statistics(fixture_acc, mixes, languages))
    after = _frames(_paper_statistics(FIX.alter_rows(fixture_acc, [lang], drop=0.0), mixes, languages))
    for name in moved:
        assert not before[name].equals(after[name]), name
    if lang == "te":
        pd.testing.assert_frame_equal(before["ttests"], after["ttests"])


def test_extra_rows_would_move_the_transfer_median_if_not_left_out(fixture_acc, mixes, languages):
    """The alteration above has teeth: on all rows, the extras change the transfer median."""
    extras = stats.languages_with_role(languages, ["extra"])
    altered = FIX.alter_rows(fixture_acc, extras, drop=0.0)
    transfer = [stats.summarise_changes(stats.bilingual_changes(acc, mixes), n_boot=300)
                .set_index(["task", "category"]).loc[("math", "transfer"), "median"] for acc in (fixture_acc, altered)]
    assert transfer[0] != transfer[1]


# ------------------------------------------------------------------------------------------------
# exposure, pooled accuracy, interval of a change


def test_exposure_hand_case():
    acc = pd.DataFrame({"mixture": ["pretrained", "en", "en", "en-es"], "in_training": [False, True, False, True]})
    assert stats.exposure(acc).tolist() == ["base", "direct", "zero-shot", "direct"]


def test_pooled_accuracy_hand_case():
    acc = pd.DataFrame({"g": ["a", "a", "b", "c"], "n": [100, 300, 50, 0], "correct": [10, 90, 5, 0]})
    pooled = stats.pooled_accuracy(acc, ["g"]).set_index("g")
    assert list(pooled.columns) == stats.POOLED_COLUMNS
    assert pooled.loc["a", "accuracy"] == pytest.approx(100 / 400) and pooled.loc["a", "rows"] == 2
    low, high = stats.wilson_ci(100, 400)
    assert (pooled.loc["a", "ci_low"], pooled.loc["a", "ci_high"]) == pytest.approx((float(low), float(high)))
    assert np.isnan(pooled.loc["c", "accuracy"]) and np.isnan(pooled.loc["c", "ci_low"])
    empty = stats.pooled_accuracy(acc.iloc[:0], ["g"])
    assert empty.empty and list(empty.columns) == ["g", *stats.POOLED_COLUMNS]


def test_pooled_accuracy_of_one_row_is_the_row(fixture_acc):
    pooled = stats.pooled_accuracy(fixture_acc, stats.KEY)
    merged = pooled.merge(fixture_acc, on=stats.KEY, suffixes=("", "_row"))
    assert len(merged) == len(fixture_acc)
    for col in ("accuracy", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_row"], atol=1e-6)


def test_pooled_accuracy_equals_the_mean_for_equal_n(fixture_acc):
    by = ["model", "task", "lang"]
    pooled = stats.pooled_accuracy(fixture_acc, by).set_index(by)["accuracy"]
    mean = fixture_acc.groupby(by)["accuracy"].mean()
    np.testing.assert_allclose(pooled.loc[mean.index], mean, atol=1e-6)


def test_change_ci_matches_statsmodels_newcombe():
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = stats.change_ci([60, 30, 5], [100, 250, 0], [40, 30, 1], [100, 250, 10])
    ref = confint_proportions_2indep(60, 100, 40, 100, method="newcomb", compare="diff")
    assert (low[0], high[0]) == pytest.approx(ref)
    assert 0.0 < low[0] < 0.2 < high[0]
    assert low[1] < 0 < high[1]  # equal accuracies: the interval straddles 0
    assert np.isnan(low[2]) and np.isnan(high[2])  # no items
