"""The workflow itself: dry-run plans, config rejection at the CLI, lint and formatting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import config_for_run, job_counts, run_snakemake

pytestmark = pytest.mark.workflow
ROOT = Path(__file__).resolve().parents[2]


def test_paper_plans_220_sft_runs():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", "config/paper.yaml").stdout)
    assert counts["sft"] == 220  # 22 mixtures x 2 tasks x 5 models
    assert counts["evaluate"] == 230  # + the pretrained baseline of each model and task
    assert counts["build_mixture"] == 44 and counts["translate"] == 22 and counts["prepare_data"] == 2
    assert "build_base_model" not in counts  # hub models are not built


def test_hub_models_are_downloaded_once_before_the_jobs_that_load_them():
    """5 base models + the two MT models (NLLB for math, an instruction-tuned LLM for API data): one
    local download_model job each, and training reads its result."""
    proc = run_snakemake("results/paper/sft/gemma3-4b/math/en/model", "-n", "--configfile", "config/paper.yaml")
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", "config/paper.yaml").stdout)
    assert counts["download_model"] == 7
    assert job_counts(proc.stdout)["download_model"] == 2  # Gemma3-4B, and NLLB for the math translations
    assert "output: hub-models/google--gemma-3-4b-pt" in proc.stdout  # read by the SFT job
    assert "localrules:\n    download_model," in (ROOT / "workflow/rules/models.smk").read_text()  # on the login node


def test_default_config_is_the_paper():
    assert job_counts(run_snakemake("-n", "--quiet", "rules").stdout)["sft"] == 220


@pytest.fixture
def fresh_demo_config(tmp_path):
    """The demo config under a run name with no results, so plans do not depend on results/demo."""
    return config_for_run("config/demo.yaml", "test-dryrun", tmp_path)


def test_demo_plan_exercises_every_rule(fresh_demo_config):
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", fresh_demo_config).stdout)
    # one job per item: 2 models x 3 tasks x 4 mixtures trained, x 5 checkpoints (the base model
    # included) evaluated, 3 tasks x 11 languages translated
    assert counts["sft"] == 24 and counts["evaluate"] == 30 and counts["translate"] == 33
    for rule in ("prepare_data", "build_tokenizer", "build_base_model", "build_mt_model", "translate", "build_mixture",
                 "build_eval_tasks", "collect_results", "make_table1_languages", "plot_fig2_accuracy_vs_languages"):
        assert counts.get(rule), rule


def _planned_job(stdout: str, rule: str) -> str:
    return stdout[stdout.index(f"rule {rule}:"):].split("\n\n")[0]


def test_one_job_per_item(fresh_demo_config):
    """An sft job trains one mixture, an evaluate job scores one checkpoint, a translate job
    translates one language."""
    proc = run_snakemake("results/test-dryrun/eval/qwen3-tiny/control/en-es.json", "-n", "--configfile", fresh_demo_config)
    sft, evaluate = _planned_job(proc.stdout, "sft"), _planned_job(proc.stdout, "evaluate")
    assert "output: results/test-dryrun/eval/qwen3-tiny/control/en-es.json, " in evaluate
    assert "results/test-dryrun/eval/qwen3-tiny/control/en.json" not in evaluate
    assert "output: results/test-dryrun/sft/qwen3-tiny/control/en-es/model, " in sft
    assert "results/test-dryrun/mixtures/control/en-es.jsonl" in sft and "control/core.jsonl" not in sft
    assert "benchmarks/evaluate/qwen3-tiny/control/en-es.tsv" in evaluate
    assert "benchmarks/sft/qwen3-tiny/control/en-es.tsv" in sft
    translate = _planned_job(run_snakemake("results/test-dryrun/translated/math/bn.jsonl", "-n", "--configfile",
                                           fresh_demo_config).stdout, "translate")
    assert "output: results/test-dryrun/translated/math/bn.jsonl, results/test-dryrun/translated/math/bn.qc.json" in translate
    assert "translated/math/es.jsonl" not in translate


def test_single_figure_is_its_own_target(fresh_demo_config):
    counts = job_counts(run_snakemake("results/test-dryrun/tables/table1_languages.csv", "-n", "--quiet", "rules",
                                      "--configfile", fresh_demo_config).stdout)
    assert counts == {"make_table1_languages": 1, "total": 1}


def test_bad_config_stops_before_any_job(tmp_path, root):
    cfg = yaml.safe_load((root / "config/demo.yaml").read_text())
    cfg["mixtures"].append({"name": "with-te", "languages": ["en", "te"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    proc = run_snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "Invalid configuration" in message and "'te' is eval-only" in message and "mixtures/4" in message


def test_lint_is_clean():
    proc = run_snakemake("--lint", "--configfile", "config/paper.yaml", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_snakefmt_check(root):
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(venv_bin, "snakefmt"), "--check", "Snakefile", "workflow/rules"], cwd=root,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


def test_slurm_profile_plans_from_the_repo_root(fresh_demo_config):
    """`snakemake --profile slurm` selects the slurm executor and plans without a cluster."""
    proc = run_snakemake("-n", "--profile", "slurm", "--configfile", fresh_demo_config, "--quiet", "rules")
    assert job_counts(proc.stdout)["sft"] == 24  # one job per model, task and mixture
