"""Dry-run plans of paper.yaml: each task translates with its own MT model, and every mixture of a task
reads the task's one item selection."""

import re

import pytest

from conftest import job_counts, run_snakemake

pytestmark = pytest.mark.workflow

QWEN = "hub-models/Qwen--Qwen2.5-7B-Instruct"
NLLB = "hub-models/facebook--nllb-200-distilled-600M"


def _jobs(stdout: str, rule: str) -> list[str]:
    """The dry-run's description blocks of ``rule``'s jobs."""
    return [block for block in re.split(r"\n(?=\[[^\]]+\]\n)", stdout) if re.search(rf"^(local)?rule {rule}:", block, re.M)]


def _line(block: str, key: str) -> str:
    return re.search(rf"^\s+{key}: (.*)$", block, re.M).group(1)


def test_each_translate_job_loads_its_own_tasks_mt_model():
    """api: the llm backend's Qwen2.5-7B-Instruct; math: NLLB (seq2seq); each downloaded once."""
    targets = [f"results/paper/translated/{task}/ja.jsonl" for task in ("api", "math")]
    proc = run_snakemake(*targets, "-n", "--configfile", "config/paper.yaml")
    inputs = {_line(job, "wildcards"): _line(job, "input").split(", ") for job in _jobs(proc.stdout, "translate")}
    assert QWEN in inputs["task=api, lang=ja"] and NLLB not in inputs["task=api, lang=ja"]
    assert NLLB in inputs["task=math, lang=ja"] and QWEN not in inputs["task=math, lang=ja"]
    downloads = {_line(job, "output") for job in _jobs(proc.stdout, "download_model")}
    assert downloads == {QWEN, NLLB}


def test_the_source_language_needs_no_mt_model():
    proc = run_snakemake("results/paper/translated/api/en.jsonl", "-n", "--configfile", "config/paper.yaml")
    (job,) = _jobs(proc.stdout, "translate")
    assert "hub-models" not in _line(job, "input") and not _jobs(proc.stdout, "download_model")


def test_paper_plan_downloads_every_tasks_mt_model_and_selects_items_once_per_task():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", "config/paper.yaml").stdout)
    assert counts["download_model"] == 7  # 5 base models + NLLB (math) + Qwen2.5-7B-Instruct (api)
    assert counts["translate"] == 22 and counts["measure_mt_quality"] == 1
    assert counts["select_items"] == 2 and counts["build_mixture"] == 44


def test_measure_mt_quality_waits_for_every_tasks_mt_model():
    proc = run_snakemake("results/paper/tables/mt_quality.csv", "-n", "--configfile", "config/paper.yaml")
    (job,) = _jobs(proc.stdout, "measure_mt_quality")
    assert {QWEN, NLLB} <= set(_line(job, "input").split(", "))


def test_every_mixture_of_a_task_reads_the_tasks_item_selection():
    """English-only and all10 depend on the same items.json, made from all ten training languages."""
    targets = [f"results/paper/mixtures/math/{m}.jsonl" for m in ("en", "all10")]
    proc = run_snakemake(*targets, "-n", "--configfile", "config/paper.yaml")
    for job in _jobs(proc.stdout, "build_mixture"):
        assert "results/paper/mixtures/math/items.json" in _line(job, "input").split(", ")
    (select,) = _jobs(proc.stdout, "select_items")
    assert len([f for f in _line(select, "input").split(", ") if f.startswith("results/paper/translated/math/")]) == 10
