"""Study B's tables and figures, from the evaluation and probe outputs.

* :func:`collect`: ``tables/accuracy.csv``, one row per model x task x mixture x language with
  n, correct, accuracy and its Wilson 95% interval (:func:`mlpt.stats.wilson_ci`), label-score
  ties, the irrelevant-output rate of free generation, whether the mixture tuned on the language,
  and where the test set comes from (``source``: English; ``reference``: the authors' translation;
  ``machine-translated``: this run's MT).
* :func:`qt_validation`: ``tables/qt_validation.csv``, per checkpoint and question-translation
  direction, the loss of the held-out pairs, the base model's on the same pairs and the change,
  and whether the pairs are the authors' or machine-translated;
  :func:`qt_control_failures` is the demo's positive control on it (a tuned checkpoint must have
  learned its own languages' pairs).
* :func:`by_mixture`: per model x task x mixture, accuracy pooled over all languages and over
  the languages the mixture did not tune on (English excluded), and each one's change over the
  untuned base model: the paper's question, "does tuning on a few languages help the others?".
* :func:`plot_mixtures`: bars per language, one per mixture, a panel per model x task.
* :func:`label_control` / :func:`plot_label_control`: the paper's irrelevant-label control,
  ``tables/irrelevant_label_control.csv``: per model x task x mixture x language, accuracy with
  the task's label words next to accuracy with irrelevant words in their place ("ox", "horse", ...
  in the instruction and the exemplars, each prediction read as the label in its position), and
  the irrelevant-output rate of free generation; the figure pools the languages per mixture.
* :func:`mixtures_summary` and :func:`label_control_summary`: the two tables of the LaTeX report
  (``paper/spontaneous.tex``), one row per model x task x mixture in percent (165 rows for the
  study), written by :func:`mlpt.latex.write_table` with one decimal.
* :func:`lens_table` / :func:`plot_lens` and :func:`pca_table` / :func:`plot_pca`: the probes, the
  authors' measures first (lens: probabilities summed over prefix-token sets, entropy in bits, per
  decoder layer; PCA: Pearson r of first-component coordinates of parallel items per language
  pair), the project's earlier ones as ``extra_*`` columns, each row with the precision it used.

Every figure takes the run's name (``run``) and carries it with the tiny-model note of
:func:`mlpt.figures.run_label`, like study A's; the scripts add the same label to the LaTeX captions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import io, stats
from ..figures import empty, model_order, model_task_panels, palette, pyplot, save, wilson_err
from ..mixture_grammar import parse_direction

__all__ = ["ACCURACY_COLUMNS", "CONTROL_COLUMNS", "PROBES", "by_mixture", "collect", "mixtures_summary",
           "LENS_COLUMNS", "PCA_COLUMNS", "label_control", "label_control_summary",
           "qt_control_failures", "qt_validation", "lens_table", "pca_table", "plot_mixtures", "plot_label_control",
           "plot_lens", "plot_pca", "probe_outputs", "read_accuracy"]

ACCURACY_COLUMNS = ["model", "family", "params_b", "task", "mixture", "lang", "resource", "tuned_on", "n", "correct",
                    "accuracy", "ci_low", "ci_high", "ties", "irrelevant_rate", "test_set", "exemplar_items",
                    "exemplar_items_correct", "prompt_style", "precision"]


def collect(eval_files: Mapping[tuple[str, str, str], str], models: Mapping, languages: Mapping,
            mixture_languages: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The accuracy table from ``{(model, task, mixture): eval summary file}``."""
    rows = []
    for (model, task, mixture), path in eval_files.items():
        summary = io.read_json(path)
        for lang, res in summary["languages"].items():
            rows.append({"model": model, "family": models[model]["family"], "params_b": models[model]["params_b"],
                         "task": task, "mixture": mixture, "lang": lang,
                         "resource": languages[lang]["resource"], "tuned_on": lang in mixture_languages[mixture],
                         "n": res["n"], "correct": res["correct"], "ties": res["ties"],
                         "irrelevant_rate": res["irrelevant_rate"], "test_set": res["origin"],
                         # test items that are also the authors' fixed exemplars (evaluation.prompt_style: authors)
                         "exemplar_items": res.get("exemplar_items", 0),
                         "exemplar_items_correct": res.get("exemplar_items_correct", 0),
                         # how it was scored: the prompts and the precision the model was loaded in
                         "prompt_style": summary["prompt_style"], "precision": summary["precision"]})
    acc = pd.DataFrame(rows, columns=[c for c in ACCURACY_COLUMNS if c not in ("accuracy", "ci_low", "ci_high")])
    acc["accuracy"] = acc["correct"] / acc["n"].where(acc["n"] > 0)
    acc["ci_low"], acc["ci_high"] = stats.wilson_ci(acc["correct"].to_numpy(), acc["n"].to_numpy())
    return acc[ACCURACY_COLUMNS]


CONTROL_COLUMNS = ["model", "family", "params_b", "task", "mixture", "lang", "tuned_on", "n", "chance", "correct",
                   "accuracy", "ci_low", "ci_high", "control_words", "control_correct", "control_accuracy",
                   "control_ci_low", "control_ci_high", "control_ties", "change", "irrelevant_rate"]


def label_control(eval_files: Mapping[tuple[str, str, str], str], models: Mapping,
                  mixture_languages: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The irrelevant-label control from ``{(model, task, mixture): eval summary file}``: one row
    per language with accuracy under the real label words and under the irrelevant ones (each with
    its Wilson 95% interval), ``change`` = irrelevant minus real, chance (1 / number of labels),
    and the free-generation irrelevant-output rate. ValueError naming a summary written without
    the control."""
    rows = []
    for (model, task, mixture), path in eval_files.items():
        summary = io.read_json(path)
        if "control_words" not in summary:
            raise ValueError(f"{path} has no irrelevant-label control (written before evaluate scored it): "
                             f"rerun its evaluate job")
        for lang, res in summary["languages"].items():
            rows.append({"model": model, "family": models[model]["family"], "params_b": models[model]["params_b"],
                         "task": task, "mixture": mixture, "lang": lang,
                         "tuned_on": lang in mixture_languages[mixture], "n": res["n"],
                         "chance": 1 / len(summary["labels"]), "correct": res["correct"],
                         "control_words": " ".join(summary["control_words"]),
                         "control_correct": res["control_correct"], "control_ties": res["control_ties"],
                         "irrelevant_rate": res["irrelevant_rate"]})
    table = pd.DataFrame(rows, columns=[c for c in CONTROL_COLUMNS if c not in (
        "accuracy", "ci_low", "ci_high", "control_accuracy", "control_ci_low", "control_ci_high", "change")])
    n = table["n"].to_numpy()
    for prefix in ("", "control_"):
        correct = table[f"{prefix}correct"]
        table[f"{prefix}accuracy"] = correct / table["n"].where(table["n"] > 0)
        table[f"{prefix}ci_low"], table[f"{prefix}ci_high"] = stats.wilson_ci(correct.to_numpy(), n)
    table["change"] = table["control_accuracy"] - table["accuracy"]
    return table[CONTROL_COLUMNS]


def plot_label_control(table: pd.DataFrame, models: Mapping, mixtures: Sequence[str], pdf_path: str,
                       png_path: str, run: str | None = None) -> None:
    """Per mixture (x), pooled over its languages: accuracy with the real label words and with
    irrelevant ones (Wilson 95% intervals of the pooled counts), and the irrelevant-output rate of
    free generation (grey; absent, and not in the legend, without free generation); a panel per
    model (row) and task (column), chance dashed."""
    plt = pyplot()
    fig, panels = _model_task_panels(plt, table, models, width=max(4.0, 0.9 * len(mixtures)))
    real, irrelevant = palette(2)
    rates = False
    for ax, rows in panels:
        pooled = _pool_control(rows, mixtures)
        x = np.arange(len(pooled))
        for k, (prefix, colour, name) in enumerate((("", real, "real labels"),
                                                     ("control_", irrelevant, "irrelevant labels"))):
            part = pd.DataFrame({col: pooled[f"{prefix}{col}"] for col in ("accuracy", "ci_low", "ci_high")})
            ax.bar(x + (k - 1) * 0.27, 100 * part["accuracy"], 0.27, yerr=wilson_err(part), color=colour,
                   label=name, error_kw={"lw": 0.6})
        have = pooled["irrelevant_rate"].notna().to_numpy()
        if have.any():
            rates = True
            ax.bar(x[have] + 0.27, 100 * pooled["irrelevant_rate"][have], 0.27, color="0.75", hatch="//")
        ax.axhline(100 * rows["chance"].iloc[0], color="0.3", ls="--", lw=0.8)
        ax.set_xticks(x, pooled["mixture"], fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.grid(axis="y", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=real, label="real labels"),
               plt.Rectangle((0, 0), 1, 1, color=irrelevant, label="irrelevant labels")]
    if rates:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="0.75", hatch="//",
                                     label="irrelevant outputs (free generation)"))
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 0.0),
               title="pooled over languages; dashed: chance")
    save(fig, pdf_path, png_path, {"run": run, "models": models})


def _pool_control(rows: pd.DataFrame, mixtures: Sequence[str]) -> pd.DataFrame:
    """Per mixture (in ``mixtures`` order, those present): pooled counts, accuracies with Wilson
    intervals, and the item-weighted irrelevant-output rate (NaN without free generation)."""
    out = []
    for mixture in [c for c in mixtures if c in set(rows["mixture"])]:
        part = rows[rows["mixture"] == mixture]
        n = int(part["n"].sum())
        entry = {"mixture": mixture, "n": n}
        for prefix in ("", "control_"):
            correct = int(part[f"{prefix}correct"].sum())
            low, high = stats.wilson_ci(np.array([correct]), np.array([n]))
            entry.update({f"{prefix}accuracy": correct / n if n else np.nan, f"{prefix}ci_low": float(low[0]),
                          f"{prefix}ci_high": float(high[0])})
        rate = pd.to_numeric(part["irrelevant_rate"], errors="coerce")
        have = rate.notna() & (part["n"] > 0)
        entry["irrelevant_rate"] = float((rate[have] * part["n"][have]).sum() / part["n"][have].sum()) if have.any() \
            else np.nan
        out.append(entry)
    return pd.DataFrame(out)


def label_control_summary(table: pd.DataFrame, mixtures: Sequence[str]) -> pd.DataFrame:
    """The control pooled over languages, per model x task x mixture (in ``mixtures`` order), in
    percent: accuracy with real labels, with irrelevant labels, their difference (points) and the
    irrelevant-output rate."""
    parts = []
    for (model, task), rows in table.groupby(["model", "task"], sort=False):
        pooled = _pool_control(rows, mixtures)
        parts.append(pd.DataFrame({
            "model": model, "task": task, "mixture": pooled["mixture"], "n": pooled["n"],
            "real labels (%)": 100 * pooled["accuracy"], "irrelevant labels (%)": 100 * pooled["control_accuracy"],
            "change (points)": 100 * (pooled["control_accuracy"] - pooled["accuracy"]),
            "irrelevant outputs (%)": 100 * pooled["irrelevant_rate"]}))
    columns = ["model", "task", "mixture", "n", "real labels (%)", "irrelevant labels (%)", "change (points)",
               "irrelevant outputs (%)"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def mixtures_summary(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_mixture`'s table with one row per model x task x mixture, in percent: accuracy
    over all languages, over the languages the mixture did not tune on, and the latter's change
    over the base model (points)."""
    wide = table.pivot_table(index=["model", "task", "mixture"], columns="languages",
                             values=["accuracy", "change_over_pretrained"], sort=False)
    return pd.DataFrame({
        "all languages (%)": 100 * wide[("accuracy", "all")],
        "untuned languages (%)": 100 * wide[("accuracy", "untuned")],
        "change over pretrained (points)": 100 * wide[("change_over_pretrained", "untuned")],
    }).reset_index()


QT_VALIDATION_COLUMNS = ["model", "task", "mixture", "direction", "lang", "target", "tuned_on", "n", "tokens", "loss",
                         "pairs", "mixture_pairs"]


def qt_validation(eval_files: Mapping[tuple[str, str, str], str], mixture_directions: Mapping[str, Sequence[str]],
                  pretrained: str, pivot: str = "en", origins: Mapping[str, dict] | None = None) -> pd.DataFrame:
    """One row per model x task x mixture x question-translation direction (``zh``: Chinese into the
    pivot, ``en2zh``; its ``lang`` and ``target``): the held-out pairs' loss (mean NLL per response
    token), the base model's on the same pairs, and the change; where the held-out pairs come from
    (``pairs``: ``authors`` or ``machine-translated``) and where the mixture's tuning pairs do
    (``mixture_pairs``; ``origins``: per task, ``{"sets": {direction: origin}, "mixtures": {mixture:
    origin}}``, mlpt.spontaneous.study.qt_origin)."""
    origins = origins or {}
    rows = []
    for (model, task, mixture), path in eval_files.items():
        known = origins.get(task, {})
        for direction, res in io.read_json(path).get("qt_validation", {}).items():
            lang, target = parse_direction(direction, pivot)
            rows.append({"model": model, "task": task, "mixture": mixture, "direction": direction, "lang": lang,
                         "target": target, "tuned_on": direction in mixture_directions[mixture], "n": res["n"],
                         "tokens": res["tokens"], "loss": res["loss"],
                         "pairs": known.get("sets", {}).get(direction, ""),
                         "mixture_pairs": known.get("mixtures", {}).get(mixture, "")})
    table = pd.DataFrame(rows, columns=QT_VALIDATION_COLUMNS)
    ref = table[table["mixture"] == pretrained].set_index(["model", "task", "direction"])["loss"]
    table = table.join(ref.rename("pretrained_loss"), on=["model", "task", "direction"])
    table["change"] = table["loss"] - table["pretrained_loss"]
    return table


def qt_control_failures(table: pd.DataFrame, margin: float) -> list[str]:
    """What fails the positive control: every tuned checkpoint must lower the held-out loss of the
    pairs of each direction it tuned on by more than ``margin`` nats per token below the base model
    (a run whose training, merge or hand-over to evaluation is broken leaves it unchanged)."""
    own = table[table["tuned_on"]]
    failures = [f"{r.model} {r.task} {r.mixture}: {r.direction} loss {r.loss:.3f}, pretrained {r.pretrained_loss:.3f}"
                for r in own.itertuples() if not r.change < -margin]
    return failures if not own.empty else ["no tuned checkpoint was evaluated on its own languages' pairs"]


def read_accuracy(path: str) -> pd.DataFrame:
    """The accuracy table as :func:`collect` wrote it."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def by_mixture(acc: pd.DataFrame, pretrained: str, pivot: str) -> pd.DataFrame:
    """Pooled accuracy per model x task x mixture over all languages and over the languages the
    mixture did not tune on (nor the pivot), with Wilson intervals and the change over ``pretrained``
    on the same languages."""
    out = []
    for (model, task, mixture), rows in acc.groupby(["model", "task", "mixture"], sort=False):
        base_rows = acc[(acc["model"] == model) & (acc["task"] == task) & (acc["mixture"] == pretrained)]
        for scope, mask in (("all", np.ones(len(rows), bool)),
                            ("untuned", (~rows["tuned_on"] & (rows["lang"] != pivot)).to_numpy())):
            part = rows[mask]
            ref = base_rows[base_rows["lang"].isin(part["lang"])]
            n, correct = int(part["n"].sum()), int(part["correct"].sum())
            low, high = stats.wilson_ci(np.array([correct]), np.array([n]))
            accuracy = correct / n if n else np.nan
            ref_accuracy = ref["correct"].sum() / ref["n"].sum() if ref["n"].sum() else np.nan
            out.append({"model": model, "task": task, "mixture": mixture, "languages": scope,
                        "n_languages": len(part), "n": n, "correct": correct, "accuracy": accuracy,
                        "ci_low": float(low[0]), "ci_high": float(high[0]),
                        "change_over_pretrained": accuracy - ref_accuracy})
    return pd.DataFrame(out)


def _grid(plt, rows: int, cols: int, width: float = 5.0, height: float = 2.6):
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    return fig, axes


def _model_task_panels(plt, table: pd.DataFrame, models: Mapping, width: float):
    """A panel per model (row) and task (column) of ``table``: the figure and ``(ax, rows)`` of
    every panel with data, titled ``<model label> · <task>`` (:func:`mlpt.figures.model_task_panels`;
    a panel without data is marked empty, untitled)."""
    model_ids = [m for m in model_order(dict(models)) if m in set(table["model"])]
    tasks = list(dict.fromkeys(table["task"]))
    fig, axes = _grid(plt, max(len(model_ids), 1), max(len(tasks), 1), width=width)
    panels = model_task_panels(axes, table, model_ids or [None], tasks or [None],
                               lambda model, task: f"{models[model]['label']} · {task}", title_empty=False)
    return fig, [(ax, rows) for ax, _, _, rows in panels]


def plot_mixtures(acc: pd.DataFrame, models: Mapping, languages: Sequence[str], mixtures: Sequence[str],
                    pdf_path: str, png_path: str, run: str | None = None) -> None:
    """Accuracy per language (x) and mixture (bars, Wilson 95% intervals), the mixtures and
    languages with results only; a panel per model (row) and task (column); tuned-on languages
    hatched."""
    plt = pyplot()
    mixtures = [c for c in mixtures if c in set(acc["mixture"])]
    languages = [lang for lang in languages if lang in set(acc["lang"])]
    fig, panels = _model_task_panels(plt, acc, models, width=max(5.0, 0.45 * len(languages) * 2))
    colours = dict(zip(mixtures, palette(len(mixtures))))
    width = 0.8 / max(len(mixtures), 1)
    for ax, rows in panels:
        x = np.arange(len(languages))
        for k, cond in enumerate(mixtures):
            part = rows[rows["mixture"] == cond].set_index("lang").reindex(languages)
            have = part["n"].notna().to_numpy()
            ax.bar(x[have] + (k - (len(mixtures) - 1) / 2) * width, 100 * part["accuracy"][have], width,
                   yerr=wilson_err(part[have]), color=colours[cond], label=cond, error_kw={"lw": 0.6},
                   hatch=["//" if t else "" for t in part["tuned_on"][have].astype(bool)])
        ax.set_xticks(x, languages, fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy (%)")
        ax.grid(axis="y", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c], label=c) for c in mixtures]
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", ncol=max(1, min(len(handles), 8)), frameon=False,
               bbox_to_anchor=(0.5, 0.0), title="mixture (hatched: a language it tunes on)")
    save(fig, pdf_path, png_path, {"run": run, "models": models})


def _probe_runs(files: Mapping[tuple[str, str, str], str]) -> list[tuple[tuple[str, str, str], dict]]:
    return [(key, io.read_json(path)) for key, path in files.items()]


#: The lens table's columns: the authors' measure, then the labelled extras.
LENS_COLUMNS = ["model", "task", "mixture", "lang", "layer", "p_english", "p_english_ci", "p_target", "p_target_ci",
                "p_english_any", "p_target_any", "entropy_bits", "entropy_bits_ci", "n", "n_items",
                "dropped_overlap", "dropped_empty_token_set", "prompts", "precision", "skipped",
                "extra_p_english_first_token", "extra_p_target_first_token"]


def lens_table(files: Mapping[tuple[str, str, str], str]) -> pd.DataFrame:
    """One row per model x task x mixture x language x decoder layer (1..L): the authors'
    measure (probability summed over the prefix-token set of the gold English label and of the gold
    localized label, each with its 95% half-width, the same over every label's set ("any"), the
    entropy in bits; items kept, dropped for overlapping sets or an empty set), the prompts and the
    precision used, and the labelled extras (first-token probabilities). A language the authors'
    lens cannot run in has one row, its reason under ``skipped``."""
    rows = []
    for (model, task, mixture), res in _probe_runs(files):
        base = {"model": model, "task": task, "mixture": mixture, "prompts": res.get("prompts"),
                "precision": res.get("precision")}
        for lang in res["order"]:
            per = res["languages"][lang]
            dropped = per.get("dropped", {})
            for k in range(len(per["english"])):
                rows.append({**base, "lang": lang, "layer": k + 1, "p_english": per["english"][k],
                             "p_english_ci": per["english_ci"][k], "p_target": per["target"][k],
                             "p_target_ci": per["target_ci"][k], "p_english_any": per["english_any"][k],
                             "p_target_any": per["target_any"][k], "entropy_bits": per["entropy_bits"][k],
                             "entropy_bits_ci": per["entropy_bits_ci"][k], "n": per["n"], "n_items": per["n_items"],
                             "dropped_overlap": dropped.get("overlap", 0),
                             "dropped_empty_token_set": dropped.get("empty_token_set", 0), "skipped": "",
                             "extra_p_english_first_token": per["extra_english_first"][k],
                             "extra_p_target_first_token": per["extra_target_first"][k]})
        for lang, why in res.get("skipped", {}).items():
            rows.append({**base, "lang": lang, "skipped": why})
    return pd.DataFrame(rows, columns=LENS_COLUMNS)


def plot_lens(table: pd.DataFrame, models: Mapping, pdf_path: str, png_path: str, run: str | None = None) -> None:
    """Per language (column) and model x mixture (line colour), by decoder layer: the English
    label's probability (solid) and the localized label's (dashed), summed over their prefix-token
    sets, with their 95% intervals, and the entropy in bits (bottom row), as the authors plot them."""
    plt = pyplot()
    table = table[table["skipped"].fillna("") == ""] if "skipped" in table else table
    langs = list(dict.fromkeys(table["lang"]))
    runs = list(dict.fromkeys(zip(table["model"], table["mixture"])))
    fig, axes = _grid(plt, 2, max(len(langs), 1), width=3.2, height=2.6)
    colours = dict(zip(runs, palette(len(runs))))
    for c, lang in enumerate(langs or [None]):
        if lang is None:
            empty(axes[0][0])
            empty(axes[1][0])
            break
        for key in runs:
            rows = table[(table["lang"] == lang) & (table["model"] == key[0]) & (table["mixture"] == key[1])]
            x = rows["layer"].to_numpy()
            for col, ls in (("p_english", "-"), ("p_target", "--")):
                y, ci = rows[col].to_numpy(float), rows[f"{col}_ci"].to_numpy(float)
                axes[0][c].plot(x, y, color=colours[key], lw=1.2, ls=ls)
                axes[0][c].fill_between(x, y - ci, y + ci, color=colours[key], alpha=0.15, lw=0)
            axes[1][c].plot(x, rows["entropy_bits"], color=colours[key], lw=1.2)
        kept = table[table["lang"] == lang]
        axes[0][c].set_title(f"{lang} (n {int(kept['n'].min())} of {int(kept['n_items'].max())})", fontsize=9)
        axes[0][c].set_ylabel("label probability")
        axes[0][c].set_ylim(-0.02, 1.02)
        axes[1][c].set_ylabel("entropy (bits)")
        axes[1][c].set_xlabel("layer")
        for ax in axes[:, c]:
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
    handles = [plt.Line2D([], [], color=colours[r], label=f"{models[r[0]]['label']} · {r[1]}") for r in runs]
    handles += [plt.Line2D([], [], color="0.3", label="English label"),
                plt.Line2D([], [], color="0.3", ls="--", label="localized label")]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), frameon=False, bbox_to_anchor=(0.5, -0.03))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save(fig, pdf_path, png_path, {"run": run, "models": models})


#: The PCA table's columns: the authors' statistic, then the labelled extras.
PCA_COLUMNS = ["model", "task", "mixture", "layer", "authors_layer", "pair", "pearson_pc1", "n_items", "languages",
               "prompts", "precision", "extra_eta_language", "extra_explained_pc1", "extra_explained_pc2"]


def pca_table(files: Mapping[tuple[str, str, str], str]) -> pd.DataFrame:
    """One row per model x task x mixture x hidden-states index (0 = embeddings) x language
    pair: the Pearson r between the first-component coordinates of the pair's parallel items (the
    authors' statistic; ``authors_layer`` marks the layer it is read at), the prompts and the
    precision used, and the labelled extras: the correlation ratio (eta) of the first component
    with language and the first two components' variance shares."""
    rows = []
    for (model, task, mixture), res in _probe_runs(files):
        for pair, values in res["pearson"].items():
            for layer, r in enumerate(values):
                explained = res["explained"][layer]
                rows.append({"model": model, "task": task, "mixture": mixture, "layer": layer,
                             "authors_layer": layer == res["layer"], "pair": pair, "pearson_pc1": r,
                             "n_items": res["n_items"], "languages": " ".join(res["order"]),
                             "prompts": res.get("prompts"), "precision": res.get("precision"),
                             "extra_eta_language": res["extra_eta"][layer], "extra_explained_pc1": explained[0],
                             "extra_explained_pc2": explained[1] if len(explained) > 1 else np.nan})
    return pd.DataFrame(rows, columns=PCA_COLUMNS)


def plot_pca(files: Mapping[tuple[str, str, str], str], models: Mapping, pdf_path: str, png_path: str,
             run: str | None = None) -> None:
    """One panel per run: the Pearson r of the first-component coordinates of parallel items, by
    layer, one line per language pair, the authors' layer marked (higher = better aligned). Last
    panel, a labelled extra: eta of the first component with language, by layer, per run."""
    plt = pyplot()
    runs = _probe_runs(files)
    fig, axes = _grid(plt, 1, len(runs) + 1, width=3.6, height=3.2)
    colours = dict(zip([k for k, _ in runs], palette(len(runs))))
    for k, (key, res) in enumerate(runs):
        ax = axes[0][k]
        pairs = list(res["pearson"])
        pair_colours = dict(zip(pairs, palette(len(pairs))))
        for pair in pairs:
            ax.plot(range(len(res["pearson"][pair])), res["pearson"][pair], color=pair_colours[pair], lw=1.1, label=pair)
        ax.axvline(res["layer"], color="0.4", ls=":", lw=1)
        ax.set_title(f"{models[key[0]]['label']} · {key[2]} (PC1 Pearson r; layer {res['layer']} marked)", fontsize=8)
        ax.set_xlabel("layer (hidden_states index)")
        ax.set_ylabel("Pearson r, parallel items")
        ax.set_ylim(-1.02, 1.02)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=6, frameon=False, ncol=2)
    ax = axes[0][len(runs)]
    for key, res in runs:
        ax.plot(range(len(res["extra_eta"])), res["extra_eta"], color=colours[key], lw=1.2,
                label=f"{models[key[0]]['label']} · {key[2]}")
    ax.set_title("extra: eta (PC1 ~ language; higher = more separated)", fontsize=8)
    ax.set_xlabel("layer (hidden_states index)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    if runs:
        ax.legend(fontsize=7, frameon=False)
    else:
        empty(ax)
    fig.tight_layout()
    save(fig, pdf_path, png_path, {"run": run, "models": models})


#: Each probe's table and figure: (table from the probe files, figure from the files and the table).
PROBES = {
    "lens": (lens_table, lambda files, table, models, pdf, png, run: plot_lens(table, models, pdf, png, run)),
    "pca": (pca_table, lambda files, table, models, pdf, png, run: plot_pca(files, models, pdf, png, run)),
}


def probe_outputs(kind: str, files: Mapping[tuple[str, str, str], str], models: Mapping, table_path: str,
                  pdf_path: str, png_path: str, run: str | None = None) -> pd.DataFrame:
    """Write the table and the figure (labelled with ``run``) of the ``lens`` or ``pca`` probe runs
    in ``files``."""
    make_table, plot = PROBES[kind]
    table = make_table(files)
    with io.atomic_path(table_path) as fh:
        table.to_csv(fh, index=False)
    plot(files, table, models, pdf_path, png_path, run)
    return table
