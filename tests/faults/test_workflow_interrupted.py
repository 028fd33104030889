"""Interruptions under Snakemake: Snakemake killed, Ctrl-C, and a job killed while Snakemake runs on.

A small chain of the demo config (prepare_data for every task, build_mt_model, translate of the
control task into Spanish; seconds) runs in a working directory of its own, so its lock and its
``--unlock`` never touch another run's. The translate job is paused right after its first output
is in place, the fault is injected, and the recovery of docs/reliability.md must end with exactly
the files of an uninterrupted run:

- Snakemake killed (SIGKILL: a lost login session, the OOM killer, a node failure): the job
  outlives it (on a cluster: it stays in the queue) and must be ended first; the same command
  then refuses, naming the incomplete output and ``--rerun-incomplete``; with that flag it refuses
  while the directory is locked, naming ``--unlock``; ``--unlock``, then the command with
  ``--rerun-incomplete``, finishes the chain.
- Ctrl-C (SIGINT to Snakemake and its jobs): Snakemake stops and unlocks, but the job's output is
  left marked incomplete: the same command refuses; with ``--rerun-incomplete`` it finishes.
- The job killed (SIGKILL: out of memory, a time limit, preemption) while Snakemake runs on:
  Snakemake removes the job's outputs and stops, unlocked; the same command finishes the chain.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_snakemake
from inject import child_env

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
RUN = "test-faults"
TARGET = f"results/{RUN}/translated/control/es.jsonl"  # the translate job writes it, then es.qc.json
PAUSE_AFTER = r"/translated/control/es\.jsonl$"  # the translate job pauses once its first output is in place

# sitecustomize.py for the run under test: a job (not Snakemake) that puts a file matching
# MLPT_FAULT_PAUSE_AFTER in place writes its pid to MLPT_FAULT_PAUSED and then waits forever.
PAUSE_HOOK = '''
import os, re, sys

pattern = os.environ.get("MLPT_FAULT_PAUSE_AFTER")
if pattern and "/.snakemake/scripts/" in sys.argv[0]:
    import time

    replace = os.replace

    def replace_then_pause(src, dst, *args, **kwargs):
        replace(src, dst, *args, **kwargs)
        if re.search(pattern, os.fspath(dst)):
            paused = os.environ["MLPT_FAULT_PAUSED"]
            with open(paused + ".tmp", "w") as fh:
                fh.write(str(os.getpid()))
            replace(paused + ".tmp", paused)
            time.sleep(3600)

    os.replace = replace_then_pause
'''


def workdir(path: Path) -> list[str]:
    """A working directory for the demo config under run name RUN; returns the snakemake arguments."""
    path.mkdir()
    (path / "resources").symlink_to(ROOT / "resources")  # config.resources_dir is relative to the working dir
    cfg = yaml.safe_load((ROOT / "config/demo.yaml").read_text())
    # every job its own interpreter, as on a cluster: the pause hook patches a job's interpreter as
    # it starts, which a job forked from the warm worker (mlpt.warm, tests/unit/test_warm.py) is not
    cfg["warm_worker"] = False
    (path / "config.yaml").write_text(yaml.safe_dump({**cfg, "run": RUN}, sort_keys=False))
    return ["-s", str(ROOT / "Snakefile"), "-d", str(path), "--configfile", str(path / "config.yaml"), "--cores", "1",
            TARGET]


def results(path: Path) -> dict[str, bytes]:
    """Every file of the run but logs and benchmarks (they hold times), by path."""
    files = (path / "results" / RUN).rglob("*")
    return {str(f.relative_to(path)): f.read_bytes() for f in files
            if f.is_file() and f.relative_to(path / "results" / RUN).parts[0] not in ("logs", "benchmarks")}


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, killed but not yet reaped, does not count; Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def paused_run(args: list[str], tmp_path: Path):
    """Start snakemake with the pause hook; yield it and the pid of the translate job once that has
    paused. Whatever is left of both is killed on the way out."""
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(PAUSE_HOOK)
    paused = tmp_path / "paused"
    env = child_env(MLPT_FAULT_PAUSE_AFTER=PAUSE_AFTER, MLPT_FAULT_PAUSED=str(paused))
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "hook"), env["PYTHONPATH"]])
    with open(tmp_path / "snakemake.out", "w") as out:
        # its own process group (what a terminal's Ctrl-C reaches), with the default SIGINT handling even
        # when the tests run in the background of a shell, which ignores SIGINT for its children
        proc = subprocess.Popen([sys.executable, "-m", "snakemake", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    job = None
    try:
        deadline = time.monotonic() + 600
        while not paused.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the job never paused:\n{(tmp_path / 'snakemake.out').read_text()[-3000:]}")
            time.sleep(0.2)
        job = int(paused.read_text())
        yield proc, job
    finally:  # a failed test leaves no process behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the jobs it started (one process group)
        if job is not None and running(job):
            os.kill(job, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, bytes]:
    path = tmp_path_factory.mktemp("workflow") / "uninterrupted"
    run_snakemake(*workdir(path))
    return results(path)


def test_snakemake_killed_mid_run_recovers_with_unlock_and_rerun_incomplete(uninterrupted, tmp_path):
    args = workdir(tmp_path / "killed")
    with paused_run(args, tmp_path) as (snakemake, job):
        snakemake.send_signal(signal.SIGKILL)
        snakemake.wait()
        killed = tmp_path / "killed" / "results" / RUN / "translated/control"
        assert (killed / "es.jsonl").exists() and not (killed / "es.qc.json").exists()

        # 1. the orphaned job is still running and could still write: end it before anything else
        assert running(job)
        os.kill(job, signal.SIGKILL)
        while running(job):
            time.sleep(0.1)

    # 2. the same command refuses: an output of the killed job is incomplete
    refused = run_snakemake(*args, check=False)
    assert refused.returncode != 0
    assert "IncompleteFilesException" in refused.stderr and "--rerun-incomplete" in refused.stderr
    assert f"results/{RUN}/translated/control/es.jsonl" in refused.stderr

    # 3. with --rerun-incomplete it refuses while the killed run's lock is there
    locked = run_snakemake(*args, "--rerun-incomplete", check=False)
    assert locked.returncode != 0
    assert "Directory cannot be locked" in locked.stderr and "--unlock" in locked.stderr

    # 4. unlock, rerun the incomplete job: the same files as a run that was never interrupted
    run_snakemake(*args, "--unlock")
    rerun = run_snakemake(*args, "--rerun-incomplete")
    assert "1 of 1 steps (100%) done" in rerun.stderr  # only the killed job ran again
    assert results(tmp_path / "killed") == uninterrupted


def test_ctrl_c_leaves_the_output_incomplete_and_rerun_incomplete_finishes(uninterrupted, tmp_path):
    args = workdir(tmp_path / "interrupted")
    with paused_run(args, tmp_path) as (snakemake, job):
        os.killpg(snakemake.pid, signal.SIGINT)  # a terminal's Ctrl-C: Snakemake and its jobs
        assert snakemake.wait(timeout=300) != 0
        assert not running(job)
    assert not any((tmp_path / "interrupted" / ".snakemake" / "locks").glob("*"))

    refused = run_snakemake(*args, check=False)
    assert refused.returncode != 0 and "IncompleteFilesException" in refused.stderr
    run_snakemake(*args, "--rerun-incomplete")
    assert results(tmp_path / "interrupted") == uninterrupted


def test_a_job_killed_under_snakemake_is_cleaned_up_and_the_same_command_reruns_it(uninterrupted, tmp_path):
    args = workdir(tmp_path / "killed")
    with paused_run(args, tmp_path) as (snakemake, job):
        os.kill(job, signal.SIGKILL)
        assert snakemake.wait(timeout=300) != 0
    log = (tmp_path / "snakemake.out").read_text()
    assert "Removing output files of failed job translate" in log
    assert not (tmp_path / "killed" / "results" / RUN / "translated/control/es.jsonl").exists()
    assert not any((tmp_path / "killed" / ".snakemake" / "locks").glob("*"))

    rerun = run_snakemake(*args)
    assert "1 of 1 steps (100%) done" in rerun.stderr
    assert results(tmp_path / "killed") == uninterrupted
