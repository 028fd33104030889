"""The workflow through `--profile slurm` on a real single-node SLURM cluster started on this machine.

Installs Debian's slurm-wlm and munge when missing (root only; skipped with the reason otherwise),
starts a private munged/slurmctld/slurmd (tests/slurm/local_cluster.sh; skipped with its reason where
the machine has a SLURM of its own), runs one chain of the demo — prepare → tokenizer/models →
translate → mixture → sft → evaluate for the positive control — with the repository's `slurm` profile,
checks that every job went through sbatch and that the controller ran each of them to completion,
compares the result with the same target run locally, and stops the daemons, checking that the
machine is left as it was found."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.slurm
TARGET = "eval/qwen3-tiny/control/en.json"
# This machine's SLURM has no accounting database: no account, and job states from squeue.
NO_ACCOUNTING = ["--slurm-no-account", "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1"]
STATE = Path(os.environ.get("MLPT_SLURM_STATE", "/tmp/mlpt-slurm"))  # local_cluster.sh's state directory
REFUSED = 3  # local_cluster.sh's exit status when a SLURM it did not start is configured or running
DAEMONS = ("munged", "slurmctld", "slurmd", "slurmstepd")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


def _daemon_pids() -> set[int]:
    """Pids of the running (not zombie) SLURM and munge daemons on this machine, found by name."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            zombie = (proc / "stat").read_text().rpartition(")")[2].split()[0] == "Z"
        except (OSError, ValueError, IndexError):
            continue  # not a process, or it just ended
        if comm.removesuffix("-wlm") in DAEMONS and not zombie:
            pids.add(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def cluster(root):
    """A running local SLURM for this module; yields the path of its slurm.conf (for SLURM_CONF)."""
    script = str(root / "tests/slurm/local_cluster.sh")
    if not shutil.which("slurmctld"):
        if os.geteuid() != 0:
            pytest.skip("SLURM is not installed and installing it needs root")
        subprocess.run([script, "install"], check=True, timeout=600)
    system_conf_before = SYSTEM_CONF.exists()
    daemons_before = _daemon_pids()
    start = subprocess.run([script, "start"], capture_output=True, text=True, timeout=180)
    if start.returncode == REFUSED:
        pytest.skip(start.stderr.strip())
    assert start.returncode == 0, f"local_cluster.sh start failed:\n{start.stdout}\n{start.stderr}"
    ours = {int((STATE / f"{d}.pid").read_text()) for d in ("munged", "slurmctld", "slurmd")}
    try:
        yield STATE / "slurm.conf"
    finally:
        stop = subprocess.run([script, "stop"], capture_output=True, text=True, timeout=120)
    # the machine as it was found: no daemon of ours left, no configuration or state left behind
    assert stop.returncode == 0, f"local_cluster.sh stop failed:\n{stop.stdout}\n{stop.stderr}"
    assert not (ours & _daemon_pids()), "a daemon started by local_cluster.sh is still running"
    assert _daemon_pids() <= daemons_before, "a SLURM or munge daemon started during the test is still running"
    assert SYSTEM_CONF.exists() == system_conf_before
    assert not STATE.exists()


def _config(root, tmp_path, run):
    cfg = yaml.safe_load((root / "config/demo.yaml").read_text())
    cfg["run"] = run
    path = tmp_path / f"{run}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return str(path)


def _job_state(jobid: str) -> tuple[str, str]:
    """(JobState, ExitCode) of a SLURM job, as the controller knows it (MinJobAge keeps ended jobs)."""
    out = subprocess.run(["scontrol", "show", "job", jobid, "-o"], capture_output=True, text=True,
                         timeout=30).stdout
    state = re.search(r"\bJobState=(\S+)", out)
    code = re.search(r"\bExitCode=(\S+)", out)
    return (state.group(1) if state else f"unknown to the controller: {out.strip()}",
            code.group(1) if code else "")


def test_demo_chain_runs_through_sbatch_and_matches_local(cluster, root, tmp_path, monkeypatch):
    run = "test-slurm"
    shutil.rmtree(root / "results" / run, ignore_errors=True)
    monkeypatch.setenv("MLPT_SLURM_PARTITION", "debug")
    # our cluster's configuration, for snakemake's sbatch/squeue/scontrol calls and for the jobs (sbatch
    # passes the environment on); run_snakemake's subprocess inherits os.environ, and so do ours here.
    # Inside a job, the slurm-jobstep executor drops SLURM_CONF before calling srun: the state
    # directory's bin/srun puts it back.
    monkeypatch.setenv("SLURM_CONF", str(cluster))
    monkeypatch.setenv("PATH", f"{cluster.parent / 'bin'}{os.pathsep}{os.environ['PATH']}")
    # the chain to one evaluation, plus two more mixtures: the three build_mixture jobs (rule group
    # "mixtures") must go out as one bundled submission; --cores 2 = the width of this node
    mixtures = [f"results/{run}/mixtures/control/{m}.jsonl" for m in ("en-es", "core-minus-ja")]
    proc = run_snakemake(f"results/{run}/{TARGET}", *mixtures, "--profile", "slurm", "--cores", "2",
                         "--configfile", _config(root, tmp_path, run), *NO_ACCOUNTING, timeout=1200)
    log = proc.stdout + proc.stderr
    jobids = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    finished = log.count("Finished jobid")
    bundles = log.count("slurm_logs/group_mixtures")
    assert bundles == 1, log[-3000:]
    assert log.count("(Rule: build_mixture)") == 3
    assert len(jobids) == len(set(jobids)), log[-3000:]
    # local rules (prepare_data, download_model) run where Snakemake runs, never through sbatch
    local_jobs = re.findall(r"^localrule (\w+):", log, flags=re.MULTILINE)
    assert set(local_jobs) <= {"prepare_data", "download_model"}, local_jobs
    # every other job was submitted, the 3 mixture jobs as 1 bundle
    assert len(jobids) >= 15 and len(jobids) == finished - len(local_jobs) - 2, log[-3000:]
    # the controller ran every submitted job to completion, with exit code 0
    states = {jobid: _job_state(jobid) for jobid in jobids}
    assert all(s == ("COMPLETED", "0:0") for s in states.values()), states
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


def test_a_request_over_the_nodes_cpus_is_reported_before_submission(cluster, root, monkeypatch):
    """sinfo of the real controller gives the node's CPUs; a demo config asking for more per SFT job
    is named (it would otherwise be submitted and never start)."""
    from mlpt import config as study_config
    from mlpt import site_limits

    monkeypatch.setenv("SLURM_CONF", str(cluster))
    limits = site_limits.probe()
    assert limits and limits["default"]["max_cpus"] >= 1
    cfg = study_config.load(root / "config/demo.yaml")
    assert site_limits.violations(cfg, limits, {}) == []  # the demo fits this node
    cfg["cluster"]["sft"][0]["cpus"] = limits["default"]["max_cpus"] + 1
    problems = site_limits.violations(cfg, limits, {})
    assert problems and all(p.startswith("sft of ") and "CPUs; the default partition allows" in p for p in problems)
