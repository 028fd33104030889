"""The paper's figures (mlpt.figures) on the synthetic fixture (tests/fixtures): which rows each
figure draws, that zero-shot and direct rows are never pooled, and that accuracies carry their
Wilson intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures import make_accuracy_fixture as FIX  # tests/ is on sys.path (conftest.py)
from mlpt import figures, stats

FIXTURES = Path(__file__).parents[1] / "fixtures"
SMALL_MODELS = ["qwen3-600m", "gemma3-4b"]
SMALL_MIXTURES = ["en", "en-es", "core-minus-ja", "core", "all10"]


@pytest.fixture(scope="module")
def acc() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "accuracy_fixture.csv")


@pytest.fixture
def plotting(paper_config) -> dict:
    """What the figure rules pass (plotting_params() in workflow/rules/common.smk), for the fixture."""
    mixes = FIX.fixture_mixture_languages()
    return {"models": paper_config["models"], "tasks": {"math": {"label": "MGSM"}, "api": {"label": "API-Bank"}},
            "languages": paper_config["languages"], "mixtures": ["pretrained", *mixes], "mixture_languages": mixes,
            "source_lang": "en", "run": "fixture"}


def _small(acc: pd.DataFrame, plotting: dict) -> tuple[pd.DataFrame, dict]:
    """Two models and five mixtures: every kind of row, quick to draw."""
    mixes = {m: plotting["mixture_languages"][m] for m in SMALL_MIXTURES}
    small = {**plotting, "models": {m: plotting["models"][m] for m in SMALL_MODELS},
             "mixtures": ["pretrained", *mixes], "mixture_languages": mixes}
    return acc[acc["model"].isin(SMALL_MODELS) & acc["mixture"].isin(small["mixtures"])], small


PAPER_DATA = {  # figure data of the paper's figures (and Fig 2's split view), as a function of the table
    "fig2": lambda acc, p: figures.fig2_data(acc, p["languages"]),
    "fig2_by_exposure": lambda acc, p: figures.fig2_by_exposure_data(acc, p["languages"]),
    "fig4/9": figures.zero_shot_data,
    "fig7": lambda acc, p: figures.fig7_data(acc, p["languages"]),
    "fig8": lambda acc, p: figures.fig8_data(acc, p["languages"]),
    "fig8 dots": lambda acc, p: figures.fig8_runs(acc, p["languages"]),
}


# ------------------------------------------------------------------------------------------------
# Which rows each figure draws


@pytest.mark.parametrize("name", list(PAPER_DATA))
def test_paper_figures_ignore_extra_language_rows(acc, plotting, name):
    extras = stats.languages_with_role(plotting["languages"], ["extra"])
    before = PAPER_DATA[name](acc, plotting)
    assert len(before) and not set(before["lang"] if "lang" in before else []) & set(extras)
    for seed in (0, 1):
        after = PAPER_DATA[name](FIX.alter_rows(acc, extras, seed=seed), plotting)
        pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


@pytest.mark.parametrize("name, langs", [("fig2", ["bn"]), ("fig2", ["te"]), ("fig4/9", ["ja"]), ("fig7", ["en"]),
                                         ("fig7", ["te"]), ("fig8", ["sw"]), ("fig8", ["te"])])
def test_paper_figures_follow_core_and_eval_rows(acc, plotting, name, langs):
    before = PAPER_DATA[name](acc, plotting)
    after = PAPER_DATA[name](FIX.alter_rows(acc, langs, drop=0.0), plotting)
    assert not before.reset_index(drop=True).equals(after.reset_index(drop=True))


def test_extra_language_view_draws_the_extras_only(acc, plotting):
    data = figures.extra_languages_data(acc, plotting["languages"])
    assert set(data["lang"]) == {"fr", "de", "ru", "zh", "th"}
    core = stats.languages_with_role(plotting["languages"], stats.PAPER_ROLES)
    pd.testing.assert_frame_equal(data, figures.extra_languages_data(FIX.alter_rows(acc, core), plotting["languages"]))
    assert not data.equals(figures.extra_languages_data(FIX.alter_rows(acc, ["fr"], drop=0.0), plotting["languages"]))


# ------------------------------------------------------------------------------------------------
# Zero-shot is never pooled with direct inclusion; pooled points are Σ correct / Σ n with Wilson


def _expected_pool(acc: pd.DataFrame, plotting: dict, point: pd.Series, by: list[str]) -> pd.DataFrame:
    """The accuracy-table rows a Fig 2/8 point must pool."""
    rows = stats.paper_rows(acc, plotting["languages"])
    rows = rows[(rows["n_train_langs"] == point["n_train_langs"])
                & np.logical_and.reduce([rows[c] == point[c] for c in by])]
    base = rows["mixture"] == "pretrained"
    keep = {"base": base, "direct": ~base & rows["in_training"], "zero-shot": ~base & ~rows["in_training"]}
    return rows[keep[point["exposure"]]]


@pytest.mark.parametrize("data, by", [(figures.fig2_by_exposure_data, ["model", "task", "resource"]),
                                      (figures.fig8_data, ["model", "task", "lang"])])
def test_points_pool_one_exposure_with_wilson_intervals(acc, plotting, data, by):
    points = data(acc, plotting["languages"])
    assert set(points["exposure"]) == {"base", "direct", "zero-shot"}
    for _, point in points.sample(60, random_state=0).iterrows():
        rows = _expected_pool(acc, plotting, point, by)
        assert point["rows"] == len(rows) > 0
        assert point["accuracy"] == pytest.approx(rows["correct"].sum() / rows["n"].sum())
        low, high = stats.wilson_ci(rows["correct"].sum(), rows["n"].sum())
        assert (point["ci_low"], point["ci_high"]) == pytest.approx((float(low), float(high)))


def test_fig2_pools_every_language_of_a_resource_level_per_model(acc, plotting):
    """Fig 2 as in the paper: one point per model × task × resource × size, pooling the languages
    in the mixture and those left out (Σ correct / Σ n, Wilson interval of the pooled counts)."""
    points = figures.fig2_data(acc, plotting["languages"])
    assert "exposure" not in points and not points.duplicated(["model", "task", "resource", "n_train_langs"]).any()
    rows = stats.paper_rows(acc, plotting["languages"])
    for _, point in points.sample(40, random_state=1).iterrows():
        pooled = rows[(rows["model"] == point["model"]) & (rows["task"] == point["task"])
                      & (rows["resource"] == point["resource"]) & (rows["n_train_langs"] == point["n_train_langs"])]
        assert point["rows"] == len(pooled)
        assert point["accuracy"] == pytest.approx(pooled["correct"].sum() / pooled["n"].sum())
        low, high = stats.wilson_ci(pooled["correct"].sum(), pooled["n"].sum())
        assert (point["ci_low"], point["ci_high"]) == pytest.approx((float(low), float(high)))
    # at 4 training languages the high-resource point pools direct and zero-shot rows of 5 mixtures
    four = points.set_index(["model", "task", "resource", "n_train_langs"]).loc[("qwen3-8b", "math", "high", 4)]
    split = figures.fig2_by_exposure_data(acc, plotting["languages"]).set_index(
        ["model", "task", "resource", "exposure", "n_train_langs"])
    direct, zero = split.loc[("qwen3-8b", "math", "high", "direct", 4)], split.loc[("qwen3-8b", "math", "high",
                                                                                     "zero-shot", 4)]
    assert four["rows"] == direct["rows"] + zero["rows"] == 5 * 3
    assert four["n"] == direct["n"] + zero["n"] and four["correct"] == direct["correct"] + zero["correct"]


def test_fig4_includes_english_against_english_only_training(acc, plotting, drawn):
    """English's bars: zero-shot after core-minus-en (and its wider versions), direct = the
    English-only mixture (every bilingual mixture contains English)."""
    data = figures.zero_shot_data(acc, plotting).set_index(["model", "task", "lang", "setting"])
    row = acc.set_index(["model", "task", "mixture", "lang"])
    assert data.loc[("qwen3-8b", "api", "en", "direct"), "accuracy"] == pytest.approx(
        row.loc[("qwen3-8b", "api", "en", "en"), "accuracy"])
    assert data.loc[("qwen3-8b", "api", "en", "zero-shot-4"), "accuracy"] == pytest.approx(
        row.loc[("qwen3-8b", "api", "core-minus-en", "en"), "accuracy"])
    small, p = acc[acc["model"].isin(SMALL_MODELS)], {**plotting, "models": {m: plotting["models"][m]
                                                                              for m in SMALL_MODELS}}
    figures.fig4_zero_shot(small, p, "x.pdf", "x.png")
    panel = drawn["x.pdf"].axes[0]
    assert [t.get_text() for t in panel.get_xticklabels()] == ["en", "es", "ja", "bn", "sw"]
    from matplotlib.container import BarContainer

    bars = [c for c in panel.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == [figures.SETTING_LABEL[s] for s in figures.SETTINGS]
    english_direct = bars[0].patches[0].get_height()  # first setting (direct), first language (en)
    assert english_direct == pytest.approx(100 * row.loc[("qwen3-600m", "math", "en", "en"), "accuracy"])


def test_fig8_draws_every_run_as_a_dot_under_its_pooled_line(acc, plotting, drawn):
    from matplotlib.collections import PathCollection

    small, p = _small(acc, plotting)
    figures.fig8_scaling(small, p, "x.pdf", "x.png")
    runs = figures.fig8_runs(small, p["languages"])
    dots = [c for ax in drawn["x.pdf"].axes for c in ax.collections if isinstance(c, PathCollection)]
    ys = np.sort(np.concatenate([c.get_offsets()[:, 1] for c in dots]))
    assert len(ys) == len(runs.dropna(subset=["accuracy"])) > 0
    np.testing.assert_allclose(ys, np.sort(100 * runs["accuracy"].dropna().to_numpy()), atol=1e-9)
    lines = [line for ax in drawn["x.pdf"].axes for line in ax.get_lines()]
    assert all(c.get_zorder() < min(line.get_zorder() for line in lines) for c in dots)  # under the pooled line
    # the small table's only 4-language mixture is core-minus-ja: one dot per language there, es direct, ja zero-shot
    four = runs[(runs.model == "qwen3-600m") & (runs.task == "math") & (runs.n_train_langs == 4)].set_index("lang")
    assert four.loc["es", "exposure"] == "direct" and four.loc["ja", "exposure"] == "zero-shot"


def test_fig8_keeps_a_left_out_language_apart(acc, plotting):
    """At 4 training languages, es is zero-shot in core-minus-es only and direct in the other four."""
    points = figures.fig8_data(acc, plotting["languages"]).set_index(["model", "task", "lang", "exposure",
                                                                      "n_train_langs"])
    zero = points.loc[("qwen3-8b", "math", "es", "zero-shot", 4)]
    direct = points.loc[("qwen3-8b", "math", "es", "direct", 4)]
    row = acc[(acc["model"] == "qwen3-8b") & (acc["task"] == "math") & (acc["lang"] == "es")
              & (acc["mixture"] == "core-minus-es")].iloc[0]
    assert zero["rows"] == 1 and zero["accuracy"] == pytest.approx(row["accuracy"])
    assert (zero["ci_low"], zero["ci_high"]) == pytest.approx((row["ci_low"], row["ci_high"]), abs=1e-6)
    assert direct["rows"] == 4


def test_fig7_cells(acc, plotting):
    cells = figures.fig7_data(acc, plotting["languages"])
    assert set(cells["lang"]) == {"en", "es", "ja", "bn", "sw", "te"} and "pretrained" not in set(cells["mixture"])
    assert len(cells) == 5 * 2 * 22 * 6
    one = cells.set_index(["model", "task", "mixture", "lang"]).loc[("gemma3-1b", "api", "en-bn", "bn")]
    pick = acc.set_index(["model", "task", "mixture", "lang"])
    trained, base = pick.loc[("gemma3-1b", "api", "en-bn", "bn")], pick.loc[("gemma3-1b", "api", "pretrained", "bn")]
    assert one["change"] == pytest.approx(100 * (trained["accuracy"] - base["accuracy"]))
    assert bool(one["in_training"])
    assert (cells["ci_low"] <= cells["change"] + 1e-9).all() and (cells["change"] <= cells["ci_high"] + 1e-9).all()


# ------------------------------------------------------------------------------------------------
# Drawing


@pytest.fixture
def drawn(monkeypatch):
    """Figures drawn into memory: name -> the matplotlib figure (nothing is written)."""
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, pdf, png: captured.__setitem__(pdf, fig))
    return captured


def _error_bar_spans(fig) -> list[tuple[float, float]]:
    """(low, high) of every error bar drawn, in axis units."""
    from matplotlib.container import ErrorbarContainer

    spans = []
    for ax in fig.axes:
        for container in ax.containers:
            if isinstance(container, ErrorbarContainer):
                for seg in container.lines[2][0].get_segments():
                    if len(seg) == 2 and not np.isnan(seg).any():  # a missing bar has no segment
                        spans.append((float(seg[0][1]), float(seg[1][1])))
    return sorted(spans)


def _wilson_spans(points: pd.DataFrame) -> list[tuple[float, float]]:
    points = points.dropna(subset=["accuracy"])
    low = 100 * np.minimum(points["ci_low"], points["accuracy"])
    high = 100 * np.maximum(points["ci_high"], points["accuracy"])
    return sorted(zip(low, high))


@pytest.mark.parametrize("name, data", [
    ("fig2", lambda acc, p: figures.fig2_data(acc, p["languages"])),
    ("fig2_by_exposure", lambda acc, p: figures.fig2_by_exposure_data(acc, p["languages"])),
    ("fig8", lambda acc, p: figures.fig8_data(acc, p["languages"])),
    ("extra_languages", lambda acc, p: figures.extra_languages_data(acc, p["languages"])),
    ("fig4", lambda acc, p: figures.zero_shot_data(acc, p).query("model in @figures.largest_per_family(@p['models'])")),
])
def test_every_accuracy_drawn_with_its_wilson_interval(acc, plotting, drawn, name, data):
    small, p = _small(acc, plotting)
    figures.FIGURES[name](small, p, "x.pdf", "x.png")
    drawn_spans, wilson = _error_bar_spans(drawn["x.pdf"]), _wilson_spans(data(small, p))
    assert len(drawn_spans) == len(wilson) > 0
    np.testing.assert_allclose(drawn_spans, wilson, atol=1e-4)


def test_fig7_has_one_colour_bar(acc, plotting, drawn):
    small, p = _small(acc, plotting)
    figures.fig7_heatmaps(small, p, "x.pdf", "x.png")
    fig = drawn["x.pdf"]
    bars = [ax for ax in fig.axes if ax.get_ylabel() == "change vs base model (points)"]
    assert len(bars) == 1
    heatmaps = [ax for ax in fig.axes if ax not in bars]
    assert len(heatmaps) == 2 * 2
    assert [t.get_text() for t in heatmaps[0].get_xticklabels()] == ["en", "es", "ja", "bn", "sw", "te"]


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_every_figure_writes_pdf_and_png_from_partial_tables(acc, plotting, tmp_path, name):
    small, p = _small(acc, plotting)
    table = small[~((small["model"] == "gemma3-4b") & (small["task"] == "api"))]
    if name == "fig3":  # the median changes
        table = stats.summarise_changes(stats.bilingual_changes(table, p["mixture_languages"]), n_boot=200)
    for suffix, rows in (("part", table), ("empty", table.iloc[:0])):
        pdf, png = tmp_path / f"{name}_{suffix}.pdf", tmp_path / f"{name}_{suffix}.png"
        figures.FIGURES[name](rows, p, str(pdf), str(png))
        assert pdf.stat().st_size > 1000 and png.stat().st_size > 1000


@pytest.mark.parametrize("metric, label", [("val_accuracy", "validation accuracy"),
                                           ("val_loss", "validation loss (per token)")])
def test_training_curves_draw_the_selection_criterion_of_each_run(plotting, drawn, metric, label):
    """Study A's runs select by validation accuracy, study B's by validation loss: the bottom row
    draws whichever the train_log.json holds, with a ring on the selected epoch."""
    values = [0.5, 0.7, 0.6] if metric == "val_accuracy" else [2.0, 1.2, 1.5]
    val = [{"step": 4 * (i + 1), "epoch": i + 1.0, metric: v, "by_language": {"en": v}} for i, v in enumerate(values)]
    log = {"loss_curve": [{"step": s, "epoch": s / 4, "loss": 3.0 - s / 10} for s in range(1, 13)], "val_curve": val,
           "selected": {"global_step": 8, metric: values[1], "criterion": metric}}
    model = SMALL_MODELS[0]
    figures.training_curves({(model, "math", "en"): log}, {model: plotting["models"][model]},
                            {"math": {"label": "MGSM"}}, "x.pdf", "x.png")
    bottom = drawn["x.pdf"].axes[1]
    assert bottom.get_ylabel() == label
    line, ring = bottom.get_lines()
    assert list(line.get_ydata()) == values and list(ring.get_ydata()) == [values[1]]
