"""Analysis: the tidy accuracy table and the tables built from it and from the data files
(Table 1, Table 4, headline numbers, the LaTeX forms of Tables 2 and 3 and of the zero-shot vs
direct shares, the positive control's own summary, translation QC, benchmarks, the
positive-control check). Statistics are in :mod:`mlpt.stats`, figures in :mod:`mlpt.figures`.

Every figure and every statistic but one reads only ``tables/accuracy.csv`` (one row per model ×
task × mixture × language), so it can be rebuilt from a results table alone; the per-case tests
of zero-shot vs direct training also read the per-item scores of the evaluations
(:func:`read_item_scores`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from . import io, latex
from . import languages as language_table
from .mixture_grammar import PRETRAINED
from .stats import PaperStatistics, wilson_ci

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


#: Table 1's descriptive facts of each language, kept in the language table.
TABLE1_FACTS = ("family", "subfamily", "script")


def language_facts(table: Mapping, lang: str, where: str | Path = "the language table") -> dict[str, str]:
    """``family``, ``subfamily`` and ``script`` of ``lang`` in a loaded language table
    (``resources/prompts/phrases.yaml``, :mod:`mlpt.languages`); ValueError naming ``where`` and
    the key of a missing or empty one."""
    entry = table["languages"].get(lang)
    if entry is None:
        raise ValueError(f"{where}: no entry 'languages/{lang}' (Table 1 needs its family, subfamily and script)")
    facts = {}
    for key in TABLE1_FACTS:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: key 'languages/{lang}/{key}': expected a non-empty string, got {value!r}")
        facts[key] = value
    return facts


def table1_languages(languages: dict, test_sets: dict[str, dict[str, str]], table_path: str | Path | None = None
                     ) -> pd.DataFrame:
    """Table 1: per language its name, family, sub-family and script (from the language table at
    ``table_path``, by default the run's: :func:`mlpt.languages.active_table`), resource level and
    role, and per task where its test set comes from (column ``test_set_<task>``: ``human`` or
    ``machine-translated``; ``test_sets`` as in :func:`collect`). A language without its facts in
    the table is a ValueError naming the file and the key."""
    path = Path(table_path) if table_path is not None else language_table.active_table()
    table = language_table.load_table(path)
    role = {"core": "train + eval", "extra": "train only", "eval": "eval only"}
    return pd.DataFrame([
        {"code": code, "language": spec["name"], **language_facts(table, code, path), "resource": spec["resource"],
         "role": role[spec["role"]], **{f"test_set_{task}": origins[code] for task, origins in test_sets.items()}}
        for code, spec in languages.items()
    ])


def write_table(df: pd.DataFrame, csv_path: str, tex_path: str | None = None, caption: str = "", label: str = "",
                tex: pd.DataFrame | None = None) -> None:
    """``df`` as CSV at ``csv_path`` and, with ``tex_path``, as a LaTeX table
    (:func:`mlpt.latex.write_table`, three decimals; ``tex`` instead of ``df`` when given: a version
    formatted for reading, e.g. percentages and intervals as text)."""
    with io.atomic_path(csv_path) as fh:
        df.to_csv(fh, index=False)
    if tex_path:
        latex.write_table(df if tex is None else tex, tex_path, caption, label)


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


def api_name(call: str) -> str:
    """The API name of a gold call ``Name(key='value', ...)``: the text before its parenthesis."""
    return call.split("(", 1)[0].strip()


def table4_datasets(language_files: dict[str, dict[str, str]], tasks: dict, n_examples: int = 3) -> pd.DataFrame:
    """Table 4: per task and split, items per language, languages, mean question length, and for
    an API-calling task (``kind: api_call``) the number of distinct APIs its gold calls use
    (``apis``; the paper: 399 test queries over 49 APIs) and the ``n_examples`` most frequent of
    them (``example_apis``, ties in name order). Other tasks leave both empty.

    ``language_files`` maps task -> language -> the translated/reference records of that language.
    API names and parameter keys are never translated, so every language's calls name the same
    APIs; the counts are over the records of all languages."""
    rows = []
    for task, files in language_files.items():
        counts: dict[str, dict[str, int]] = {}
        chars: dict[str, list[int]] = {}
        apis: dict[str, Counter] = {}
        for lang, path in files.items():
            for rec in io.read_jsonl(path):
                counts.setdefault(rec["split"], {}).setdefault(lang, 0)
                counts[rec["split"]][lang] += 1
                chars.setdefault(rec["split"], []).append(len(rec["question"]))
                if "call" in rec:
                    apis.setdefault(rec["split"], Counter())[api_name(rec["call"])] += 1
        is_api = tasks[task].get("kind") == "api_call"
        for split in ("train", "val", "test"):
            if split not in counts:
                continue
            per_lang = counts[split]
            used = apis.get(split, Counter())
            examples = sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))[:n_examples]
            rows.append({
                "task": tasks[task].get("label", task), "split": split, "languages": len(per_lang),
                "items_per_language": min(per_lang.values()) if len(set(per_lang.values())) == 1
                else f"{min(per_lang.values())}-{max(per_lang.values())}",
                "items_total": sum(per_lang.values()),
                "mean_question_chars": round(sum(chars[split]) / len(chars[split]), 1),
                "apis": len(used) if is_api else None,
                "example_apis": ", ".join(name for name, _ in examples) if is_api else None,
            })
    table = pd.DataFrame(rows, columns=["task", "split", "languages", "items_per_language", "items_total",
                                        "mean_question_chars", "apis", "example_apis"])
    table["apis"] = table["apis"].astype("Int64")
    return table


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


# --------------------------------------------------------------------------------------------------
# The positive control's overview, and the LaTeX forms of the statistics tables


#: The label of every table of the positive control's statistics.
CONTROL_LABEL = "control (synthetic), not the paper's numbers"


def statistics_overview(result: PaperStatistics, scope: str) -> pd.DataFrame:
    """This run's value of each statistic the paper reports, labelled ``scope``, without the paper's
    numbers beside them: the headline file of a task that is not the paper's (the positive control).

    Rows: the median change of each task × category with its bootstrap interval (``count``: the
    changes), each win rate of Table 2 with its Wilson interval (``count``: wins/changes), the
    regression's held-out R² and each coefficient with its bootstrap interval, and per task ×
    zero-shot training size the share of cases where zero-shot is not worse than direct training
    (all models, all core languages; ``count``: cases not worse/cases). Columns ``scope, metric,
    value, ci_low, ci_high, count``."""
    rows = []
    for r in result.summary.itertuples():
        rows.append({"metric": f"median change, {r.category} ({r.task}), points", "value": r.median,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "count": f"n={r.n}"})
    for r in result.win_table.itertuples():
        if r.n:
            rows.append({"metric": f"win rate, {r.category} ({r.task})", "value": r.win_rate, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "count": f"{r.wins}/{r.n}"})
    rows.append({"metric": "regression held-out R2", "value": result.r2_test})
    for name, r in result.coef.iterrows():
        rows.append({"metric": f"regression coefficient {name}", "value": r["coef"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"]})
    shares = result.case_shares
    for r in shares[(shares["models"] == "all") & (shares["languages"] == "all core")].itertuples():
        rows.append({"metric": f"zero-shot vs direct, {r.train_size} training languages ({r.task}): cases not worse",
                     "value": r.not_worse_share, "count": f"{r.better + r.not_different}/{r.cases}"})
    table = pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "count"])
    table.insert(0, "scope", scope)
    return table.round({"value": 4, "ci_low": 4, "ci_high": 4})


def _percent(x: float) -> str:
    return "" if pd.isna(x) else f"{100 * x:.1f}"


def table2_latex(win_table: pd.DataFrame) -> pd.DataFrame:
    """Table 2 for reading: per category and task, wins/changes, the win rate (%) and its Wilson
    95% interval (%), as the paper prints them (e.g. 30/40, 75.0, [59.8, 85.8])."""
    return pd.DataFrame({
        "category": win_table["category"], "task": win_table["task"],
        "wins": [f"{w}/{n}" for w, n in zip(win_table["wins"], win_table["n"])],
        "win rate (%)": win_table["win_rate"].map(_percent),
        "95% CI (%)": [f"[{_percent(lo)}, {_percent(hi)}]" if pd.notna(lo) else ""
                       for lo, hi in zip(win_table["ci_low"], win_table["ci_high"])],
    })


def table3_latex(coef: pd.DataFrame) -> pd.DataFrame:
    """Table 3 for reading: per predictor the coefficient, its 95% bootstrap interval, and the
    analytic OLS standard error and p-value (``coef`` as :func:`mlpt.stats.regression` returns it)."""
    def number(x: float) -> str:
        return "" if pd.isna(x) else f"{x:.3f}"

    return pd.DataFrame({
        "predictor": coef.index, "coefficient": coef["coef"].map(number),
        "95% CI (bootstrap)": [f"[{number(lo)}, {number(hi)}]" if pd.notna(lo) else ""
                               for lo, hi in zip(coef["ci_low"], coef["ci_high"])],
        "OLS s.e.": coef["std_err"].map(number),
        "OLS p": coef["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.2g}"),
    })


def case_shares_latex(shares: pd.DataFrame) -> pd.DataFrame:
    """The zero-shot vs direct shares for reading: the rows over all core languages, each outcome
    as count/cases and its share (%), e.g. "7/8 (87.5%)"."""
    main = shares[shares["languages"] == "all core"]

    def cell(count: pd.Series) -> list[str]:
        return [f"{k}/{n} ({100 * k / n:.1f}%)" for k, n in zip(count, main["cases"])]

    return pd.DataFrame({"task": main["task"], "training languages": main["train_size"], "models": main["models"],
                         "better": cell(main["better"]), "not different": cell(main["not_different"]),
                         "worse": cell(main["worse"])})


# --------------------------------------------------------------------------------------------------
# Per-item scores of the evaluations


ITEM_COLUMNS = ["model", "task", "mixture", "lang", "id", "correct"]


def read_item_scores(files: Mapping[tuple[str, str, str], str], languages: Iterable[str] | None = None
                     ) -> pd.DataFrame:
    """The per-item 0/1 scores of evaluations: one row per test item (columns ``ITEM_COLUMNS``).

    ``files`` maps (model, task, mixture) to the evaluation's ``samples.jsonl`` (one JSON record
    per item with at least ``lang``, ``id`` and ``correct``; :func:`mlpt.evaluate.run`). With
    ``languages``, only their items are kept."""
    keep = None if languages is None else set(languages)
    frames = []
    for (model, task, mixture), path in files.items():
        langs, ids, correct = [], [], []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                if keep is None or rec["lang"] in keep:
                    langs.append(rec["lang"])
                    ids.append(str(rec["id"]))
                    correct.append(bool(rec["correct"]))
        frames.append(pd.DataFrame({"model": model, "task": task, "mixture": mixture, "lang": langs, "id": ids,
                                    "correct": correct}, columns=ITEM_COLUMNS))
    if not frames:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def item_scores_in_table(items: pd.DataFrame, acc: pd.DataFrame) -> pd.DataFrame:
    """The per-item scores of the cells (model × task × mixture × language) that the accuracy table
    has, checked: ValueError unless each cell's items number its row's ``n`` and its correct items
    its ``correct`` (a stale or foreign samples file would otherwise enter the tests unnoticed).
    Items of cells the table lacks (a partial table) are left out."""
    key = ["model", "task", "mixture", "lang"]
    if items.empty:
        return items
    counted = items.groupby(key, sort=False)["correct"].agg(n="size", correct="sum").reset_index()
    merged = counted.merge(acc[[*key, "n", "correct"]], on=key, how="inner", suffixes=("", "_table"))
    bad = merged[(merged["n"] != merged["n_table"]) | (merged["correct"] != merged["correct_table"])]
    if len(bad):
        r = bad.iloc[0]
        raise ValueError(f"per-item scores disagree with the accuracy table in {len(bad)} cell(s), e.g. "
                         f"{r['model']}/{r['task']}/{r['mixture']}/{r['lang']}: {int(r['correct'])}/{int(r['n'])} "
                         f"items correct vs {r['correct_table']}/{r['n_table']} in the table")
    return items.merge(merged[key], on=key, how="inner")[ITEM_COLUMNS]


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
