"""The paper's figures (2, 3, 4, 7, 8, 9), extra views (Fig 2 split by exposure, the extra
languages), and the run's diagnostic figures (training curves, translation QC).

A paper figure takes the accuracy table (Fig 3: the median changes of :mod:`mlpt.stats`) and the
study slices of the rules' ``plotting`` params (``models``, ``tasks``, ``languages`` with their
roles, ``mixtures``, ``mixture_languages``, ``source_lang``, ``run``), never the whole config, and
writes a PDF and a PNG; ``FIGURES`` names the function of each figure rule. Four rules hold for
every one of them:

* It says what it shows: every figure (study B's too) carries :func:`run_label`, the run's name
  and, when the run's models are tiny random-initialised copies (config ``models.<name>.tiny``),
  that they are, so a demo's figure is never read as the paper's (:func:`save` draws it).

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
colour-blind-safe seaborn palette. A partial results table draws what exists: a model, task,
mixture, setting or language without rows is absent from the plot (no panel, no legend entry), a
panel whose model and task have rows in other panels but not together is marked empty, and a
table without any row the figure draws gives one panel that says so, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def is_tiny(spec) -> bool:
    """True for a config model built locally as a tiny random-initialised copy (``tiny:``)."""
    return isinstance(spec, Mapping) and spec.get("tiny") is not None


def run_label(plotting: Mapping) -> str:
    """What a figure or table of the run is: ``run: <run>`` and, when models of
    ``plotting["models"]`` are tiny random-initialised copies (config ``tiny:``), a note naming them
    and saying that these are not the paper's numbers ('' when neither is known). ASCII only, so a
    LaTeX caption takes it as it is."""
    models = plotting.get("models") or {}
    tiny = [spec.get("label", name) for name, spec in models.items() if is_tiny(spec)]
    parts = [f"run: {plotting['run']}"] if plotting.get("run") else []
    if tiny:
        kind = "model" if len(tiny) == 1 else "models"
        parts.append(f"tiny random-initialised {kind} ({', '.join(tiny)}), not the paper's numbers")
    return "; ".join(parts)


#: colour of the run label: a run of tiny random models stands out
_LABEL_COLOUR = {False: "0.25", True: "firebrick"}


def _stamp(fig, plotting: Mapping) -> None:
    """Write :func:`run_label` above everything the figure draws (titles and legends included),
    left-aligned, once its layout is done."""
    label = run_label(plotting)
    if not label:
        return
    fig.draw_without_rendering()  # runs the layout engine, so the box below is final
    box = fig.get_tightbbox()  # inches
    width, height = fig.get_size_inches()
    tiny = any(is_tiny(spec) for spec in (plotting.get("models") or {}).values())
    fig.text(box.x0 / width, (box.y1 + 0.06) / height, label, ha="left", va="bottom", fontsize=9,
             color=_LABEL_COLOUR[tiny], fontweight="bold" if tiny else "normal")


def save(fig, pdf_path: str, png_path: str, plotting: Mapping) -> None:
    """Label the figure with its run (:func:`_stamp`; ``plotting`` holds ``run`` and ``models``)
    and write it as PDF and PNG."""
    _stamp(fig, plotting)
    _write(fig, pdf_path, png_path)


def _write(fig, pdf_path: str, png_path: str) -> None:
    plt = pyplot()
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


def palette(n: int):
    """``n`` colours: the colour-blind-safe palette, or past its 10 colours (it would repeat them)
    ``n`` steps of a rainbow map whose ends differ (hue circles would bring the last back to the
    first)."""
    import seaborn as sns

    return sns.color_palette("colorblind" if n <= 10 else "turbo", max(n, 1))


def empty(ax, text: str = "no results") -> None:
    """Mark a panel as having nothing to draw: ``text`` in its centre, no ticks."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.5")
    ax.set_xticks([])
    ax.set_yticks([])


def model_task_panels(axes, rows: pd.DataFrame, model_ids: list, task_ids: list, title,
                      title_empty: bool = True):
    """Yield ``(ax, model, task, panel_rows)`` for every panel of ``axes`` (a row of panels per model
    of ``model_ids``, a column per task of ``task_ids``) that has rows in ``rows`` (columns ``model``
    and ``task``); a panel without rows is marked empty (:func:`empty`). ``title(model, task)`` is
    each panel's title (fontsize 9), an empty panel's too unless ``title_empty`` is False."""
    for r, model in enumerate(model_ids):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            panel_rows = rows[(rows["model"] == model) & (rows["task"] == task)]
            if title_empty or not panel_rows.empty:
                ax.set_title(title(model, task), fontsize=9)
            if panel_rows.empty:
                empty(ax)
                continue
            yield ax, model, task, panel_rows


def _panel_title(models: Mapping, tasks: Mapping):
    """A study A panel's title: ``<model label> — <task label>``."""
    return lambda model, task: f"{models[model]['label']} — {tasks[task]['label']}"


def _nothing(title: str, text: str, plotting: Mapping, pdf_path: str, png_path: str) -> None:
    """The figure of a table without any row it draws: one panel that says why, under its title."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.09 * len(text)), 1.2))
    empty(ax, text)
    ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save(fig, pdf_path, png_path, plotting)


def _with_rows(order, present) -> list:
    """The members of ``order`` that have rows (are in ``present``), in ``order``'s order."""
    present = set(present)
    return [x for x in order if x in present]


def wilson_err(rows: pd.DataFrame) -> np.ndarray:
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
                ax.errorbar(s["n_train_langs"] + offset, 100 * s["accuracy"], yerr=wilson_err(s), color=colours[key],
                            capsize=1.5, elinewidth=0.7, markersize=3.5, lw=1.1, zorder=2, **EXPOSURE_STYLE[exposure])
            if runs is not None:
                r = runs[(runs[column] == key) & (runs["exposure"] == exposure)].dropna(subset=["accuracy"])
                if len(r):
                    ax.scatter(r["n_train_langs"] + offset, 100 * r["accuracy"], s=7, color=colours[key], alpha=0.35,
                               linewidths=0, zorder=1)
    ax.grid(alpha=0.3)


def _legend(fig, colours: dict, exposures, side_title: str | None = None) -> None:
    """The figure's legend: a colour per model or language, then the style of each exposure of
    ``exposures`` (those the figure draws); in one column right of the panels under
    ``side_title`` if one is given, else in two rows below them."""
    from matplotlib.lines import Line2D

    by_colour = [Line2D([], [], color=c, lw=2, label=name) for name, c in colours.items()]
    by_style = [Line2D([], [], color="0.35", label=EXPOSURE_LABEL[e], **EXPOSURE_STYLE[e])
                for e in _with_rows(stats.EXPOSURES, exposures)]
    text = {"frameon": False, "fontsize": 8, "title_fontsize": 8}
    if side_title is not None:
        fig.legend(handles=by_colour + by_style, title=side_title, loc="center left", bbox_to_anchor=(1.0, 0.5), **text)
        return
    fig.legend(handles=by_colour, loc="lower center", ncol=max(len(by_colour), 1), bbox_to_anchor=(0.5, 0.035), **text)
    if by_style:
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
                ax.errorbar(part["n_train_langs"] + offset, 100 * part["accuracy"], yerr=wilson_err(part),
                            color=colours[model], capsize=1.5, elinewidth=0.7, markersize=3.5, lw=1.1, **style)
    ax.grid(alpha=0.3)


def _fig2_grid(data: pd.DataFrame, plotting: dict, draw, legend_styles: bool, title: str, pdf_path: str,
               png_path: str) -> None:
    """Fig 2's layout: one row per task (API, math, then others such as the synthetic control),
    columns high- and low-resource evaluation languages, one colour per model; ``draw(ax, rows,
    colours)`` fills a panel."""
    plt = pyplot()
    models, tasks = plotting["models"], plotting["tasks"]
    model_ids = _with_rows(model_order(models), data["model"])
    data = data[data["model"].isin(model_ids)]
    task_order = [t for t in ("api", "math") if t in set(data["task"])] + sorted(set(data["task"]) - {"api", "math"})
    if not task_order:
        return _nothing(title, "no results", plotting, pdf_path, png_path)
    colours = dict(zip(model_ids, palette(len(model_ids))))
    levels = _with_rows(["high", "low"], data["resource"])
    fig, axes = plt.subplots(len(task_order), len(levels), figsize=(4.5 * len(levels), 3 * len(task_order)),
                             sharex=True, squeeze=False)
    top = max(5.0, 105 * float(data["ci_high"].max()))
    for r, task in enumerate(task_order):
        for c, res in enumerate(levels):
            ax = axes[r][c]
            ax.set_title(f"{tasks.get(task, {}).get('label', task)}: {res}-resource languages", fontsize=10)
            d = data[(data.task == task) & (data.resource == res)]
            if d.empty:
                empty(ax)
                continue
            draw(ax, d, colours)
            ax.set_ylim(0, top)
            ax.set_ylabel("accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("number of training languages (0 = base model)")
    names = {models[m]["label"]: colours[m] for m in model_ids}
    if legend_styles:
        _legend(fig, names, data["exposure"])
    else:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=c, lw=2, label=name) for name, c in names.items()]
        if (data["n_train_langs"] == 0).any():
            handles.append(Line2D([], [], color="0.35", label=EXPOSURE_LABEL["base"], **EXPOSURE_STYLE["base"]))
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=8,
                   bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    save(fig, pdf_path, png_path, plotting)


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
    """Median change (points) of bilingual over English-only, by category, per task, with CIs; the
    changes of every model of the run are pooled (the title names them). Each bar is labelled with
    its median, so a change of exactly 0 reads as one, and the axis spans at least ±1 point.

    ``summary`` is the ``median_changes`` table (:func:`mlpt.stats.paper_statistics`)."""
    plt = pyplot()
    tasks, models = plotting["tasks"], plotting["models"]
    title = "Median change of bilingual over English-only SFT (95% bootstrap CI)"
    pooled = "models pooled: " + ", ".join(models[m]["label"] for m in model_order(models))
    task_ids = _with_rows(tasks, summary.get("task", []))
    if not task_ids:
        return _nothing(f"{title}\n{pooled}", "no results", plotting, pdf_path, png_path)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    width = 0.8 / len(task_ids)
    colours = palette(len(task_ids))
    for i, task in enumerate(task_ids):
        d = summary[summary.task == task].set_index("category").reindex(CATEGORIES)
        x = np.arange(len(CATEGORIES)) + (i - (len(task_ids) - 1) / 2) * width
        err = np.clip(np.nan_to_num(np.vstack([d["median"] - d["ci_low"], d["ci_high"] - d["median"]])), 0, None)
        bars = ax.bar(x, d["median"], width, yerr=err, capsize=3, color=colours[i], label=tasks[task]["label"])
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.1f}" for v in d["median"]], fontsize=7, padding=2)
    ax.axhline(0, color="0.3", lw=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(min(low, -1.0), max(high, 1.0))
    ax.set_xticks(range(len(CATEGORIES)), ["English", "direct exposure", "cross-lingual transfer"])
    ax.set_ylabel("median change vs English-only (points)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"{title}\n{pooled}", fontsize=10)
    save(fig, pdf_path, png_path, plotting)


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


def _zero_shot_panels(acc: pd.DataFrame, plotting: dict, selected: list[str], title: str, none_selected: str,
                      pdf_path: str, png_path: str) -> None:
    """Bars per core language and setting, one panel per model in ``selected`` (rows) and task
    (columns) with rows; only the settings and languages the run has (the demo's single
    leave-one-out mixture gives zero-shot-4 alone). ``none_selected`` is the figure's text when no
    model is selected."""
    plt = pyplot()
    models, tasks = plotting["models"], plotting["tasks"]
    if not selected:
        return _nothing(title, none_selected, plotting, pdf_path, png_path)
    rows = zero_shot_data(acc, plotting)
    rows = rows[rows["model"].isin(selected) & rows["accuracy"].notna()]
    model_ids, task_ids = _with_rows(model_order(models), rows["model"]), _with_rows(tasks, rows["task"])
    if not model_ids or not task_ids:
        return _nothing(title, "no results", plotting, pdf_path, png_path)
    settings = _with_rows(SETTINGS, rows["setting"])
    langs = _with_rows(plotting["languages"], rows["lang"])
    colours = dict(zip(SETTINGS, palette(len(SETTINGS))))  # a setting keeps its colour in every run
    width = 0.8 / len(settings)
    fig, axes = plt.subplots(len(model_ids), len(task_ids),
                             figsize=(3.4 * len(task_ids), 2.6 * len(model_ids)), squeeze=False, sharey=True)
    for ax, _, _, d in model_task_panels(axes, rows, model_ids, task_ids, _panel_title(models, tasks)):
        for i, setting in enumerate(settings):
            s = d[d.setting == setting].set_index("lang").reindex(langs)
            ax.bar(np.arange(len(langs)) + (i - (len(settings) - 1) / 2) * width, 100 * s["accuracy"], width,
                   yerr=wilson_err(s), error_kw={"elinewidth": 0.7, "capsize": 1.5}, color=colours[setting],
                   label=SETTING_LABEL[setting])
        ax.set_xticks(range(len(langs)), langs)
        ax.set_xlim(-0.5, len(langs) - 0.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy (%)")
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[s], label=SETTING_LABEL[s]) for s in settings]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 2), frameon=False, fontsize=8,
               bbox_to_anchor=(0.5, -0.04))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    save(fig, pdf_path, png_path, plotting)


def fig4_zero_shot(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 4: zero-shot accuracy in a left-out core language (4, 6, 9 training languages) vs direct
    inclusion (in the bilingual mixture en + X; for English, the English-only mixture), for the
    largest model of each family."""
    _zero_shot_panels(acc, plotting, largest_per_family(plotting["models"]),
                      "Zero-shot (language left out) vs direct inclusion", "no models", pdf_path, png_path)


def fig9_zero_shot_other_models(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 9: Fig 4 for the remaining models (none where every family of the run has one model:
    the figure then says so)."""
    largest = largest_per_family(plotting["models"])
    _zero_shot_panels(acc, plotting, [m for m in plotting["models"] if m not in largest],
                      "Zero-shot (language left out) vs direct inclusion: remaining models",
                      "no remaining models: each model family of this run has one model, drawn in Fig 4",
                      pdf_path, png_path)


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


def change_colours(limit: float):
    """(colour map, norm) of a change heatmap: diverging blue-white-red (ColorBrewer's RdBu, its
    centre pure white), the norm centred on 0 and symmetric up to ``limit`` (points), so a change of
    exactly 0 is white (the map has an odd number of colours, its middle one white), losses blue,
    gains red, and a missing cell grey."""
    from matplotlib.colors import CenteredNorm, LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "change", ["#2166ac", "#67a9cf", "#d1e5f0", "#ffffff", "#fddbc7", "#ef8a62", "#b2182b"],
        N=255).with_extremes(bad="0.85")
    return cmap, CenteredNorm(vcenter=0.0, halfrange=limit)


def fig7_heatmaps(acc: pd.DataFrame, plotting: dict, pdf_path: str, png_path: str) -> None:
    """Fig 7: change vs the base model (points) per paper evaluation language (columns) and mixture
    (rows), one heatmap per model (rows of panels) and task (columns of panels), one colour bar
    (:func:`change_colours`: 0 is white); a grey cell has no result.

    A framed cell is a language in the mixture (direct); a cross marks a change whose 95%
    interval includes 0."""
    plt = pyplot()
    from matplotlib.patches import Rectangle

    models, tasks = plotting["models"], plotting["tasks"]
    title = "Change over the base model; framed: language in the mixture; ×: 95% interval includes 0"
    cells = fig7_data(acc, plotting["languages"]).dropna(subset=["change"])
    languages = _with_rows(stats.languages_with_role(plotting["languages"], stats.PAPER_ROLES), cells["lang"])
    mixtures = _with_rows([m for m in plotting["mixtures"] if m != PRETRAINED], cells["mixture"])
    model_ids, task_ids = _with_rows(model_order(models), cells["model"]), _with_rows(tasks, cells["task"])
    if not model_ids or not task_ids:
        return _nothing(title, "no results (a change needs the base model's and a trained model's)", plotting,
                        pdf_path, png_path)
    # one symmetric colour scale for every panel, so 0 is white and panels compare
    cmap, norm = change_colours(max([1.0, *np.abs(cells["change"])]))
    fig, axes = plt.subplots(len(model_ids), len(task_ids), layout="constrained", squeeze=False,
                             figsize=(0.5 * len(languages) * len(task_ids) + 3,
                                      0.26 * len(mixtures) * len(model_ids) + 1.2))
    mappable = None
    for ax, _, _, d in model_task_panels(axes, cells, model_ids, task_ids, _panel_title(models, tasks)):
        grid = d.pivot(index="mixture", columns="lang", values="change").reindex(index=mixtures, columns=languages)
        mappable = ax.pcolormesh(np.ma.masked_invalid(grid.to_numpy(dtype=float)), cmap=cmap, norm=norm,
                                 edgecolors="0.85", linewidth=0.3)
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
        ax.tick_params(labelsize=7)
        for spine in ax.spines.values():
            spine.set_visible(False)
    if mappable is not None:
        fig.colorbar(mappable, ax=axes, shrink=min(1.0, 6 / max(1, 0.26 * len(mixtures) * len(model_ids))),
                     label="change vs base model (points)")
    fig.suptitle(title, fontsize=9)
    save(fig, pdf_path, png_path, plotting)


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
    """One panel per model (rows) and task (columns), one colour per language of ``langs`` (those
    with rows); with ``runs``, each run's accuracy as a dot under its pooled line
    (:func:`_exposure_panel`)."""
    plt = pyplot()
    models, tasks, languages = plotting["models"], plotting["tasks"], plotting["languages"]
    data = data.dropna(subset=["accuracy"])
    langs = _with_rows(langs, data["lang"])
    data = data[data["lang"].isin(langs)]
    model_ids, task_ids = _with_rows(model_order(models), data["model"]), _with_rows(tasks, data["task"])
    if not model_ids or not task_ids:
        return _nothing(title, "no results", plotting, pdf_path, png_path)
    colours = dict(zip(langs, palette(len(langs))))
    fig, axes = plt.subplots(len(model_ids), len(task_ids), figsize=(5 * len(task_ids), 2.6 * len(model_ids)),
                             squeeze=False, sharex=True)
    for ax, model, task, d in model_task_panels(axes, data, model_ids, task_ids, _panel_title(models, tasks)):
        panel_runs = None if runs is None else runs[(runs.model == model) & (runs.task == task)]
        _exposure_panel(ax, d, "lang", colours, panel_runs)
        if task == task_ids[0]:
            ax.set_ylabel("accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("training languages (0 = base model)")
    _legend(fig, {f"{lang} ({languages[lang]['resource']})": colours[lang] for lang in langs}, data["exposure"],
            "language")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save(fig, pdf_path, png_path, plotting)


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


#: line style of each model in the training curves (colour: the mixture)
_MODEL_DASHES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (6, 2))]


def training_curves(logs: dict[tuple[str, str, str], dict], plotting: Mapping, pdf_path: str, png_path: str) -> None:
    """Per task (columns): SFT loss per optimiser step (top) and the checkpoint-selection criterion
    after each epoch (bottom; a ring marks the selected checkpoint), one line per model × mixture:
    validation accuracy averaged over the mixture's languages (``selection: val_accuracy``) or
    validation loss per response token (``val_loss``); nothing for ``last``. A line's colour is its
    mixture, its dashes its model; a legend for each, listing the runs drawn only.

    ``logs`` maps (model, task, mixture) to the sft rule's train_log.json; ``plotting`` holds
    ``models``, ``tasks``, ``run`` and optionally ``mixtures`` (their order)."""
    plt = pyplot()
    models, tasks = plotting["models"], plotting["tasks"]
    title = ("SFT: training loss and the validation criterion (one line per model × mixture; "
             "ring = selected checkpoint)")
    task_ids = _with_rows(tasks, [k[1] for k in logs])
    if not task_ids:
        return _nothing(title, "no training runs", plotting, pdf_path, png_path)
    model_ids = _with_rows(model_order(models), [k[0] for k in logs])
    drawn = list(dict.fromkeys(k[2] for k in logs))
    mixtures = _with_rows(plotting.get("mixtures") or [], drawn) + [x for x in drawn if x not in
                                                                       (plotting.get("mixtures") or [])]
    colours = dict(zip(mixtures, palette(len(mixtures))))
    dashes = {m: _MODEL_DASHES[i % len(_MODEL_DASHES)] for i, m in enumerate(model_ids)}
    n = len(task_ids)
    fig, axes = plt.subplots(2, n, figsize=(4 * n, 5.5), squeeze=False)
    for c, task in enumerate(task_ids):
        runs = {k: v for k, v in logs.items() if k[1] == task}
        metrics = set()
        for (model, _, mixture), log in sorted(runs.items()):
            style = {"color": colours[mixture], "linestyle": dashes[model]}
            curve = log["loss_curve"]
            axes[0][c].plot([p["step"] for p in curve], [p["loss"] for p in curve], alpha=0.8, lw=1, **style)
            val = log.get("val_curve") or []
            metric = "val_loss" if val and "val_loss" in val[0] else "val_accuracy"
            metrics.update([metric] if val else [])
            axes[1][c].plot([p["epoch"] for p in val], [p[metric] for p in val], alpha=0.8, lw=1, marker=".", **style)
            chosen = [p for p in val if p["step"] == (log.get("selected") or {}).get("global_step")]
            axes[1][c].plot([p["epoch"] for p in chosen], [p[metric] for p in chosen], "o", mfc="none",
                            color=colours[mixture])
        axes[0][c].set_title(tasks[task]["label"], fontsize=10)
        axes[0][c].set_xlabel("optimiser step")
        axes[0][c].set_ylabel("training loss")
        axes[1][c].set_xlabel("epoch")
        axes[1][c].set_ylabel(" / ".join(_VAL_LABELS[m] for m in sorted(metrics)) or "validation accuracy")
        if metrics <= {"val_accuracy"}:
            axes[1][c].set_ylim(-0.02, 1.02)
        for ax in axes[:, c]:
            ax.grid(alpha=0.3)
    by_colour = [plt.Line2D([], [], color=colours[x], lw=2, label=x) for x in mixtures]
    by_dashes = [plt.Line2D([], [], color="0.3", linestyle=dashes[m], label=models[m]["label"]) for m in model_ids]
    text = {"frameon": False, "fontsize": 8, "title_fontsize": 8}
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.legend(handles=by_colour, title="mixture", loc="center left", bbox_to_anchor=(1.0, 0.5),
               ncol=1 + (len(by_colour) - 1) // 24, **text)
    fig.legend(handles=by_dashes, title="model", loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=len(by_dashes), **text)
    save(fig, pdf_path, png_path, plotting)


def translation_qc_flags(qc: pd.DataFrame, languages: list[str], pdf_path: str, png_path: str,
                         plotting: Mapping | None = None) -> None:
    """Per task with machine-translated records, records flagged by each translation-QC check per
    language (all splits summed; ``n`` = machine-translated records; the legend gives each check's
    total, 0 for a check that flagged nothing); the tasks without machine translation are named in
    the title. ``plotting`` (``run``; ``models``: the MT model) labels the figure (:func:`run_label`).

    ``qc`` is ``tables/translation_qc.csv`` (:func:`mlpt.analysis.translation_qc`); languages
    without machine translation (source, human references) have no bars."""
    plt = pyplot()
    plotting = plotting or {}
    title = "Translation QC: records flagged per check and language (all splits)"
    checks = [c for c in qc.columns if c.startswith("qc_")]
    tasks = list(dict.fromkeys(qc["task"])) if len(qc) else []
    counts = {}
    for task in tasks:
        per_lang = qc[qc["task"] == task].groupby("lang")[checks].sum(min_count=1).reindex(languages)
        if checks and not per_lang.isna().all().all():
            counts[task] = per_lang
    if not counts:
        return _nothing(title, "no machine-translated records", plotting, pdf_path, png_path)
    without = [t for t in tasks if t not in counts]
    if without:
        title += f"\nno machine translation: {', '.join(without)}"
    fig, axes = plt.subplots(len(counts), 1, figsize=(max(6, 0.6 * len(languages) + 2), 2.6 * len(counts)),
                             squeeze=False)
    colours = palette(len(checks))
    totals = {check: int(sum(c[check].fillna(0).sum() for c in counts.values())) for check in checks}
    for ax, (task, per_lang) in zip(axes[:, 0], counts.items()):
        sub = qc[qc["task"] == task]
        width = 0.8 / len(checks)
        x = np.arange(len(languages))
        for k, check in enumerate(checks):
            ax.bar(x + (k - (len(checks) - 1) / 2) * width, per_lang[check].fillna(0), width,
                   color=colours[k], label=f"{check.removeprefix('qc_')} ({totals[check]})")
        records = sub[sub["method"].str.startswith("mt:")].groupby("lang")["records"].sum().reindex(languages)
        ax.set_xticks(x, [f"{lang}\n(n={int(n)})" if pd.notna(n) else lang for lang, n in records.items()], fontsize=8)
        ax.set_ylabel("flagged records")
        ax.set_title(task)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 0.0), fontsize=8,
               title="check (flagged records in all)", title_fontsize=8, frameon=False)
    save(fig, pdf_path, png_path, plotting)
