"""The paper's figures (mlpt.figures) on the synthetic fixture (tests/fixtures): which rows each
figure draws, that zero-shot and direct rows are never pooled, that accuracies carry their
Wilson intervals, and that every figure says what it is (its run; tiny random models) and draws
no panel or legend entry for what the run lacks."""

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
    """Figures drawn into memory, run label included: name -> the matplotlib figure (nothing is
    written)."""
    import matplotlib.pyplot as plt

    captured, made = {}, []

    def keep(fig, pdf, png):
        captured[pdf] = fig
        made.append(fig)

    monkeypatch.setattr(figures, "_write", keep)
    yield captured
    for fig in made:
        plt.close(fig)


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
    figures.training_curves({(model, "math", "en"): log}, {"models": {model: plotting["models"][model]},
                                                           "tasks": {"math": {"label": "MGSM"}}, "run": "fixture"},
                            "x.pdf", "x.png")
    bottom = drawn["x.pdf"].axes[1]
    assert bottom.get_ylabel() == label
    line, ring = bottom.get_lines()
    assert list(line.get_ydata()) == values and list(ring.get_ydata()) == [values[1]]


# ------------------------------------------------------------------------------------------------
# Every figure says what it is, and draws only what the run has

DEMO_MIXTURES = ["en", "en-es", "core-minus-ja", "core"]  # config/demo.yaml's: one of each kind


def _demo_like(acc: pd.DataFrame, plotting: dict, tiny: bool = True) -> tuple[pd.DataFrame, dict]:
    """The demo's shape on the fixture: one model per family (Fig 9 has none left), one mixture of
    each kind (zero-shot with 4 languages only, no mixture with an extra language), and the models
    tiny random-initialised copies (config ``tiny:``) unless ``tiny`` is False."""
    mixes = {m: plotting["mixture_languages"][m] for m in DEMO_MIXTURES}
    models = {m: {**plotting["models"][m], **({"tiny": {"like": "Qwen/Qwen3-0.6B-Base"}} if tiny else {})}
              for m in SMALL_MODELS}
    demo = {**plotting, "models": models, "mixtures": ["pretrained", *mixes], "mixture_languages": mixes}
    return acc[acc["model"].isin(SMALL_MODELS) & acc["mixture"].isin(demo["mixtures"])], demo


def _train_logs(models: list[str], mixtures: list[str]) -> dict:
    curve = [{"step": s, "epoch": s / 4, "loss": 3.0 - s / 10} for s in range(1, 9)]
    val = [{"step": 4, "epoch": 1.0, "val_accuracy": 0.2}, {"step": 8, "epoch": 2.0, "val_accuracy": 0.4}]
    return {(m, t, x): {"loss_curve": curve, "val_curve": val, "selected": {"global_step": 8}}
            for m in models for t in ("math", "api") for x in mixtures}


QC = pd.DataFrame({"task": ["math", "math", "control"], "lang": ["en", "es", "es"], "split": ["train"] * 3,
                   "method": ["source", "mt:seq2seq", "synthetic"], "records": [4, 4, 4],
                   "qc_numbers": [np.nan, 2, np.nan], "qc_language": [np.nan, 0, np.nan]})


def _draw(name: str, acc: pd.DataFrame, plotting: dict) -> None:
    """Draw figure ``name`` (a key of FIGURES, ``training_curves`` or ``translation_qc_flags``) of
    the run ``plotting`` describes, from its accuracy table."""
    if name == "training_curves":
        figures.training_curves(_train_logs(list(plotting["models"]), DEMO_MIXTURES), plotting, "x.pdf", "x.png")
    elif name == "translation_qc_flags":  # labelled by the MT model
        mt = {"mt": {"label": "MT model", **({"tiny": {"d_model": 64}} if figures.is_tiny(
            next(iter(plotting["models"].values()))) else {"hub_id": "facebook/nllb-200-distilled-600M"})}}
        figures.translation_qc_flags(QC, ["en", "es"], "x.pdf", "x.png", {"run": plotting["run"], "models": mt})
    elif name == "fig3":
        figures.fig3_median_change(stats.summarise_changes(
            stats.bilingual_changes(acc, plotting["mixture_languages"]), n_boot=50), plotting, "x.pdf", "x.png")
    else:
        figures.FIGURES[name](acc, plotting, "x.pdf", "x.png")


ALL_FIGURES = [*figures.FIGURES, "training_curves", "translation_qc_flags"]


def _texts(fig) -> list[str]:
    """Every text the figure draws: its own (suptitle, run label), the panels' titles and texts, legends."""
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_title(), *(t.get_text() for t in ax.texts)]
    return texts + _legend_labels(fig)


def _legend_labels(fig) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


@pytest.mark.parametrize("tiny", [True, False])
@pytest.mark.parametrize("name", ALL_FIGURES)
def test_every_figure_names_its_run_and_says_when_its_models_are_tiny(acc, plotting, drawn, name, tiny):
    demo, p = _demo_like(acc, plotting, tiny=tiny)
    _draw(name, demo, p)
    labels = [t.get_text() for t in drawn["x.pdf"].texts if t.get_text().startswith("run: fixture")]
    assert len(labels) == 1, _texts(drawn["x.pdf"])
    if name == "translation_qc_flags":
        assert ("tiny random-initialised model (MT model), not the paper's numbers" in labels[0]) == tiny
    else:
        assert ("tiny random-initialised models (Qwen3-0.6B, Gemma3-4B), not the paper's numbers" in labels[0]) == tiny
    assert tiny or "tiny" not in labels[0]


@pytest.mark.parametrize("name", ALL_FIGURES)
def test_a_figure_without_rows_still_names_its_run(acc, plotting, drawn, name):
    demo, p = _demo_like(acc, plotting)
    if name == "training_curves":
        figures.training_curves({}, p, "x.pdf", "x.png")
    elif name == "translation_qc_flags":
        figures.translation_qc_flags(QC.iloc[:0], ["en"], "x.pdf", "x.png", p)
    else:
        _draw(name, demo.iloc[:0], p)
    fig = drawn["x.pdf"]
    assert figures.run_label(p) in [t.get_text() for t in fig.texts] and len(fig.axes) == 1
    assert any(text.startswith("no ") for text in _texts(fig))  # says why it is empty


def test_the_run_label():
    models = {"a": {"label": "A", "tiny": {"like": "x"}}, "b": {"label": "B", "hub_id": "org/b"}}
    assert figures.run_label({"run": "paper", "models": {"b": models["b"]}}) == "run: paper"
    assert figures.run_label({"run": "demo", "models": models}) == (
        "run: demo; tiny random-initialised model (A), not the paper's numbers")
    assert figures.run_label({"models": {}}) == ""
    assert figures.run_label({"run": "demo", "models": models}).isascii()  # goes into LaTeX captions as it is


@pytest.mark.parametrize("name", ALL_FIGURES)
def test_the_demo_shape_draws_no_empty_panel(acc, plotting, drawn, name):
    """With every model and task of the run evaluated, every panel has data and a model in its
    title (the demo's Fig 9 was titled "— math" over "no results")."""
    demo, p = _demo_like(acc, plotting)
    _draw(name, demo, p)
    fig = drawn["x.pdf"]
    if name == "fig9":  # one model per family: all of them are in Fig 4, and the figure says so
        assert len(fig.axes) == 1 and any("no remaining models" in t for t in _texts(fig))
        assert not _legend_labels(fig)
        return
    for ax in fig.axes:
        assert "no results" not in [t.get_text() for t in ax.texts], ax.get_title()
        assert not ax.get_title().startswith(" —") and not ax.get_title().startswith("—")


def test_no_legend_entry_without_data(acc, plotting, drawn):
    """The demo's mixtures give zero-shot with 4 languages only and no mixture with an extra
    language: Fig 4 lists no zero-shot-6/-9, the extra languages' view no 'in the mixture' style."""
    demo, p = _demo_like(acc, plotting)
    figures.fig4_zero_shot(demo, p, "x.pdf", "x.png")
    assert _legend_labels(drawn["x.pdf"]) == [figures.SETTING_LABEL["zero-shot-4"]]
    bars = [patch for ax in drawn["x.pdf"].axes for patch in ax.patches]
    assert len(bars) == 2 * 2  # ja, zero-shot-4: a bar per model and task
    figures.extra_languages(demo, p, "x.pdf", "x.png")
    labels = _legend_labels(drawn["x.pdf"])
    assert figures.EXPOSURE_LABEL["direct"] not in labels
    assert figures.EXPOSURE_LABEL["zero-shot"] in labels and figures.EXPOSURE_LABEL["base"] in labels
    # the training curves: a colour per mixture trained, a dash per model trained
    figures.training_curves(_train_logs(["gemma3-4b"], ["en", "core"]), p, "x.pdf", "x.png")
    assert _legend_labels(drawn["x.pdf"]) == ["en", "core", "Gemma3-4B"]
    # a language without rows is in no legend; Fig 2 without the base model has no base entry
    figures.fig8_scaling(demo[demo["lang"] != "te"], p, "x.pdf", "x.png")
    assert not [label for label in _legend_labels(drawn["x.pdf"]) if label.startswith("te ")]
    figures.fig2_accuracy_vs_languages(demo[demo["mixture"] != "pretrained"], p, "x.pdf", "x.png")
    assert figures.EXPOSURE_LABEL["base"] not in _legend_labels(drawn["x.pdf"])
    figures.fig2_accuracy_vs_languages(demo, p, "x.pdf", "x.png")
    assert figures.EXPOSURE_LABEL["base"] in _legend_labels(drawn["x.pdf"])


def test_training_curves_label_each_mixture(plotting, drawn):
    """Study B's runs: a colour per mixture with its name, a dash per model."""
    models = {m: plotting["models"][m] for m in SMALL_MODELS}
    logs = _train_logs(SMALL_MODELS, ["zh", "zh-de"])
    figures.training_curves(logs, {"models": models, "tasks": {"math": {"label": "MGSM"}, "api": {"label": "API"}},
                                   "run": "b"}, "x.pdf", "x.png")
    fig = drawn["x.pdf"]
    assert _legend_labels(fig) == ["zh", "zh-de", "Qwen3-0.6B", "Gemma3-4B"]
    assert sorted(legend.get_title().get_text() for legend in fig.legends) == ["mixture", "model"]
    lines = [line for line in fig.axes[0].get_lines()]
    styles = {(tuple(np.round(line.get_color(), 3)) if not isinstance(line.get_color(), str) else line.get_color(),
               line.get_linestyle()) for line in lines}
    assert len(lines) == len(styles) == 4  # model x mixture: each line its own colour and dashes


def test_fig7_centres_a_diverging_scale_on_white_at_zero(acc, plotting, drawn):
    from matplotlib.collections import QuadMesh

    small, p = _small(acc, plotting)
    figures.fig7_heatmaps(small, p, "x.pdf", "x.png")
    heatmaps = [ax for ax in drawn["x.pdf"].axes if ax.get_ylabel() != "change vs base model (points)"]
    meshes = [c for ax in heatmaps for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 4
    for mesh in meshes:
        assert mesh.norm(0.0) == pytest.approx(0.5)
        assert tuple(mesh.to_rgba(0.0)) == (1.0, 1.0, 1.0, 1.0)  # a change of 0 is white
        limit = mesh.norm.halfrange
        low, high = mesh.to_rgba(-limit), mesh.to_rgba(limit)
        assert low[2] > low[0] and high[0] > high[2]  # losses blue, gains red
    cmap, norm = figures.change_colours(7.0)
    assert cmap(norm(0.0)) == (1.0, 1.0, 1.0, 1.0) and cmap(norm(0.1)) != (1.0, 1.0, 1.0, 1.0)  # 1/70 of the scale
