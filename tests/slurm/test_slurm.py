"""The workflow through `--profile slurm` on a real single-node SLURM cluster started on this machine.

Installs Debian's slurm-wlm and munge when missing (root only; skipped with the reason otherwise),
starts munged/slurmctld/slurmd (tests/slurm/local_cluster.sh), runs one chain of the demo —
prepare → tokenizer/models → translate → mixture → sft → evaluate for the positive control — with
the repository's `slurm` profile, checks that every job went through sbatch, compares the result
with the same target run locally, and stops the daemons."""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.slurm
TARGET = "eval/qwen3-tiny/control/en.json"
# This machine's SLURM has no accounting database: no account, and job states from squeue.
NO_ACCOUNTING = ["--slurm-no-account", "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1"]


@pytest.fixture(scope="module")
def cluster(root):
    script = str(root / "tests/slurm/local_cluster.sh")
    if not shutil.which("slurmctld"):
        if os.geteuid() != 0:
            pytest.skip("SLURM is not installed and installing it needs root")
        subprocess.run([script, "install"], check=True, timeout=600)
    subprocess.run([script, "start"], check=True, timeout=120)
    yield
    subprocess.run([script, "stop"], check=False, timeout=60)


def _config(root, tmp_path, run):
    cfg = yaml.safe_load((root / "config/demo.yaml").read_text())
    cfg["run"] = run
    path = tmp_path / f"{run}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return str(path)


def test_demo_chain_runs_through_sbatch_and_matches_local(cluster, root, tmp_path, monkeypatch):
    run = "test-slurm"
    shutil.rmtree(root / "results" / run, ignore_errors=True)
    monkeypatch.setenv("MLPT_SLURM_PARTITION", "debug")
    # the chain to one evaluation, plus two more mixtures: the three build_mixture jobs (rule group
    # "mixtures") must go out as one bundled submission; --cores 2 = the width of this node
    mixtures = [f"results/{run}/mixtures/control/{m}.jsonl" for m in ("en-es", "core-minus-ja")]
    proc = run_snakemake(f"results/{run}/{TARGET}", *mixtures, "--profile", "slurm", "--cores", "2",
                         "--configfile", _config(root, tmp_path, run), *NO_ACCOUNTING, timeout=1200)
    log = proc.stdout + proc.stderr
    submitted = log.count("has been submitted with SLURM jobid")
    finished = log.count("Finished jobid")
    bundles = log.count("slurm_logs/group_mixtures")
    assert bundles == 1, log[-3000:]
    assert log.count("(Rule: build_mixture)") == 3
    assert submitted >= 15 and submitted == finished - 2, log[-3000:]  # 3 mixture jobs, 1 submission
    ctl_log = open(os.environ.get("MLPT_SLURM_STATE", "/tmp/mlpt-slurm") + "/slurmctld.log").read()
    assert ctl_log.count("Allocate JobId=") >= submitted  # the controller really scheduled them
    # the same target, run locally, gives the same numbers (e2e's run if present, else a fresh one)
    local = root / "results/test-e2e" / TARGET
    if not local.exists():
        local_run = "test-slurm-local"
        run_snakemake(f"results/{local_run}/{TARGET}", "--cores", "2", "--configfile",
                      _config(root, tmp_path, local_run))
        local = root / "results" / local_run / TARGET
    ours = json.loads((root / "results" / run / TARGET).read_text())["languages"]
    theirs = json.loads(local.read_text())["languages"]
    assert {k: v["correct"] for k, v in ours.items()} == {k: v["correct"] for k, v in theirs.items()}
