"""The paper's figures (2, 3, 4, 7, 8, 9) from the tidy accuracy table and :mod:`mlpt.stats`.

Every function takes tables, never the config, and writes a PDF and a PNG. Models are ordered by
family and size, languages in config order, colours from the colour-blind-safe seaborn palette.
A partial results table draws what exists: a missing model, mixture or language is simply absent
from the plot (or shown as an empty cell), never an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import io

CATEGORIES = ["english", "direct", "transfer"]
SETTINGS = ["direct-2", "zero-shot-4", "zero-shot-6", "zero-shot-9"]


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


def _palette(n: int):
    import seaborn as sns

    return sns.color_palette("colorblind", max(n, 1))


def _empty(ax, text: str = "no results") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.5")
    ax.set_xticks([])
    ax.set_yticks([])


def fig2_data(acc: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy per model × task × resource level × number of training languages.

    For each mixture the accuracy is averaged over the evaluated languages of a resource level,
    then mixtures with the same number of training languages are averaged (0 = pretrained)."""
    per_mix = acc.groupby(["model", "task", "resource", "mixture", "n_train_langs"], as_index=False)["accuracy"].mean()
    return per_mix.groupby(["model", "task", "resource", "n_train_langs"], as_index=False)["accuracy"].mean()


def fig2_accuracy_vs_languages(acc: pd.DataFrame, models: dict, tasks: dict, run: str, pdf_path: str,
                               png_path: str) -> None:
    """Fig 2: one row per task (API, math, then others such as the synthetic control), columns
    high- and low-resource evaluation languages, one line per model."""
    plt = _plt()
    data = fig2_data(acc)
    task_order = [t for t in ("api", "math") if t in set(data["task"])] + sorted(set(data["task"]) - {"api", "math"})
    model_ids = [m for m in model_order(models) if m in set(data["model"])]
    colours = dict(zip(model_ids, _palette(len(model_ids))))
    fig, axes = plt.subplots(len(task_order), 2, figsize=(8, 2.8 * len(task_order)), sharex=True, squeeze=False)
    for r, task in enumerate(task_order):
        for c, res in enumerate(["high", "low"]):
            ax = axes[r][c]
            for model in model_ids:
                d = data[(data.task == task) & (data.resource == res) & (data.model == model)].sort_values("n_train_langs")
                if len(d):
                    ax.plot(d["n_train_langs"], 100 * d["accuracy"], marker="o", color=colours[model],
                            label=models[model]["label"])
            ax.set_ylim(0, max(5.0, 105 * data["accuracy"].max()))
            ax.set_title(f"{tasks.get(task, {}).get('label', task)}: {res}-resource languages", fontsize=10)
            ax.set_ylabel("accuracy (%)")
            ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("number of training languages (0 = pretrained)")
    handles, names = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=min(len(names), 5), frameon=False)
    fig.suptitle(f"Average accuracy vs number of training languages (run: {run})", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    _save(fig, pdf_path, png_path)


def fig3_median_change(summary: pd.DataFrame, tasks: dict, pdf_path: str, png_path: str) -> None:
    """Median change (points) of bilingual over English-only, by category, per task, with CIs."""
    plt = _plt()
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


def fig4_zero_shot(rows: pd.DataFrame, models: dict, tasks: dict, selected: list[str], pdf_path: str, png_path: str,
                   title: str) -> None:
    """Zero-shot accuracy in a left-out core language (4, 6, 9 training languages) vs direct
    inclusion in a bilingual mixture; one panel per model (rows) and task (columns)."""
    plt = _plt()
    model_ids = [m for m in model_order(models) if m in selected]
    task_ids = list(tasks)
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids), figsize=(3.4 * len(task_ids), 2.6 * max(len(model_ids), 1)),
                             squeeze=False, sharey=True)
    langs = list(dict.fromkeys(rows["lang"])) if len(rows) else []
    colours = _palette(len(SETTINGS))
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            d = rows[(rows.model == model) & (rows.task == task)] if model else rows.iloc[0:0]
            if d.empty:
                _empty(ax)
            else:
                width = 0.8 / len(SETTINGS)
                for i, setting in enumerate(SETTINGS):
                    s = d[d.setting == setting].groupby("lang")["accuracy"].mean().reindex(langs)
                    ax.bar(np.arange(len(langs)) + (i - 1.5) * width, 100 * s, width, color=colours[i], label=setting)
                ax.set_xticks(range(len(langs)), langs)
            ax.set_title(f"{models[model]['label'] if model else ''} — {tasks[task]['label']}", fontsize=9)
            if c == 0:
                ax.set_ylabel("accuracy (%)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    _save(fig, pdf_path, png_path)


def fig7_heatmaps(acc: pd.DataFrame, models: dict, tasks: dict, languages: list[str], mixtures: list[str],
                  pdf_path: str, png_path: str) -> None:
    """Change vs the base model (points) per evaluation language (columns) and mixture (rows),
    one heatmap per model (rows of panels) and task (columns of panels)."""
    plt = _plt()
    import seaborn as sns

    model_ids = [m for m in model_order(models) if m in set(acc["model"])]
    task_ids = list(tasks)
    panels = {}
    for model in model_ids:
        for task in task_ids:
            d = acc[(acc.model == model) & (acc.task == task)]
            base = d[d.mixture == "pretrained"].set_index("lang")["accuracy"]
            trained = d[d.mixture != "pretrained"]
            if len(trained) and len(base):
                grid = trained.pivot_table(index="mixture", columns="lang", values="accuracy")
                panels[(model, task)] = 100 * (grid.reindex(index=mixtures, columns=languages) - base.reindex(languages))
    # one symmetric colour scale for every panel, so 0 is white and panels compare
    limit = max([1.0] + [float(np.nanmax(np.abs(p.to_numpy()))) for p in panels.values() if p.notna().any().any()])
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids),
                             figsize=(0.45 * len(languages) * len(task_ids) + 2, 0.28 * len(mixtures) * max(len(model_ids), 1) + 1),
                             squeeze=False)
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            if (model, task) not in panels:
                _empty(ax)
                continue
            sns.heatmap(panels[(model, task)], ax=ax, cmap="vlag", center=0, vmin=-limit, vmax=limit,
                        cbar=c == len(task_ids) - 1, linewidths=0.2, cbar_kws={"label": "change vs base (points)"})
            ax.set_title(f"{models[model]['label']} — {tasks[task]['label']}", fontsize=9)
            ax.set_xlabel("")
            ax.set_ylabel("")
    fig.tight_layout()
    _save(fig, pdf_path, png_path)


def fig8_scaling(acc: pd.DataFrame, models: dict, tasks: dict, languages: dict, pdf_path: str, png_path: str) -> None:
    """Per-language accuracy vs number of training languages (mean over mixtures of that size;
    0 = the base model); one panel per model (rows) and task (columns)."""
    plt = _plt()
    model_ids = [m for m in model_order(models) if m in set(acc["model"])]
    task_ids = list(tasks)
    lang_ids = list(languages)
    colours = dict(zip(lang_ids, _palette(len(lang_ids))))
    fig, axes = plt.subplots(max(len(model_ids), 1), len(task_ids), figsize=(3.6 * len(task_ids), 2.5 * max(len(model_ids), 1)),
                             squeeze=False, sharex=True)
    for r, model in enumerate(model_ids or [None]):
        for c, task in enumerate(task_ids):
            ax = axes[r][c]
            d = acc[(acc.model == model) & (acc.task == task)]
            if d.empty:
                _empty(ax)
                continue
            curve = d.groupby(["lang", "n_train_langs"], as_index=False)["accuracy"].mean()
            for lang in lang_ids:
                s = curve[curve.lang == lang].sort_values("n_train_langs")
                if len(s):
                    style = "-" if languages[lang]["resource"] == "high" else "--"
                    ax.plot(s["n_train_langs"], 100 * s["accuracy"], style, marker=".", color=colours[lang], label=lang)
            ax.set_title(f"{models[model]['label']} — {tasks[task]['label']}", fontsize=9)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("accuracy (%)")
    for ax in axes[-1]:
        ax.set_xlabel("training languages (0 = base)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.9, 0.5), frameon=False, title="solid: high\ndashed: low")
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    _save(fig, pdf_path, png_path)


def largest_per_family(models: dict) -> list[str]:
    """Fig 4's models: the largest of each family (Qwen3-8B and Gemma3-4B in the paper)."""
    best: dict[str, str] = {}
    for m, spec in models.items():
        if spec["family"] not in best or spec["params_b"] > models[best[spec["family"]]]["params_b"]:
            best[spec["family"]] = m
    return list(best.values())


def training_curves(logs: dict[tuple[str, str, str], dict], models: dict, tasks: dict, pdf_path: str, png_path: str) -> None:
    """Per task (columns): SFT loss per optimiser step (top) and validation accuracy averaged over the
    mixture's languages after each epoch (bottom; a ring marks the selected checkpoint), one line per
    model × mixture.

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
        for (model, _, mixture), log in sorted(runs.items()):
            curve = log["loss_curve"]
            axes[0][c].plot([p["step"] for p in curve], [p["loss"] for p in curve], color=colours[model], alpha=0.7, lw=1)
            val = log.get("val_curve") or []
            axes[1][c].plot([p["epoch"] for p in val], [p["val_accuracy"] for p in val], color=colours[model],
                            alpha=0.7, lw=1, marker=".")
            chosen = [p for p in val if p["step"] == (log.get("selected") or {}).get("global_step")]
            axes[1][c].plot([p["epoch"] for p in chosen], [p["val_accuracy"] for p in chosen], "o", mfc="none",
                            color=colours[model])
        axes[0][c].set_title(tasks[task]["label"], fontsize=10)
        axes[0][c].set_xlabel("optimiser step")
        axes[0][c].set_ylabel("training loss")
        axes[1][c].set_xlabel("epoch")
        axes[1][c].set_ylabel("validation accuracy")
        axes[1][c].set_ylim(-0.02, 1.02)
        for ax in axes[:, c]:
            ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colours[m], label=models[m]["label"]) for m in model_order(models)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, -0.04))
    fig.suptitle("SFT: training loss and validation accuracy (one line per mixture; ring = selected checkpoint)",
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
