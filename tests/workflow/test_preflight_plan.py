"""The GPU preflight target: one preflight_model job per base model with its SFT tier's GPUs and the
preflight's own time limit, merged by `preflight`; none of it is part of the study's `all`."""

import re

import pytest

from conftest import job_counts, run_snakemake

pytestmark = pytest.mark.workflow


def test_the_preflight_target_runs_one_job_per_base_model_on_its_tier():
    """Per base model one job, which also reads the prepared math data (MGSM's test items, human in
    every language, for the decode waste): no translate, build_eval_tasks or sft job is pulled in."""
    proc = run_snakemake("preflight", "-n", "--configfile", "config/paper.yaml")
    counts = job_counts(proc.stdout)
    assert counts == {"download_model": 5, "prepare_data": 1, "preflight_model": 5, "preflight": 1, "total": 12}
    assert "wildcards: task=math" in proc.stdout
    jobs = proc.stdout.split("rule preflight_model:")[1:]
    assert len(jobs) == 5 and all(
        "results/paper/data/math/source.jsonl, results/paper/data/math/references.jsonl" in job.split("output:")[0]
        for job in jobs)
    gpus = dict(re.findall(r"wildcards: model=(\S+)\n\s+resources: .*?runtime=120, gpu=(\d+)", proc.stdout))
    assert gpus == {"qwen3-600m": "1", "qwen3-1700m": "1", "gemma3-1b": "1", "gemma3-4b": "4", "qwen3-8b": "8"}
    assert "output: results/paper/preflight.json" in proc.stdout


def test_the_study_does_not_run_the_preflight():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", "config/paper.yaml").stdout)
    assert not {"preflight", "preflight_model"} & set(counts)
