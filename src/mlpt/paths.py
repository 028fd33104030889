"""The path scheme: every file the workflow writes, in one place.

Patterns are relative to the working directory and use Snakemake wildcards; ``{run}`` is the
config's run name so runs never overwrite each other. Scripts and tests use the same patterns
through :func:`path`.
"""

from __future__ import annotations

ROOT = "results/{run}"

PATTERNS = {
    # prepare_data
    "data": "data/{task}/source.jsonl",
    "references": "data/{task}/references.jsonl",
    "data_report": "data/{task}/report.json",
    "test_guard": "data/{task}/test_guard.json",
    # tiny models (only for config entries with `tiny:`)
    "tokenizer": "models/tokenizer",
    "base_model": "models/base/{model}",
    "mt_model": "models/mt",
    # translate
    "translated": "translated/{task}/{lang}.jsonl",
    "translation_qc": "translated/{task}/{lang}.qc.json",
    # build_mixture
    "mixture": "mixtures/{task}/{mixture}.jsonl",
    "mixture_manifest": "mixtures/{task}/{mixture}.manifest.json",
    # sft (checkpoints for resuming live outside the declared output)
    "sft_model": "sft/{model}/{task}/{mixture}/model",
    "sft_log": "sft/{model}/{task}/{mixture}/train_log.json",
    "sft_checkpoints": "checkpoints/{model}/{task}/{mixture}",
    # build_eval_tasks / evaluate
    "eval_tasks": "tasks/{task}",
    "eval": "eval/{model}/{task}/{mixture}.json",
    "eval_samples": "eval/{model}/{task}/{mixture}.samples.jsonl",
    # analysis
    "accuracy": "tables/accuracy.csv",
    "table1": "tables/table1_languages.csv",
    "table1_tex": "tables/table1_languages.tex",
    "fig2": "figures/fig2_accuracy_vs_languages.pdf",
    "fig2_png": "figures/fig2_accuracy_vs_languages.png",
}


def path(name: str, run: str | None = None, **wildcards) -> str:
    """``results/<run>/<pattern>``; wildcards not given stay as ``{name}`` placeholders."""
    pattern = f"{ROOT}/{PATTERNS[name]}"
    values = {"run": run or "{run}", **wildcards}
    return pattern.format_map(_Keep(values))


def log(name: str, run: str) -> str:
    return f"results/{run}/logs/{name}.log"


def benchmark(name: str, run: str) -> str:
    return f"results/{run}/benchmarks/{name}.tsv"


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
