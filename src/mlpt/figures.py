"""The paper's figures (2, 3, 4, 7, 8, 9), extra views (Fig 2 split by exposure, the extra
languages), and the run's diagnostic figures (training curves, translation QC).

A paper figure takes the accuracy table (Fig 3: the median changes of :mod:`mlpt.stats`) and the
study slices of the rules' ``plotting`` params (``models``, ``tasks``, ``languages`` with their
roles, ``mixtures``, ``mixture_languages``, ``source_lang``, ``run``), never the whole config, and
writes a PDF and a PNG; ``FIGURES`` names the function of each figure rule. Three rules hold for
every one of them:

* Only the paper's evaluation languages (config roles core and eval, :func:`mlpt.stats.paper_rows`)
  enter a paper figure. The extra (train-only) languages have their own figure,
  :func:`extra_languages`, which carries no number of the paper.
* Zero-shot accuracy (the evaluation language is not in the training mixture) is kept apart from
  direct inclusion (it is) wherever a figure is about that difference: separate series in Fig 8,
  the split view of Fig 2 and the extra-language view, separate bars in Figs 4/9, and the base
  model a third marker (:func:`mlpt.stats.exposure`). Fig 2 itself pools every evaluation
  language of a resource level per model, as the paper draws it.
* Every accuracy is drawn with its Wilson 95% interval. A point that pools several rows (Figs 2
  and 8) is the pooled accuracy with the Wilson interval of the pooled counts
  (:func:`mlpt.stats.pooled_accuracy`); Fig 8 also draws each run's own accuracy as a dot under
  the pooled line.

Models are ordered by family and size, languages in config order, colours from the
colour-blind-safe seaborn palette. A partial results table draws what exists: a missing model,
mixture or language is simply absent from the plot (or shown as an empty cell), never an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import io, stats
from .mixture_grammar import PRETRAINED

CATEGORIES = ["english", "direct", "transfer"]
SETTINGS = ["direct", "zero-shot-4", "zero-shot-6", "zero-shot-9"]
# Legend of each bar of Figs 4 and 9 (the direct baseline of English is the English-only mixture).
SETTING_LABEL = {"direct": "direct: en + X (English: en only)", "zero-shot-4": "zero-shot, 4 languages",
                 "zero-shot-6": "zero-shot, 6 languages", "zero-shot-9": "zero-shot, 9 languages"}
# How each exposure of an evaluation language (stats.EXPOSURES) is drawn, in every figure.
EXPOSURE_STYLE = {
    "direct": {"linestyle": "-", "marker": "o"},
    "zero-shot": {"linestyle": ":", "marker": "o", "markerfacecolor": "white"},
    "base": {"linestyle": "none", "marker": "D"},
}
EXPOSURE_LABEL = {
    "direct": "language in the training mixture",
    "zero-shot": "language not in the mixture (zero-shot)",
    "base": "base model (no SFT)",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, pdf_path: str, png_path: str) -> None:
    plt = _plt()
    for path in (pdf_path, png_path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with io.atomic_path(path, "wb") as fh:
            fig.savefig(fh, format=Path(path).suffix[1:], dpi=150, bbox_inches="tight")
    plt.close(fig)


def model_order(models: dict) -> list[str]:
    """Family by family (in config order), smaller models first."""
    families = list(dict.fromkeys(spec["family"] for spec in models.values()))
    return sorted(models, key=lambda m: (families.index(models[m]["family"]), models[m]["params_b"]))


def largest_per_family(models: dict) -> list[str]:
    """Fig 4's models: the largest of each family (Qwen3-8B and Gemma3-4B in the paper)."""
    best: dict[str, str] = {}
    for m, spec in models.items():
        if spec["family"] not in best or spec["params_b"] > models[best[spec["family"]]]["params_b"]:
            best[spec["family"]] = m
    return list(best.values())


def _palette(n: int):
    import seaborn as sns

    return sns.color_palette("colorblind", max(n, 1))


def _empty(ax, text: str = "no results") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.5")
    ax.set_xticks([])
    ax.set_yticks([])


def _wilson_err(rows: pd.DataFrame) -> np.ndarray:
    """Error-bar lengths (points) below and above each accuracy, from its ``ci_low``/``ci_high``."""
    err = 100 * np.vstack([rows["accuracy"] - rows["ci_low"], rows["ci_high"] - rows["accuracy"]])
    return np.clip(np.nan_to_num(err), 0.0, None)  # a bound at 0 or 1 can sit a rounding error past its estimate


def _offsets(n: int, spread: float = 0.45) -> np.ndarray:
    """x shifts that keep the error bars of ``n`` series at the same x apart."""
    return np.linspace(-spread / 2, spread / 2, n) if n > 1 else np.zeros(n)


def _exposure_panel(ax, rows: pd.DataFrame, column: str, colours: dict, runs: pd.DataFrame | None = None) -> None:
    """A panel of Fig 8 or of Fig 2's split view: for each value of ``column`` (a model or a
    language, coloured by ``colours``), pooled accuracy against the number of training languages, a
    line per exposure (never joined), each point with its Wilson 95% error bar; the series sit side
    by side at each x. With ``runs`` (one row per run: ``column``, ``exposure``, ``n_train_langs``,
    ``accuracy``), each run's accuracy is a small dot at its series' x, under the pooled line."""
    for key, offset in zip(colours, _offsets(len(colours))):
        for exposure in stats.EXPOSURES:
            s = rows[(rows[column] == key) & (rows["exposure"] == exposure)].sort_values("n_train_langs")
            if len(s):
                ax.errorbar(s["n_train_langs"] + offset, 100 * s["accuracy"], yerr=_wilson_err(s), color=colours[key],
                            capsize=1.5, elinewidth=0.7, markersize=3.5, lw=1.1, zorder=2, **EXPOSURE_STYLE[exposure])
            if runs is not None:
                r = runs[(runs[column] == key) & (runs["exposure"] == exposure)].dropna(subset=["accuracy"])
                if len(r):
                    ax.scatter(r["n_train_langs"] + offset, 100 * r["accuracy"], s=7, color=colours[key], alpha=0.35,
                               linewidths=0, zorder=1)
    ax.grid(alpha=0.3)


def _legend(fig, colours: dict, side_title: str | None = None) -> None:
    """The figure's legend: a colour per model or language, then the three exposure styles; in one
    column right of the panels under ``side_title`` if one is given, else in two rows below them."""
    from matplotlib.lines import Line2D

    by_colour = [Line2D([], [], color=c, lw=2, label=name) for name, c in colours.items()]
    by_style = [Line2D([], [], color="0.35", label=EXPOSURE_LABEL[e], **EXPOSURE_STYLE[e]) for e in stats.EXPOSURES]
    text = {"frameon": False, "fontsize": 8, "title_fontsize": 8}
    if side_title is not None:
        fig.legend(handles=by_colour + by_style, title=side_title, loc="center left", bbox_to_anchor=(1.0, 0.5), **text)
        return
    fig.legend(handles=by_colour, loc="lower center", ncol=max(len(by_colour), 1), bbox_to_anchor=(0.5, 0.035), **text)
    fig.legend(handles=by_style, loc="lower center", ncol=len(by_style), bbox_to_anchor=(0.5, 0.0), **text)


def _accuracy_by_exposure(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Pooled accuracy (Wilson 95% interval) per ``by`` × exposure × number of training languages."""
    return stats.pooled_accuracy(rows.assign(exposure=stats.exposure(rows)), [*by, "exposure", "n_train_langs"])


# --------------------------------------------------------------------------------------------------
# Fig 2: average accuracy vs number of training languages


def fig2_data(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """Fig 2's points, as the paper draws them: per model × task × resource level × number of
    training languages, the pooled accuracy of every paper evaluation language of that resource
    level over the mixtures of that size (0 = the base model), languages in and out of the mixture
    together, with its Wilson 95% interval."""
    return stats.pooled_accuracy(stats.paper_rows(acc, languages), ["model", "task", "resource", "n_train_langs"])


def fig2_by_exposure_data(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """The split view of Fig 2 (an extra figure): :func:`fig2_data` per exposure as well, so
    languages in the mixture (direct) and left out of it (zero-shot) are separate points."""
    return _accuracy_by_exposure(stats.paper_rows(acc, languages), ["model", "task", "resource"])


def _pooled_panel(ax, rows: pd.DataFrame, colours: dict) -> None:
    """A panel of Fig 2: one line per model (colour) through the pooled accuracy of each number of
    training languages, each point with its Wilson 95% error bar; the base model (0 languages) is a
    diamond, not joined to the line."""
    for model, offset in zip(colours, _offsets(len(colours))):
        s = rows[rows["model"] == model].sort_values("n_train_langs")
        trained, base = s[s["n_train_langs"] > 0], s[s["n_train_langs"] == 0]
        for part, style in ((trained, {"linestyle": "-", "marker": "o"}), (base, EXPOSURE_STYLE["base"])):
            if len(part):
                ax.errorbar(part["n_train_langs"] + offset, 100 * part["accuracy"], yerr=_wilson_err(part),
                            color=colours[model], capsize=1.5, elinewidth=0.7, markersize=3.5, lw=1.1, **style)
    ax.grid(alpha=0.3)


def _fig2_grid(data: pd.DataFrame, plotting: dict, draw, legend_styles: bool, title: str, pdf_path: str,
               png_path: str) -> None:
    """Fig 2's layout: one row per task (API, math, then others such as the synthetic control),
    columns high- and low-resource evaluation languages, one colour per model; ``draw(ax, rows,
    colours)`` fills a panel."""
    plt = _plt()
    models, tasks = plotting["models"], plotting["tasks"]
    task_order = [t for t in ("api", "math") if t in set(data["task"])] + sorted(set(data["task"]) - {"api", "math"})
    model_ids = [m for m in model_order(models) if m in set(data["model"])]
    colours = dict(zip(model_ids, _palette(len(model_ids))))
    fig, axes = plt.subplots(max(len(task_order), 1), 2, figsize=(9, 3 * max(len(task_order), 1)), sharex=True,
                             squeeze=False)
    top = max(5.0, 105 * float(data["ci_high"].max())) if len(data) else 100.0
    for r, task in enumerate(task_order or [None]):
        for c, res in enumerate(["high", "low"]):
            ax = axes[r][c]
            d = data[(data.task == task) & (data.resource == res)]
            if d.empty:
                _empty(ax)
                continue
            draw(ax, d, colours)
            ax.set_ylim(0, top)
            ax.set_title(f"{tasks.get(task, {}).get('label', task)}: {res}-resource languages", fontsize=10)
            ax.set_ylabel("accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("number of training languages (0 = base model)")
    names = {models[m]["label"]: colours[m] for m in model_ids}
    if legend_styles:
        _legend(fig, names)
    else:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=c, lw=2, label=name) for name, c in names.items()]
        handles.append(Line2D([], [], color="0.35", label=EXPOSURE_LABEL["base"], **EXPOSURE_STYLE["base"]))
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=8,
                   bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{title} (run: {plotting['run']})", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    _save(fig, pdf_path, png_path)


def fig2_accuracy_vs_languages(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 2: average accuracy against the number of training languages, one line per model (all
    evaluation languages of a resource level pooled, as in the paper); one row per task, columns
    high- and low-resource evaluation languages."""
    _fig2_grid(fig2_data(acc, plotting["languages"]), plotting, _pooled_panel, False,
               "Average accuracy vs number of training languages", pdf_path, png_path)


def fig2_by_exposure(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 2 split by exposure (an extra view): each model's line split into the evaluation
    languages in the training mixture (direct) and those left out (zero-shot)."""
    _fig2_grid(fig2_by_exposure_data(acc, plotting["languages"]), plotting,
               lambda ax, d, colours: _exposure_panel(ax, d, "model", colours), True,
               "Average accuracy vs number of training languages, by exposure", pdf_path, png_path)


# --------------------------------------------------------------------------------------------------
# Fig 3: median change of bilingual over English-only


def fig3_median_change(summary: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Median change (points) of bilingual over English-only, by category, per task, with CIs.

    ``summary`` is the ``median_changes`` table (:func:`mlpt.stats.paper_statistics`)."""
    plt = _plt()
    tasks = plotting["tasks"]
    task_ids = [t for t in tasks if t in set(summary.get("task", []))]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if not task_ids:
        _empty(ax)
    width = 0.8 / max(len(task_ids), 1)
    colours = _palette(len(task_ids))
    for i, task in enumerate(task_ids):
        d = summary[summary.task == task].set_index("category").reindex(CATEGORIES)
        x = np.arange(len(CATEGORIES)) + (i - (len(task_ids) - 1) / 2) * width
        err = np.vstack([d["median"] - d["ci_low"], d["ci_high"] - d["median"]])
        ax.bar(x, d["median"], width, yerr=np.nan_to_num(err), capsize=3, color=colours[i], label=tasks[task]["label"])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(range(len(CATEGORIES)), ["English", "direct exposure", "cross-lingual transfer"])
    ax.set_ylabel("median change vs English-only (points)")
    if task_ids:
        ax.legend(frameon=False)
    ax.set_title("Bilingual vs English-only SFT (95% bootstrap CI)", fontsize=10)
    _save(fig, pdf_path, png_path)


# --------------------------------------------------------------------------------------------------
# Figs 4 and 9: zero-shot vs direct inclusion


def zero_shot_data(acc: pd.DataFrame, plotting: dict) -> pd.DataFrame:
    """Figs 4 and 9's bars: accuracy (Wilson 95% interval) of each core language, English included,
    per model × task × setting (direct, zero-shot-4/6/9; :func:`mlpt.stats.zero_shot_vs_direct`),
    one row each. English's direct bar is the English-only mixture, the others' ``en-X``."""
    languages = plotting["languages"]
    rows = stats.zero_shot_rows(stats.paper_rows(acc, languages), plotting["mixture_languages"], languages,
                                plotting["source_lang"])
    return stats.pooled_accuracy(rows, ["model", "task", "lang", "setting"])


def _zero_shot_panels(acc: pd.DataFrame, plotting: dict, selected: list[str], title: str, pdf_path: str,
                      png_path: str) -> None:
    """Bars per core language and setting, one panel per model in ``selected`` (rows) and task (columns)."""
    plt = _plt()
    models, tasks = plotting["models"], plotting["tasks"]
    rows = zero_shot_data(acc, plotting)
    model_ids = [m for m in model_order(models) if m in selected]
    task_ids = list(tasks)
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids), figsize=(3.4 * len(task_ids), 2.6 * max(len(model_ids), 1)),
                             squeeze=False, sharey=True)
    langs = [lang for lang in plotting["languages"] if lang in set(rows["lang"])]
    colours = _palette(len(SETTINGS))
    width = 0.8 / len(SETTINGS)
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            d = rows[(rows.model == model) & (rows.task == task)]
            if d.empty:
                _empty(ax)
            else:
                for i, setting in enumerate(SETTINGS):
                    s = d[d.setting == setting].set_index("lang").reindex(langs)
                    ax.bar(np.arange(len(langs)) + (i - 1.5) * width, 100 * s["accuracy"], width, yerr=_wilson_err(s),
                           error_kw={"elinewidth": 0.7, "capsize": 1.5}, color=colours[i],
                           label=SETTING_LABEL[setting])
                ax.set_xticks(range(len(langs)), langs)
            ax.set_title(f"{models[model]['label'] if model else ''} — {tasks[task]['label']}", fontsize=9)
            if c == 0:
                ax.set_ylabel("accuracy (%)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=8, bbox_to_anchor=(0.5, -0.04))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    _save(fig, pdf_path, png_path)


def fig4_zero_shot(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 4: zero-shot accuracy in a left-out core language (4, 6, 9 training languages) vs direct
    inclusion (in the bilingual mixture en + X; for English, the English-only mixture), for the
    largest model of each family."""
    _zero_shot_panels(acc, plotting, largest_per_family(plotting["models"]),
                      "Zero-shot (language left out) vs direct inclusion", pdf_path, png_path)


def fig9_zero_shot_other_models(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 9: Fig 4 for the remaining models."""
    largest = largest_per_family(plotting["models"])
    _zero_shot_panels(acc, plotting, [m for m in plotting["models"] if m not in largest],
                      "Zero-shot (language left out) vs direct inclusion: remaining models", pdf_path, png_path)


# --------------------------------------------------------------------------------------------------
# Fig 7: change vs the base model


def fig7_data(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """Fig 7's cells: per model × task × trained mixture × paper evaluation language, the change in
    accuracy over the base model (points, ``change``), its 95% interval (``ci_low``/``ci_high``,
    :func:`mlpt.stats.change_ci`) and whether the language is in the mixture (``in_training``)."""
    rows = stats.paper_rows(acc, languages)
    key = ["model", "task", "lang"]
    base = rows.loc[rows["mixture"] == PRETRAINED, [*key, "n", "correct", "accuracy"]]
    cells = rows[rows["mixture"] != PRETRAINED].merge(base, on=key, suffixes=("", "_base"))
    low, high = stats.change_ci(cells["correct"], cells["n"], cells["correct_base"], cells["n_base"])
    return pd.DataFrame({"model": cells["model"], "task": cells["task"], "mixture": cells["mixture"],
                         "lang": cells["lang"], "in_training": cells["in_training"].astype(bool),
                         "change": 100 * (cells["accuracy"] - cells["accuracy_base"]),
                         "ci_low": 100 * low, "ci_high": 100 * high})


def fig7_heatmaps(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 7: change vs the base model (points) per paper evaluation language (columns) and mixture
    (rows), one heatmap per model (rows of panels) and task (columns of panels), one colour bar.

    A framed cell is a language in the mixture (direct); a cross marks a change whose 95%
    interval includes 0."""
    plt = _plt()
    import seaborn as sns
    from matplotlib.patches import Rectangle

    models, tasks = plotting["models"], plotting["tasks"]
    languages = stats.languages_with_role(plotting["languages"], stats.PAPER_ROLES)
    mixtures = [m for m in plotting["mixtures"] if m != PRETRAINED]
    cells = fig7_data(acc, plotting["languages"])
    model_ids = [m for m in model_order(models) if m in set(cells["model"])]
    task_ids = list(tasks)
    # one symmetric colour scale for every panel, so 0 is white and panels compare
    limit = max([1.0, *np.abs(cells["change"].dropna())])
    cmap = sns.color_palette("vlag", as_cmap=True)
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids), layout="constrained", squeeze=False,
                             figsize=(0.5 * len(languages) * len(task_ids) + 3,
                                      0.26 * len(mixtures) * max(len(model_ids), 1) + 1.2))
    mappable = None
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            d = cells[(cells.model == model) & (cells.task == task)]
            if d.empty:
                _empty(ax)
                continue
            grid = d.pivot(index="mixture", columns="lang", values="change").reindex(index=mixtures, columns=languages)
            mappable = ax.pcolormesh(np.ma.masked_invalid(grid.to_numpy(dtype=float)), cmap=cmap, vmin=-limit,
                                     vmax=limit, edgecolors="white", linewidth=0.2)
            ax.set_xticks(np.arange(len(languages)) + 0.5, languages)
            ax.set_yticks(np.arange(len(mixtures)) + 0.5, mixtures)
            ax.set_xlim(0, len(languages))
            ax.set_ylim(len(mixtures), 0)  # first mixture on top
            ax.tick_params(length=0)
            for cell in d.itertuples():
                if cell.mixture not in mixtures or cell.lang not in languages:
                    continue
                x, y = languages.index(cell.lang), mixtures.index(cell.mixture)
                if cell.in_training:
                    ax.add_patch(Rectangle((x + 0.06, y + 0.06), 0.88, 0.88, fill=False, edgecolor="0.15", lw=0.8))
                if cell.ci_low <= 0 <= cell.ci_high:
                    ax.text(x + 0.5, y + 0.5, "×", ha="center", va="center", fontsize=6, color="0.25")
            ax.set_title(f"{models[model]['label']} — {tasks[task]['label']}", fontsize=9)
            ax.tick_params(labelsize=7)
            for spine in ax.spines.values():
                spine.set_visible(False)
    if mappable is not None:
        fig.colorbar(mappable, ax=axes, shrink=min(1.0, 6 / max(1, 0.26 * len(mixtures) * len(model_ids))),
                     label="change vs base model (points)")
    fig.suptitle("Change over the base model; framed: language in the mixture; ×: 95% interval includes 0",
                 fontsize=9)
    _save(fig, pdf_path, png_path)


# --------------------------------------------------------------------------------------------------
# Fig 8 and the extra languages: per-language accuracy vs number of training languages


def fig8_data(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """Fig 8's points: per model × task × paper evaluation language × exposure × number of training
    languages, the pooled accuracy over the mixtures of that size (0 = the base model) with its
    Wilson 95% interval."""
    return _accuracy_by_exposure(stats.paper_rows(acc, languages), ["model", "task", "lang"])


def fig8_runs(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """Fig 8's dots: every run's own accuracy (one row per model × task × mixture × paper
    evaluation language, with its ``exposure``), which the pooled points of :func:`fig8_data`
    summarise."""
    rows = stats.paper_rows(acc, languages)
    return rows.assign(exposure=stats.exposure(rows))[["model", "task", "mixture", "lang", "exposure",
                                                        "n_train_langs", "accuracy"]]


def extra_languages_data(acc: pd.DataFrame, languages: dict) -> pd.DataFrame:
    """:func:`fig8_data` for the extra (train-only) languages instead of the paper's."""
    return _accuracy_by_exposure(stats.extra_rows(acc, languages), ["model", "task", "lang"])


def _language_curves(data: pd.DataFrame, plotting: dict, langs: list[str], title: str, pdf_path: str,
                     png_path: str, runs: pd.DataFrame | None = None) -> None:
    """One panel per model (rows) and task (columns), one colour per language of ``langs``; with
    ``runs``, each run's accuracy as a dot under its pooled line (:func:`_exposure_panel`)."""
    plt = _plt()
    models, tasks, languages = plotting["models"], plotting["tasks"], plotting["languages"]
    model_ids = [m for m in model_order(models) if m in set(data["model"])]
    task_ids = list(tasks)
    colours = dict(zip(langs, _palette(len(langs))))
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids),
                             figsize=(5 * len(task_ids), 2.6 * max(len(model_ids), 1)), squeeze=False, sharex=True)
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            d = data[(data.model == model) & (data.task == task)]
            if d.empty:
                _empty(ax)
                continue
            panel_runs = None if runs is None else runs[(runs.model == model) & (runs.task == task)]
            _exposure_panel(ax, d, "lang", colours, panel_runs)
            ax.set_title(f"{models[model]['label']} — {tasks[task]['label']}", fontsize=9)
            if c == 0:
                ax.set_ylabel("accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("training languages (0 = base model)")
    _legend(fig, {f"{lang} ({languages[lang]['resource']})": colours[lang] for lang in langs}, "language")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, pdf_path, png_path)


def fig8_scaling(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 8: per-language accuracy vs number of training languages, for the paper's evaluation
    languages; one panel per model and task; each run's accuracy a dot under the pooled line."""
    langs = stats.languages_with_role(plotting["languages"], stats.PAPER_ROLES)
    _language_curves(fig8_data(acc, plotting["languages"]), plotting, langs,
                     "Per-language accuracy vs number of training languages (dots: single runs)", pdf_path,
                     png_path, runs=fig8_runs(acc, plotting["languages"]))


def extra_languages(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """The extra (train-only) languages drawn like Fig 8. Not a figure of the paper: these rows
    enter none of its statistics."""
    langs = stats.languages_with_role(plotting["languages"], ["extra"])
    _language_curves(extra_languages_data(acc, plotting["languages"]), plotting, langs,
                     "Extra (train-only) languages: accuracy vs number of training languages "
                     "(not in the paper's statistics)", pdf_path, png_path)


# The function of each figure rule (its `figure` param); Fig 3 reads the median changes, the
# others the accuracy table.
FIGURES = {
    "fig2": fig2_accuracy_vs_languages,
    "fig2_by_exposure": fig2_by_exposure,
    "fig3": fig3_median_change,
    "fig4": fig4_zero_shot,
    "fig7": fig7_heatmaps,
    "fig8": fig8_scaling,
    "fig9": fig9_zero_shot_other_models,
    "extra_languages": extra_languages,
}


# --------------------------------------------------------------------------------------------------
# Run diagnostics

#: y-axis label of each checkpoint-selection criterion in a train_log.json's val_curve
_VAL_LABELS = {"val_accuracy": "validation accuracy", "val_loss": "validation loss (per token)"}


def training_curves(logs: dict[tuple[str, str, str], dict], models: dict, tasks: dict, pdf_path: str, png_path: str) -> None:
    """Per task (columns): SFT loss per optimiser step (top) and the checkpoint-selection criterion
    after each epoch (bottom; a ring marks the selected checkpoint), one line per model × mixture:
    validation accuracy averaged over the mixture's languages (``selection: val_accuracy``) or
    validation loss per response token (``val_loss``); nothing for ``last``.

    ``logs`` maps (model, task, mixture) to the sft rule's train_log.json."""
    plt = _plt()
    task_ids = [t for t in tasks if any(k[1] == t for k in logs)]
    n = max(len(task_ids), 1)
    fig, axes = plt.subplots(2, n, figsize=(4 * n, 5.5), squeeze=False)
    colours = dict(zip(model_order(models), _palette(len(models))))
    for c, task in enumerate(task_ids or [None]):
        runs = {k: v for k, v in logs.items() if k[1] == task}
        if not runs:
            _empty(axes[0][c])
            _empty(axes[1][c])
            continue
        metrics = set()
        for (model, _, mixture), log in sorted(runs.items()):
            curve = log["loss_curve"]
            axes[0][c].plot([p["step"] for p in curve], [p["loss"] for p in curve], color=colours[model], alpha=0.7, lw=1)
            val = log.get("val_curve") or []
            metric = "val_loss" if val and "val_loss" in val[0] else "val_accuracy"
            metrics.update([metric] if val else [])
            axes[1][c].plot([p["epoch"] for p in val], [p[metric] for p in val], color=colours[model],
                            alpha=0.7, lw=1, marker=".")
            chosen = [p for p in val if p["step"] == (log.get("selected") or {}).get("global_step")]
            axes[1][c].plot([p["epoch"] for p in chosen], [p[metric] for p in chosen], "o", mfc="none",
                            color=colours[model])
        axes[0][c].set_title(tasks[task]["label"], fontsize=10)
        axes[0][c].set_xlabel("optimiser step")
        axes[0][c].set_ylabel("training loss")
        axes[1][c].set_xlabel("epoch")
        axes[1][c].set_ylabel(" / ".join(_VAL_LABELS[m] for m in sorted(metrics)) or "validation accuracy")
        if metrics <= {"val_accuracy"}:
            axes[1][c].set_ylim(-0.02, 1.02)
        for ax in axes[:, c]:
            ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colours[m], label=models[m]["label"]) for m in model_order(models)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, -0.04))
    fig.suptitle("SFT: training loss and the validation criterion (one line per mixture; ring = selected checkpoint)",
                 fontsize=10)
    fig.tight_layout()
    _save(fig, pdf_path, png_path)


def translation_qc_flags(qc: pd.DataFrame, languages: list[str], pdf_path: str, png_path: str) -> None:
    """Per task, records flagged by each translation-QC check per language (all splits summed;
    ``n`` = machine-translated records).

    ``qc`` is ``tables/translation_qc.csv`` (:func:`mlpt.analysis.translation_qc`); languages
    without machine translation (source, human references) have no bars."""
    plt = _plt()
    checks = [c for c in qc.columns if c.startswith("qc_")]
    tasks = list(dict.fromkeys(qc["task"])) if len(qc) else []
    fig, axes = plt.subplots(len(tasks) or 1, 1, figsize=(max(6, 0.6 * len(languages) + 2), 2.6 * max(len(tasks), 1)),
                             squeeze=False)
    colours = _palette(len(checks))
    for ax, task in zip(axes[:, 0], tasks or [None]):
        sub = qc[qc["task"] == task] if task else qc.iloc[0:0]
        counts = sub.groupby("lang")[checks].sum(min_count=1).reindex(languages) if checks else pd.DataFrame()
        if counts.empty or counts.isna().all().all():
            _empty(ax, "no machine-translated records")
            ax.set_title(task or "")
            continue
        width = 0.8 / len(checks)
        x = np.arange(len(languages))
        for k, check in enumerate(checks):
            ax.bar(x + (k - (len(checks) - 1) / 2) * width, counts[check].fillna(0), width,
                   color=colours[k], label=check.removeprefix("qc_"))
        records = sub[sub["method"].str.startswith("mt:")].groupby("lang")["records"].sum().reindex(languages)
        ax.set_xticks(x, [f"{lang}\n(n={int(n)})" if pd.notna(n) else lang for lang, n in records.items()], fontsize=8)
        ax.set_ylabel("flagged records")
        ax.set_title(task)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 1.05), fontsize=8)
    fig.tight_layout()
    _save(fig, pdf_path, png_path)
