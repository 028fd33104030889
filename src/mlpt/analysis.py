"""Analysis: the tidy accuracy table and the tables built from it and from the data files
(Table 1, Table 4, headline numbers, translation QC, benchmarks, the positive-control check).
Statistics are in :mod:`mlpt.stats`, figures in :mod:`mlpt.figures`.

Everything downstream of evaluation reads only ``tables/accuracy.csv`` (one row per model × task
× mixture × language), so any figure can be rebuilt from a results table alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import io
from .mixture_grammar import PRETRAINED
from .stats import wilson_ci

ACCURACY_COLUMNS = ["model", "family", "params_b", "task", "mixture", "n_train_langs", "lang", "resource",
                    "in_training", "n", "correct", "accuracy", "ci_low", "ci_high", "fidelity",
                    "hit_max_gen_toks", "test_set"]


def collect(eval_files: list[str], models: dict, languages: dict, mixture_languages: dict,
            test_sets: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Tidy accuracy table from evaluation summaries.

    ``models`` and ``languages`` are the config sections; ``mixture_languages`` maps each mixture
    name to its training languages; ``test_sets`` maps task -> language -> where its test set comes
    from (``human`` or ``machine-translated``; :func:`mlpt.data.origin_of_test_sets`), the last
    column, ``test_set``."""
    rows = []
    for path in eval_files:
        summary = io.read_json(path)
        model, mixture = summary["model"], summary["mixture"]
        langs = () if mixture == PRETRAINED else mixture_languages[mixture]
        spec = models[model]
        for lang, res in summary["languages"].items():
            rows.append({
                "model": model, "family": spec["family"], "params_b": spec["params_b"], "task": summary["task"],
                "mixture": mixture, "n_train_langs": len(langs), "lang": lang,
                "resource": languages[lang]["resource"], "in_training": lang in langs,
                "n": res["n"], "correct": res["correct"], "fidelity": res.get("fidelity"),
                "hit_max_gen_toks": res.get("hit_max_gen_toks"), "test_set": test_sets[summary["task"]][lang],
            })
    if not rows:
        raise ValueError("no evaluation results to collect")
    df = pd.DataFrame(rows)
    df["accuracy"] = df["correct"] / df["n"]
    df["ci_low"], df["ci_high"] = wilson_ci(df["correct"].to_numpy(), df["n"].to_numpy())
    order = {m: i for i, m in enumerate(models)}
    lang_order = {lang: i for i, lang in enumerate(languages)}
    df = df.sort_values(["model", "task", "n_train_langs", "mixture", "lang"],
                        key=lambda s: s.map(order) if s.name == "model" else s.map(lang_order) if s.name == "lang" else s)
    return df[ACCURACY_COLUMNS].reset_index(drop=True)


def table1_languages(languages: dict, test_sets: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Table 1: per language its name, resource level and role, and per task where its test set
    comes from (column ``test_set_<task>``: ``human`` or ``machine-translated``; ``test_sets`` as
    in :func:`collect`)."""
    role = {"core": "train + eval", "extra": "train only", "eval": "eval only"}
    return pd.DataFrame([
        {"code": code, "language": spec["name"], "resource": spec["resource"], "role": role[spec["role"]],
         **{f"test_set_{task}": origins[code] for task, origins in test_sets.items()}}
        for code, spec in languages.items()
    ])


def write_table(df: pd.DataFrame, csv_path: str, tex_path: str | None = None, caption: str = "", label: str = "") -> None:
    with io.atomic_path(csv_path) as fh:
        df.to_csv(fh, index=False)
    if tex_path:
        with io.atomic_path(tex_path) as fh:
            fh.write(df.to_latex(index=False, caption=caption or None, label=label or None, escape=True, float_format="%.3f"))


def positive_control_check(acc: pd.DataFrame, task: str, mixture_languages: dict, source_lang: str,
                           languages: dict, min_in_training: float, min_gap: float) -> list[str]:
    """Problems with a positive-control task's results (an empty list means it passed).

    A pipeline that works must (1) teach every training language of the widest mixture, each
    scoring at least ``min_in_training``, and (2) show the study's effect for the source-only
    mixture: its source-language accuracy beats the mean over languages it never saw that are
    written in another script by at least ``min_gap``. A broken extractor, a language silently
    dropped from a mixture, or an evaluation of the wrong checkpoint each break one of these."""
    problems = []
    rows = acc[acc["task"] == task]
    if rows.empty:
        return [f"no results for task '{task}'"]
    widest = max(mixture_languages, key=lambda m: len(mixture_languages[m]))
    for (model, lang), acc_value in rows[rows["mixture"] == widest].set_index(["model", "lang"])["accuracy"].items():
        if lang in mixture_languages[widest] and acc_value < min_in_training:
            problems.append(f"{model}/{widest}: training language '{lang}' scores {acc_value:.2f} < {min_in_training}")
    no_code = [code for code, spec in languages.items() if "nllb" not in spec]
    if no_code:  # the script is read from the FLORES-200 code (eng_Latn): never guessed
        raise ValueError(f"languages {no_code} have no nllb code, which names their script")
    script = {code: spec["nllb"].split("_")[-1] for code, spec in languages.items()}
    other_script = [lang for lang in languages if script[lang] != script[source_lang]]
    solo = rows[rows["mixture"] == source_lang]
    for model, d in solo.groupby("model"):
        seen = d.loc[d["lang"] == source_lang, "accuracy"].mean()
        unseen = d.loc[d["lang"].isin(other_script), "accuracy"].mean()
        if not seen - unseen >= min_gap:
            problems.append(f"{model}/{source_lang}: {source_lang} {seen:.2f} vs unseen other-script languages {unseen:.2f} "
                            f"(gap < {min_gap})")
    return problems


def table4_datasets(language_files: dict[str, dict[str, str]], tasks: dict) -> pd.DataFrame:
    """Table 4: per task and split, items per language, languages, mean question length.

    ``language_files`` maps task -> language -> the translated/reference records of that language."""
    rows = []
    for task, files in language_files.items():
        counts: dict[str, dict[str, int]] = {}
        chars: dict[str, list[int]] = {}
        for lang, path in files.items():
            for rec in io.read_jsonl(path):
                counts.setdefault(rec["split"], {}).setdefault(lang, 0)
                counts[rec["split"]][lang] += 1
                chars.setdefault(rec["split"], []).append(len(rec["question"]))
        for split in ("train", "val", "test"):
            if split not in counts:
                continue
            per_lang = counts[split]
            rows.append({
                "task": tasks[task].get("label", task), "split": split, "languages": len(per_lang),
                "items_per_language": min(per_lang.values()) if len(set(per_lang.values())) == 1
                else f"{min(per_lang.values())}-{max(per_lang.values())}",
                "items_total": sum(per_lang.values()), "mean_question_chars": round(sum(chars[split]) / len(chars[split]), 1),
            })
    return pd.DataFrame(rows)


def headline_numbers(paper: dict, summary: pd.DataFrame, win: pd.DataFrame, coef: pd.DataFrame, r2_test: float) -> pd.DataFrame:
    """Each headline number of the paper next to this run's value (NaN where the run lacks it).

    ``paper`` is resources/paper/headline_numbers.yaml; ``summary`` comes from
    stats.summarise_changes, ``win`` from stats.win_rates, ``coef``/``r2_test`` from stats.regression."""
    rows = []
    med = summary.set_index(["task", "category"])["median"] if len(summary) else pd.Series(dtype=float)
    for item in paper["median_change"]:
        rows.append({"metric": f"median change, {item['category']} ({item['task']}), points", "paper": item["value"],
                     "this_run": med.get((item["task"], item["category"]), float("nan"))})
    for item in paper["win_rate"]:
        value = win.loc[item["category"], "all"] if item["category"] in win.index and "all" in win.columns else float("nan")
        rows.append({"metric": f"win rate, {item['category']} (both tasks)", "paper": item["value"], "this_run": value})
    rows.append({"metric": "regression held-out R2", "paper": paper["regression"]["r2_test"], "this_run": r2_test})
    for name, value in paper["regression"]["coefficients"].items():
        rows.append({"metric": f"regression coefficient {name}", "paper": value,
                     "this_run": coef["coef"].get(name, float("nan")) if "coef" in coef else float("nan")})
    return pd.DataFrame(rows).round(3)


def translation_qc(qc_files: dict[tuple[str, str], str]) -> pd.DataFrame:
    """One row per task × language × split: how the text was obtained and what QC counted.

    Columns: ``method`` (source / reference / mt:<backend>), ``records``, ``segments`` (distinct MT
    inputs), ``flagged``, ``dropped`` (under ``policy``), one ``qc_<check>`` count per check of
    :mod:`mlpt.translation_qc` (records failing it), ``truncated_inputs``, ``hit_max_new_tokens``,
    ``shards`` and ``shards_resumed``. Splits that were not machine-translated have no QC counts."""
    from .translation_qc import CHECKS

    rows = []
    for (task, lang), path in qc_files.items():
        qc = io.read_json(path)
        for split, info in qc["splits"].items():
            info = dict(info)
            checks = info.pop("checks", {})
            info.pop("dropped_ids", None)  # the ids are in the qc json; the table counts them
            rows.append({"task": task, "lang": lang, "split": split, **info,
                         **{f"qc_{c}": checks.get(c) for c in CHECKS}})
    first = ["task", "lang", "split", "method", "records", "segments", "flagged", "dropped", "policy",
             *(f"qc_{c}" for c in CHECKS)]
    table = pd.DataFrame(rows)
    return table[[c for c in first if c in table] + [c for c in table if c not in first]]


def benchmark_summary(files: list[str], root: str) -> pd.DataFrame:
    """Per-rule totals of Snakemake ``benchmark:`` files (wall seconds, peak RSS).

    ``root`` is the run's benchmarks folder; a file's first folder below it (or its stem) is the rule."""
    rows = []
    for path in files:
        rel = Path(path).relative_to(root)
        rule = rel.parts[0].removesuffix(".tsv")
        bench = pd.read_csv(path, sep="\t").iloc[-1]
        rows.append({"rule": rule, "s": float(bench["s"]), "max_rss_mb": float(bench["max_rss"])})
    if not rows:
        return pd.DataFrame(columns=["rule", "jobs", "total_s", "mean_s", "max_s", "peak_rss_mb"])
    df = pd.DataFrame(rows)
    return (df.groupby("rule").agg(jobs=("s", "size"), total_s=("s", "sum"), mean_s=("s", "mean"), max_s=("s", "max"),
                                    peak_rss_mb=("max_rss_mb", "max"))
            .sort_values("total_s", ascending=False).round(1).reset_index())
