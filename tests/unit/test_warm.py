"""mlpt.warm: a function run through the warm worker gives what a call in the process gives, its
failures reach the caller, a killed caller takes its work with it, and whatever goes wrong with the
server, the job still runs. Every test has its own socket folder, stops the servers it started and
checks that none is left."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import warm_targets

from mlpt import warm

HERE = Path(__file__).resolve().parent


def _servers(folder: Path) -> set[int]:
    """Process ids of every server that wrote to ``folder`` (their logs' first line)."""
    pids = set()
    for log_file in folder.glob("*.log"):
        for line in log_file.read_text().splitlines():
            if line.startswith("server "):
                pids.add(int(line.split()[1].rstrip(":")))
    for pid_file in folder.glob("*.pid"):
        pids.add(int(pid_file.read_text()))
    return pids


def _wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def folder():
    """A short private socket folder (AF_UNIX paths are limited to 107 bytes); on teardown every
    server started in it is stopped, and none may be left."""
    path = Path(tempfile.mkdtemp(prefix="mlpt-warm-", dir="/tmp"))
    yield path
    warm.stop(path)
    servers = _servers(path)
    shutil.rmtree(path, ignore_errors=True)
    assert _wait_until(lambda: not any(warm._alive(pid) for pid in servers), 10), \
        f"servers left running: {[pid for pid in servers if warm._alive(pid)]}"


def _run(fn, kwargs: dict, folder: Path, **options):
    options = {"idle_timeout": 30.0, "start_timeout": 60.0, "preload": (), **options}
    return warm.call(fn, kwargs, enabled=True, socket_dir=folder, **options)


def test_disabled_runs_in_this_process(folder):
    assert warm.call(warm_targets.describe, {"a": 1}, enabled=False)["pid"] == os.getpid()
    assert not list(folder.iterdir())


def test_enabled_gives_the_same_result_from_a_forked_child(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WARM_TEST_MARK", "marked")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "job.log"
    with open(out, "a", buffering=1, encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stdout", stream)
        here = warm.call(warm_targets.describe, {"a": 2, "b": 3}, enabled=False)
        there = _run(warm_targets.describe, {"a": 2, "b": 3}, folder)
        again = _run(warm_targets.describe, {"a": 2, "b": 3}, folder)
    assert there["pid"] != os.getpid() and again["pid"] not in (there["pid"], os.getpid())
    # torch's thread count is compared in its own test: whether this process has imported torch
    # depends on which tests ran before, the test server's children never have
    differ = ("pid", "torch_threads")
    assert {k: v for k, v in there.items() if k not in differ} == {k: v for k, v in here.items() if k not in differ}
    assert there["sum"] == 5 and there["mark"] == "marked" and there["cwd"] == str(tmp_path)
    # what the child printed is in the caller's stdout file, after the caller's own lines
    text = out.read_text()
    assert f"printed by {os.getpid()}" in text and f"printed by {there['pid']}" in text
    assert text.index(f"printed by {there['pid']}") < text.index(f"printed by {again['pid']}")
    assert len(_servers(folder)) == 1  # the second call reused the server


def test_the_server_holds_no_module_of_the_package(folder):
    """The child imports the package afresh, so an edited module is always read."""
    assert _run(warm_targets.package_loaded, {}, folder) is False
    assert warm.call(warm_targets.package_loaded, {}, enabled=False) is True


def test_a_failure_names_the_target_and_its_traceback_reaches_the_log(folder, tmp_path, monkeypatch):
    err = tmp_path / "job.log"
    with open(err, "a", buffering=1, encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        with pytest.raises(warm.WorkerError, match=r"warm_targets:fail failed .*ValueError: no such item") as info:
            _run(warm_targets.fail, {"message": "no such item"}, folder)
    assert "raise ValueError(message)" in info.value.remote_traceback
    assert "raise ValueError(message)" in err.read_text()


def test_a_child_killed_by_a_signal_is_an_error(folder):
    with pytest.raises(warm.WorkerError, match=r"warm_targets:die ended .* without a result \(killed by signal 9\)"):
        _run(warm_targets.die, {}, folder)


def test_sys_exit_zero_is_success(folder):
    assert _run(warm_targets.exit_zero, {}, folder) is None


def test_a_killed_caller_kills_its_child_and_what_it_started(folder, tmp_path):
    pid_file = tmp_path / "pids"
    code = (f"import sys; sys.path[:0] = {sys.path!r}; from mlpt import warm; import warm_targets; "
            f"warm.call(warm_targets.hang, {{'pid_file': {str(pid_file)!r}}}, enabled=True, "
            f"socket_dir={str(folder)!r}, preload=(), start_timeout=60)")
    caller = subprocess.Popen([sys.executable, "-c", code])
    try:
        assert _wait_until(pid_file.exists, 60), "the target never started"
        child, grandchild = map(int, pid_file.read_text().split())
        assert child != caller.pid and warm._alive(child) and warm._alive(grandchild)
    finally:
        caller.kill()
        caller.wait()
    assert _wait_until(lambda: not warm._alive(child) and not warm._alive(grandchild), 20)


def test_concurrent_first_calls_start_one_server(folder):
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda a: _run(warm_targets.describe, {"a": a}, folder), range(3)))
    assert [r["sum"] for r in results] == [1, 2, 3]
    assert len({r["pid"] for r in results} | {os.getpid()}) == 4
    assert len(_servers(folder)) == 1


def test_falls_back_when_the_folder_is_not_private(folder, caplog):
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="mlpt.warm"):
        assert _run(warm_targets.describe, {"a": 1}, folder)["pid"] == os.getpid()
    assert "warm worker unavailable" in caplog.text and "not a private folder" in caplog.text


def test_falls_back_when_the_server_refuses_to_fork(folder, caplog, monkeypatch):
    """A preloaded module that leaves a thread running makes forking unsafe: the server stops, the
    job runs in its own process."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    with caplog.at_level(logging.WARNING, logger="mlpt.warm"):
        result = _run(warm_targets.describe, {"a": 1}, folder, preload=("warm_thread_starter",))
    assert result["pid"] == os.getpid()
    # (the server may be gone before the caller connects, or after it sent its request)
    assert "warm worker unavailable" in caplog.text or "warm worker did not take the job" in caplog.text
    assert "not serving: the imports left threads running" in "".join(p.read_text() for p in folder.glob("*.log"))


def test_off_inside_a_batch_job(folder, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "123")
    assert _run(warm_targets.describe, {"a": 1}, folder)["pid"] == os.getpid()
    assert not list(folder.iterdir())


def test_the_server_exits_when_idle(folder):
    _run(warm_targets.describe, {"a": 1}, folder, idle_timeout=0.5)
    (server,) = _servers(folder)
    assert _wait_until(lambda: not warm._alive(server), 20)
    assert not list(folder.glob("*.sock")) and not list(folder.glob("*.pid"))


def test_the_server_exits_when_its_callers_parent_has_exited(folder):
    """Snakemake gone: the server does not wait for its idle timeout."""
    code = (f"import sys; sys.path[:0] = {sys.path!r}; from mlpt import warm; import warm_targets; "
            f"warm.call(warm_targets.describe, {{'a': 1}}, enabled=True, socket_dir={str(folder)!r}, "
            f"preload=(), idle_timeout=600)")
    # the caller's parent is the shell ('; true' keeps it from exec'ing Python), gone once it returns
    subprocess.run(["sh", "-c", f"{sys.executable} -c \"$0\"; true", code], check=True)
    (server,) = _servers(folder)
    assert _wait_until(lambda: not warm._alive(server), 20)


def test_torch_in_the_child_computes_as_the_job_would(folder, monkeypatch):
    """torch imported by the server (no thread pool yet) computes in the child what this process
    computes, on the job's one thread (Snakemake's OMP_NUM_THREADS for a one-thread job)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    there = _run(warm_targets.torch_threads, {}, folder, preload=("torch",))
    here = warm_targets.torch_threads()
    assert there["pid"] != here["pid"]
    assert {k: there[k] for k in ("threads", "trace")} == {"threads": 1, "trace": here["trace"]}


def test_a_server_whose_torch_started_a_thread_pool_refuses(folder, monkeypatch):
    """With OMP_NUM_THREADS=2 importing torch starts a second thread: a forked copy of it is not
    safe, so that server refuses and the job runs in its own process (a several-thread job has its
    own environment, so its own server)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert _run(warm_targets.torch_threads, {}, folder, preload=("torch",))["pid"] == os.getpid()
    assert "not serving: the imports left threads running" in "".join(p.read_text() for p in folder.glob("*.log"))


def test_the_server_key_follows_the_environment_and_the_imports():
    key = warm.server_key({"OMP_NUM_THREADS": "1", "PWD": "/a"})
    assert key == warm.server_key({"OMP_NUM_THREADS": "1", "PWD": "/b"})  # volatile
    assert key != warm.server_key({"OMP_NUM_THREADS": "2", "PWD": "/a"})
    assert key != warm.server_key({"OMP_NUM_THREADS": "1"}, preload=("torch",))


def test_a_function_a_child_cannot_import_is_refused():
    with pytest.raises(TypeError, match="not a module-level function"):
        warm.call(lambda: None, {}, enabled=True)


def _job_script(tmp_path: Path, folder: Path, body: str, warm_worker: bool = True) -> Path:
    """A file shaped like the script Snakemake writes for a ``script:`` job: a preamble that defines
    ``snakemake`` (here only its config) and ``__real_file__``, then the script, which starts as
    every workflow script does (``_bootstrap``: :func:`warm.run_script`) and appends its process
    id to ``ran``."""
    script = tmp_path / "job.py"
    script.write_text(
        f"import sys, types; sys.path[:0] = {sys.path!r}\n"
        f"snakemake = types.SimpleNamespace(config={{'warm_worker': {warm_worker!r}}})\n"
        "__real_file__ = __file__\n"
        "from mlpt import warm\n"
        f"warm.run_script(sys.modules['__main__'], socket_dir={str(folder)!r}, preload=(), start_timeout=60)\n"
        "import os\n"
        f"with open({str(tmp_path / 'ran')!r}, 'a') as fh: fh.write(f'{{os.getpid()}}\\n')\n"
        f"{body}\n")
    return script


def _run_job(script: Path, **env) -> tuple[subprocess.CompletedProcess, list[int]]:
    """Run the job; its outcome (``pid``: the job's process id) and the process ids its body ran in."""
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **env}, cwd=script.parent) as proc:
        out, err = proc.communicate(timeout=120)
    job = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    job.pid = proc.pid
    ran = script.parent / "ran"
    return job, [int(line) for line in ran.read_text().split()] if ran.exists() else []


def test_a_script_job_runs_once_in_a_child_and_exits_with_its_success(folder, tmp_path):
    job, ran = _run_job(_job_script(tmp_path, folder, "print('script output')"))
    assert job.returncode == 0, job.stderr
    # the script's body ran once, in a child of the worker, not in the job's process
    assert len(ran) == 1 and ran[0] != job.pid and ran[0] not in _servers(folder)
    assert "script output" in job.stdout and len(_servers(folder)) == 1


def test_a_failing_script_job_exits_nonzero_with_the_error(folder, tmp_path):
    job, ran = _run_job(_job_script(tmp_path, folder, "raise ValueError('bad record in x.jsonl line 3')"))
    assert job.returncode == 1 and len(ran) == 1
    assert "ValueError: bad record in x.jsonl line 3" in job.stderr  # the message and the child's traceback
    assert "raise ValueError" in job.stderr


def test_a_script_job_runs_in_its_own_process_when_the_worker_is_off(folder, tmp_path):
    job, ran = _run_job(_job_script(tmp_path, folder, "", warm_worker=False))
    assert job.returncode == 0 and ran == [job.pid] and not _servers(folder)
    job, ran = _run_job(_job_script(tmp_path, folder, ""), SLURM_JOB_ID="7")
    assert job.returncode == 0 and ran[1:] == [job.pid] and not _servers(folder)


def test_a_script_job_runs_in_its_own_process_when_the_worker_is_unavailable(folder, tmp_path):
    folder.chmod(0o755)
    job, ran = _run_job(_job_script(tmp_path, folder, ""))
    assert job.returncode == 0 and ran == [job.pid], job.stderr
    assert "warm worker unavailable" in job.stderr and "not a private folder" in job.stderr
