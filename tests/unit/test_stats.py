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
from fixtures import make_samples_fixture as SAMPLES
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


@pytest.mark.parametrize("wins, n, paper", [(30, 40, (59.8, 85.8)), (35, 40, (73.9, 94.5)), (119, 160, (67.1, 80.5))])
def test_table2_reproduces_the_papers_wilson_intervals(wins, n, paper):
    """The paper's Table 2 intervals (English 30/40, direct 35/40, transfer 119/160) are Wilson
    intervals on the win counts: the table built from changes with those counts prints them."""
    changes = pd.DataFrame({"task": ["api"] * n, "category": "direct", "change": [1.0] * wins + [0.0] * (n - wins)})
    row = stats.win_rate_table(changes).set_index(["category", "task"]).loc[("direct", "all")]
    assert (row["wins"], row["n"]) == (wins, n) and row["win_rate"] == pytest.approx(wins / n)
    assert (round(100 * row["ci_low"], 1), round(100 * row["ci_high"], 1)) == paper
    # not the normal-approximation (Wald) interval, which misses at least one of the paper's bounds
    p = wins / n
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / n)
    assert (round(100 * (p - half), 1), round(100 * (p + half), 1)) != paper


def test_win_rate_table_hand_case():
    t = stats.win_rate_table(_hand_changes())
    assert list(t.columns) == stats.WIN_COLUMNS
    expected_rows = [(c, task) for c in stats.CATEGORIES for task in ("math", "api", "all")]
    assert list(zip(t["category"], t["task"])) == expected_rows
    t = t.set_index(["category", "task"])
    assert t.loc[("direct", "all"), ["wins", "n"]].tolist() == [6, 7]
    assert t.loc[("transfer", "math"), ["wins", "n"]].tolist() == [2, 4]  # the 0.0 is a tie, not a win
    low, high = stats.wilson_ci(6, 7)
    direct_all = t.loc[("direct", "all")]
    assert (direct_all["ci_low"], direct_all["ci_high"]) == pytest.approx((float(low), float(high)))
    assert t.loc[("english", "math"), "n"] == 0 and np.isnan(t.loc[("english", "math"), "win_rate"])
    assert np.isnan(t.loc[("english", "math"), "ci_low"])
    # the same rates as win_rates (the headline numbers' table)
    wide = stats.win_rates(_hand_changes())
    for (category, task), rate in t["win_rate"].items():
        assert rate == pytest.approx(wide.loc[category, task], nan_ok=True)


# ------------------------------------------------------------------------------------------------
# zero-shot vs direct


def test_zero_shot_vs_direct_selects_by_languages(fixture_acc, mixes):
    rows = stats.zero_shot_vs_direct(fixture_acc, mixes, CORE)
    assert list(rows.columns) == stats.ZERO_SHOT_COLUMNS
    counts = rows["setting"].value_counts().to_dict()
    assert counts == {"direct": 50, "zero-shot-4": 50, "zero-shot-6": 50, "zero-shot-9": 50}
    assert set(rows["lang"]) == {"en", "es", "ja", "bn", "sw"}
    expected = {("direct", "ja"): "en-ja", ("zero-shot-4", "ja"): "core-minus-ja",
                ("zero-shot-6", "ja"): "core-minus-ja+fr-th", ("zero-shot-9", "ja"): "core-minus-ja+extras",
                # English is in every bilingual mixture: its direct baseline is English-only training
                ("direct", "en"): "en", ("zero-shot-4", "en"): "core-minus-en",
                ("zero-shot-9", "en"): "core-minus-en+extras"}
    for (setting, lang), mixture in expected.items():
        assert set(rows.loc[(rows["setting"] == setting) & (rows["lang"] == lang), "mixture"]) == {mixture}
    assert set(rows.loc[rows["setting"] == "direct"].groupby("lang")["train_size"].first().items()) == {
        ("en", 1), ("es", 2), ("ja", 2), ("bn", 2), ("sw", 2)}
    one = rows[(rows["model"] == "qwen3-8b") & (rows["task"] == "api") & (rows["mixture"] == "core-minus-bn")]
    src = fixture_acc[(fixture_acc["model"] == "qwen3-8b") & (fixture_acc["task"] == "api")
                      & (fixture_acc["mixture"] == "core-minus-bn") & (fixture_acc["lang"] == "bn")]
    assert one["accuracy"].tolist() == src["accuracy"].tolist()
    assert not rows.loc[rows["setting"] != "direct"].merge(
        fixture_acc[fixture_acc["in_training"]], on=["model", "task", "mixture", "lang"]).shape[0]


def test_ttest_equals_scipy_welch():
    rng = np.random.default_rng(0)
    rows = []
    for model in ("a", "b", "c"):
        for lang in ("es", "ja", "bn", "sw"):
            rows.append({"model": model, "task": "math", "lang": lang, "setting": "direct", "train_size": 2,
                         "accuracy": rng.uniform(0.3, 0.6)})
            for size in (4, 9):
                rows.append({"model": model, "task": "math", "lang": lang, "setting": f"zero-shot-{size}",
                             "train_size": size, "accuracy": rng.uniform(0.2, 0.5)})
    rows = pd.DataFrame(rows)
    t = stats.ttest_zero_shot_vs_direct(rows)
    assert list(t.columns) == stats.TTEST_COLUMNS and t["train_size"].tolist() == [4, 9]
    for r in t.itertuples():
        z = rows.loc[rows["setting"] == f"zero-shot-{r.train_size}", "accuracy"].to_numpy()
        d = rows.loc[rows["setting"] == "direct", "accuracy"].to_numpy()
        ref = sps.ttest_ind(z, d, equal_var=False)
        assert r.t == pytest.approx(ref.statistic) and r.p == pytest.approx(ref.pvalue)
        assert r.mean_zero_shot == pytest.approx(z.mean()) and r.mean_direct == pytest.approx(d.mean())
        assert r.diff == pytest.approx(z.mean() - d.mean())
        assert r.n_zero_shot == 12 and r.n_direct == 12 and r.test == stats.POOLED_TTEST_LABEL
        # Welch, not Student: with equal n the statistics agree but the degrees of freedom (so p) differ.
        assert r.p != pytest.approx(sps.ttest_ind(z, d, equal_var=True).pvalue, rel=1e-9)


def test_ttest_restricts_to_common_cells_and_handles_tiny_groups():
    rows = pd.DataFrame([
        {"model": "a", "task": "api", "lang": "es", "setting": "direct", "train_size": 2, "accuracy": 0.5},
        {"model": "b", "task": "api", "lang": "es", "setting": "direct", "train_size": 2, "accuracy": 0.9},
        {"model": "a", "task": "api", "lang": "es", "setting": "zero-shot-4", "train_size": 4, "accuracy": 0.4},
    ])
    t = stats.ttest_zero_shot_vs_direct(rows)
    assert len(t) == 1
    r = t.iloc[0]
    assert r["n_zero_shot"] == 1 and r["n_direct"] == 1 and r["mean_direct"] == 0.5
    assert r["diff"] == pytest.approx(-0.1) and np.isnan(r["t"]) and np.isnan(r["p"])
    empty = stats.ttest_zero_shot_vs_direct(rows.iloc[:0])
    assert empty.empty and list(empty.columns) == stats.TTEST_COLUMNS
    # zero-shot rows without any direct baseline (the demo: no en-ja): a row with nothing to compare
    alone = stats.ttest_zero_shot_vs_direct(rows[rows["setting"] != "direct"]).iloc[0]
    assert alone["n_zero_shot"] == 0 and alone["n_direct"] == 0 and np.isnan(alone["p"])


@pytest.mark.parametrize("only_a, only_b", [(0, 0), (3, 0), (10, 2), (2, 10), (7, 8), (40, 20), (0, 25)])
def test_mcnemar_exact_matches_statsmodels(only_a, only_b):
    from statsmodels.stats.contingency_tables import mcnemar

    ref = mcnemar([[50, only_a], [only_b, 30]], exact=True).pvalue
    assert stats.mcnemar_exact(only_a, only_b) == pytest.approx(ref)
    assert stats.mcnemar_exact(only_a, only_b) == stats.mcnemar_exact(only_b, only_a)  # two-sided


def test_mcnemar_exact_hand_values():
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.mcnemar_exact(5, 0) == pytest.approx(2 / 2 ** 5)  # all 5 discordant pairs one way
    assert stats.mcnemar_exact(6, 0) == pytest.approx(2 / 2 ** 6)
    assert stats.mcnemar_exact(6, 0) < 0.05 < stats.mcnemar_exact(5, 0)  # 6 one-way pairs are the fewest that count


CASE_MIXES = {"en": ["en"], "en-es": ["en", "es"], "core-minus-es": ["en", "ja"], "core-minus-en": ["es", "ja"],
              "core": ["en", "es", "ja"]}


def _items(model: str, task: str, mixture: str, lang: str, correct: list[int], start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"model": model, "task": task, "mixture": mixture, "lang": lang,
                         "id": [f"q{start + i}" for i in range(len(correct))], "correct": [bool(c) for c in correct]})


def test_case_tests_hand_case():
    """es: zero-shot (core-minus-es) vs en-es, 20 paired items: 9 right only zero-shot, 1 right only
    direct (p = 2 · P(Bin(10, 1/2) <= 1) = 0.021: better). en: zero-shot (core-minus-en) vs en,
    3 vs 2 discordant pairs: not different. ja has no direct baseline (no en-ja): no case."""
    zs_es = [1] * 9 + [0] * 1 + [1] * 5 + [0] * 5
    di_es = [0] * 9 + [1] * 1 + [1] * 5 + [0] * 5
    zs_en = [1, 1, 1, 0, 0] + [1] * 10
    di_en = [0, 0, 0, 1, 1] + [1] * 10
    items = pd.concat([_items("m", "math", "core-minus-es", "es", zs_es), _items("m", "math", "en-es", "es", di_es),
                       _items("m", "math", "core-minus-en", "en", zs_en), _items("m", "math", "en", "en", di_en),
                       _items("m", "math", "core-minus-ja", "ja", [1] * 5)])
    cases = stats.zero_shot_case_tests(items, CASE_MIXES, ["en", "es", "ja"])
    assert list(cases.columns) == stats.CASE_COLUMNS
    got = cases.set_index("lang")
    assert set(got.index) == {"en", "es"}
    es = got.loc["es"]
    assert (es["zero_shot_mixture"], es["direct_mixture"], es["train_size"]) == ("core-minus-es", "en-es", 2)
    assert (es["n_items"], es["only_zero_shot"], es["only_direct"]) == (20, 9, 1)
    assert (es["zero_shot_correct"], es["direct_correct"]) == (14, 6)
    assert es["diff"] == pytest.approx(0.4)
    assert es["p_value"] == pytest.approx(2 * sps.binom.cdf(1, 10, 0.5)) and es["outcome"] == "better"
    en = got.loc["en"]
    assert en["direct_mixture"] == "en" and (en["only_zero_shot"], en["only_direct"]) == (3, 2)
    assert en["p_value"] == 1.0 and en["outcome"] == "not different"
    # the same scores the other way round: worse
    swapped = items.assign(mixture=items["mixture"].replace({"core-minus-es": "en-es", "en-es": "core-minus-es"}))
    assert stats.zero_shot_case_tests(swapped, CASE_MIXES, ["en", "es", "ja"]).set_index("lang").loc[
        "es", "outcome"] == "worse"


def test_case_tests_pair_items_by_id_not_by_position():
    """The pairing is per item: the same 0/1 scores in another row order give the same test, while
    unpaired samples with the same accuracies would not (the paired test sees 10 discordant pairs
    all one way; shuffling which item is which changes them)."""
    zs = [1] * 10 + [1] * 10 + [0] * 10
    di = [0] * 10 + [1] * 10 + [0] * 10
    items = pd.concat([_items("m", "api", "core-minus-es", "es", zs), _items("m", "api", "en-es", "es", di)])
    base = stats.zero_shot_case_tests(items, CASE_MIXES, ["en", "es"])
    shuffled = stats.zero_shot_case_tests(items.sample(frac=1.0, random_state=1), CASE_MIXES, ["en", "es"])
    pd.testing.assert_frame_equal(base, shuffled)
    assert (base.loc[0, "only_zero_shot"], base.loc[0, "only_direct"]) == (10, 0)
    # re-assign the direct scores to other items: same accuracy, different pairs
    moved = items.copy()
    direct = moved["mixture"] == "en-es"
    moved.loc[direct, "correct"] = np.roll(moved.loc[direct, "correct"].to_numpy(), 10)
    again = stats.zero_shot_case_tests(moved, CASE_MIXES, ["en", "es"]).iloc[0]
    assert again["direct_accuracy"] == base.loc[0, "direct_accuracy"]
    assert (again["only_zero_shot"], again["only_direct"]) != (10, 0) and again["p_value"] != base.loc[0, "p_value"]
    # an item scored under one mixture only is left out of the pairs
    part = items[~((items["mixture"] == "en-es") & (items["id"] == "q0"))]
    assert stats.zero_shot_case_tests(part, CASE_MIXES, ["en", "es"]).loc[0, "n_items"] == 29
    with pytest.raises(ValueError, match="repeat"):
        stats.zero_shot_case_tests(pd.concat([items, items.iloc[:1]]), CASE_MIXES, ["en", "es"])


def test_case_tests_on_the_fixture(fixture_acc, mixes, languages):
    """One case per model × task × core language × zero-shot size (5 × 2 × 5 × 3); each case's
    accuracies are the accuracy table's; with the fixture's planted benefit of training on a
    language (+0.09), zero-shot is worse in most cases."""
    items = SAMPLES.item_scores(fixture_acc, langs=CORE)
    cases = stats.paper_case_tests(items, fixture_acc, mixes, languages)
    assert len(cases) == 5 * 2 * 5 * 3 and cases[["family", "params_b", "resource"]].notna().all().all()
    assert cases.groupby(["task", "train_size"]).size().to_dict() == {(t, k): 25 for t in ("math", "api")
                                                                       for k in (4, 6, 9)}
    table = fixture_acc.set_index(["model", "task", "mixture", "lang"])
    for r in cases.sample(20, random_state=0).itertuples():
        zero_shot, direct = table.loc[(r.model, r.task, r.zero_shot_mixture, r.lang)], table.loc[
            (r.model, r.task, r.direct_mixture, r.lang)]
        assert (r.zero_shot_correct, r.direct_correct) == (zero_shot["correct"], direct["correct"])
        assert r.n_items == zero_shot["n"] == (250 if r.task == "math" else 399)
        assert r.zero_shot_accuracy == pytest.approx(zero_shot["accuracy"], abs=1e-6)
    assert set(cases.loc[cases["lang"] == "en", "direct_mixture"]) == {"en"}
    assert (cases["outcome"] == "worse").mean() > 0.7
    assert ((cases["p_value"] < 0.05) == (cases["outcome"] != "not different")).all()


def test_case_shares_count_the_outcomes():
    cases = pd.DataFrame([
        {"model": m, "family": f, "params_b": p, "task": "api", "lang": lang, "resource": res, "train_size": 9,
         "outcome": o}
        for (m, f, p), outcomes in {("q-small", "qwen3", 0.6): ["better", "worse", "worse"],
                                    ("q-big", "qwen3", 8.0): ["better", "not different", "better"],
                                    ("g-big", "gemma3", 4.0): ["not different", "not different", "worse"]}.items()
        for (lang, res), o in zip([("en", "high"), ("es", "high"), ("bn", "low")], outcomes)])
    shares = stats.case_shares(cases).set_index(["models", "languages"])
    assert list(stats.case_shares(cases).columns) == stats.SHARE_COLUMNS
    every = shares.loc[("all", "all core")]
    assert (every["cases"], every["better"], every["not_different"], every["worse"]) == (9, 3, 3, 3)
    assert every["not_worse_share"] == pytest.approx(6 / 9)
    big = shares.loc[("largest per family", "all core")]  # q-big and g-big
    assert (big["cases"], big["better"], big["not_different"], big["worse"]) == (6, 2, 3, 1)
    assert big["better_share"] == pytest.approx(2 / 6) and big["not_worse_share"] == pytest.approx(5 / 6)
    no_en = shares.loc[("largest per family", "core except en")]
    assert (no_en["cases"], no_en["better"], no_en["worse"]) == (4, 1, 1)
    low = shares.loc[("all", "low-resource")]
    assert (low["cases"], low["worse"]) == (3, 2)


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


def test_regression_bootstrap_intervals_are_seeded_and_agree_with_ols_on_linear_data():
    """On homoscedastic linear data the bootstrap interval of each coefficient is close to the
    analytic OLS interval; it is the percentile interval of OLS refits on resampled training rows,
    reproducible from the seed and different for another seed."""
    acc = _linear_table(noise=0.05, seed=5)
    table, _, _ = stats.regression(acc, seed=3, n_boot=1000)
    again, _, _ = stats.regression(acc, seed=3, n_boot=1000)
    pd.testing.assert_frame_equal(table, again)
    assert (table["bootstrap_resamples"] == 1000).all()
    width, width_ols = table["ci_high"] - table["ci_low"], table["ci_high_ols"] - table["ci_low_ols"]
    assert ((width / width_ols).between(0.8, 1.25)).all(), (width / width_ols).to_dict()
    assert ((table["ci_low"] < table["coef"]) & (table["coef"] < table["ci_high"])).all()
    # the interval is the percentiles of refits on resampled training rows (generator [seed, 1])
    X, y = stats.regression_design(acc)
    train, _ = stats.split_indices(len(y), seed=3)
    boot = stats.bootstrap_coefficients(X.iloc[train].to_numpy(), y.iloc[train].to_numpy(), 1000,
                                        np.random.default_rng([3, 1]))
    np.testing.assert_allclose(table["ci_low"], np.percentile(boot, 2.5, axis=0))
    np.testing.assert_allclose(table["ci_high"], np.percentile(boot, 97.5, axis=0))
    other, _, _ = stats.regression(acc, seed=4, n_boot=1000)
    assert not np.allclose(other["ci_low"], table["ci_low"])


def test_bootstrap_refits_ols_on_each_resample_of_rows():
    """Each bootstrap fit equals OLS refitted on the rows its resample drew (repeats included)."""
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(40), rng.normal(size=40), rng.integers(0, 2, 40)])
    y = X @ np.array([0.5, -1.0, 2.0]) + rng.normal(0, 0.3, 40)
    boot = stats.bootstrap_coefficients(X, y, 25, np.random.default_rng(7))
    counts = np.random.default_rng(7).multinomial(40, np.full(40, 1 / 40), size=25)
    for fit, drawn in zip(boot, counts):
        rows = np.repeat(np.arange(40), drawn)
        np.testing.assert_allclose(fit, np.linalg.lstsq(X[rows], y[rows], rcond=None)[0], atol=1e-9)


def test_bootstrap_leaves_out_resamples_without_a_unique_fit():
    """A predictor set in only one row is missing from most resamples: those have no unique fit."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(30), rng.normal(size=30), np.eye(30)[0]])
    y = X @ np.array([1.0, 2.0, 3.0]) + rng.normal(0, 0.1, 30)
    boot = stats.bootstrap_coefficients(X, y, 400, np.random.default_rng(1))
    assert 0 < len(boot) < 400 and boot.shape[1] == 3  # about 1 - (29/30)^30 = 64% of resamples draw row 0
    np.testing.assert_allclose(boot[:, 1].mean(), 2.0, atol=0.05)


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
    # One model per family: the family is determined by the model size, so it is left out.
    two = stats.regression(fixture_acc[fixture_acc["model"].isin(["qwen3-8b", "gemma3-4b"])])[0]
    assert two.loc["family_qwen"].isna().all() and two.drop(index="family_qwen")["coef"].notna().all()
    assert (two.drop(index="family_qwen")["bootstrap_resamples"] > 0).all()
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
    assert set(out["ttest"]["n_zero_shot"]) == {25} and set(out["ttest"]["n_direct"]) == {25}  # 5 models x 5 languages
    assert out["regression"][0].shape == (7, len(stats.COEF_COLUMNS))


def test_everything_with_one_model_removed(fixture_acc, mixes):
    acc = fixture_acc[fixture_acc["model"] != "qwen3-8b"]
    out = _run_all(acc, mixes)
    assert len(out["changes"]) == 4 * 2 * 4 * 11
    assert set(out["ttest"]["n_direct"]) == {20}
    assert out["regression"][0]["coef"].notna().all()


def test_everything_with_mixtures_missing(fixture_acc, mixes):
    acc = fixture_acc[~fixture_acc["mixture"].isin(["en", "core-minus-ja+extras", "en-sw"])]
    acc = acc[~((acc["model"] == "gemma3-1b") & (acc["task"] == "api"))]
    out = _run_all(acc, mixes)
    assert out["changes"].empty and list(out["changes"].columns) == stats.CHANGE_COLUMNS
    assert out["summary"].empty and out["wins"].isna().all().all()
    assert set(out["rows"]["setting"]) == {"direct", "zero-shot-4", "zero-shot-6", "zero-shot-9"}
    assert not ((out["rows"]["setting"] == "zero-shot-9") & (out["rows"]["lang"] == "ja")).any()
    assert len(out["ttest"]) == 6
    math9 = out["ttest"].set_index(["task", "train_size"]).loc[("math", 9)]
    assert math9["n_zero_shot"] == 5 * 2  # es, bn (ja: mixture gone; sw: no en-sw, en: no en to compare with)
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
    """paper_statistics with per-item scores of the core languages and one extra language (fr)."""
    items = SAMPLES.item_scores(acc, langs=[*CORE, "fr"])
    return stats.paper_statistics(acc, mixes, languages, seed=3, n_boot=300, items=items, n_boot_regression=200)


def _frames(result) -> dict[str, pd.DataFrame]:
    """Every output of paper_statistics as a frame (the two R² values as one)."""
    return {"changes": result.changes, "summary": result.summary, "win_rates": result.win_rates,
            "win_table": result.win_table, "coef": result.coef,
            "r2": pd.DataFrame({"test": [result.r2_test], "train": [result.r2_train]}), "ttests": result.ttests,
            "cases": result.cases, "case_shares": result.case_shares}


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
    ("bn", ["changes", "summary", "win_rates", "win_table", "coef", "r2", "ttests", "cases"]),  # a core language
    ("te", ["changes", "summary", "win_rates", "win_table", "coef", "r2"]),  # eval-only: never zero-shot vs direct
])
def test_paper_statistics_follow_core_and_eval_rows(fixture_acc, mixes, languages, lang, moved):
    before = _frames(_paper_statistics(fixture_acc, mixes, languages))
    after = _frames(_paper_statistics(FIX.alter_rows(fixture_acc, [lang], drop=0.0), mixes, languages))
    for name in moved:
        assert not before[name].equals(after[name]), name
    if lang == "te":
        for name in ("ttests", "cases", "case_shares"):
            pd.testing.assert_frame_equal(before[name], after[name], obj=name)


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
