"""A warm worker for script jobs that spend their first seconds importing their libraries.

On a cluster every job is its own process, and it should be: the start-up (2-5 s of imports of
torch, transformers, lm-eval, pandas, seaborn, statsmodels) is nothing beside a real model's work.
A tiny model's job on a laptop (``make demo``) is mostly that start-up, paid by every one of its
~130 jobs. Each Snakemake ``script:`` job starts with :func:`run_script` (through
``workflow/scripts/_bootstrap.py``, so no script knows of the worker), which either

* **returns** (the default, and always inside a batch scheduler's job): the script runs in its own
  process, exactly as without this module; or
* **hands the job over** (``warm_worker: true`` in the config): a process forked from a server that
  has already imported the heavy third-party libraries (:data:`PRELOAD`, never a module of this
  package, so an edited module is read afresh by every job) runs the script file Snakemake wrote,
  and the job's own process exits with its outcome.

:func:`call` is the same for one function call (``fn(**kwargs)``).

The server is this file run as a program, one per user, Python executable, checkout and
environment (the socket's name hashes them), started by the first job that needs it, behind a
lock file, so two jobs starting at once start one server. It binds its Unix socket, imports
:data:`PRELOAD` (no thread, no torch computation: it refuses to serve if a library left a second
thread running, since a forked copy of a running thread pool is unsafe), and then, per request,
forks a child. The child takes the caller's standard streams (passed over the socket as file
descriptors, so its output lands where the job's would), working directory, environment,
``sys.path``, ``sys.argv``, umask, logging format and thread count, imports the target and calls it
with the pickled keyword arguments; the return value or the formatted exception goes back to the
caller, which returns it or raises :class:`WorkerError` (the child's traceback is in the job's log).

Safety:

* nothing is ever lost to the optimisation: if the server cannot be started or reached, or does
  not answer, the caller logs one line and does the work itself. Once a child has accepted
  the request the job's outcome is the child's, as it would be the process's;
* a child dies with its caller: it watches its connection and kills its process group when the
  caller is gone (a job killed by Snakemake kills the work too); the caller returns only after the
  server has reaped the child;
* the server exits when it has been idle for ``idle_timeout`` seconds, or when every process that
  started a caller of it (Snakemake) is gone, whichever comes first, and on SIGTERM;
* the socket's folder belongs to the user and is closed to others (0700), and the server checks
  each caller's user id.

Snakemake's ``benchmark:`` files of a job run this way count the caller's process only: its wall
time is the job's, its CPU time and memory are not.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib
import logging
import os
import pickle
import runpy
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from pathlib import Path

log = logging.getLogger(__name__)

#: Third-party modules the server imports before it forks: what the script jobs import before their
#: first real step (benchmarks/job_startup.py): torch, transformers and lm-eval for the model jobs;
#: pandas, matplotlib, seaborn, scipy and statsmodels for the tables, figures and statistics;
#: Snakemake's modules that a script's preamble reads. Never a module of this package. One that is
#: missing is skipped (the child imports what it needs itself).
PRELOAD = (
    "numpy",
    "torch",
    "transformers",
    "transformers.trainer",  # Trainer: datasets, accelerate, torch.distributed
    "transformers.models.auto.modeling_auto",
    "transformers.models.auto.tokenization_auto",
    "transformers.generation.utils",
    "peft",
    "lm_eval",
    "lm_eval.evaluator",
    "lm_eval.tasks",
    "lm_eval.models.huggingface",
    "sacrebleu",
    "pandas",
    "matplotlib.pyplot",
    "seaborn",
    "scipy.stats",
    "statsmodels.api",
    "sklearn.decomposition",
    "jsonschema",
    "snakemake.iocontainers",
    "snakemake.logging",
)
#: Seconds without a request after which the server exits.
IDLE_TIMEOUT = 120.0
#: Seconds a caller waits for a server to take its request (the server's first imports included)
#: before it runs the function itself.
START_TIMEOUT = 300.0
#: Environment variables of a batch scheduler's job: inside one the worker is never used.
SCHEDULER_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID", "FLUX_JOB_ID")
#: Environment variables that may differ between a server and its callers (the rest is the key).
VOLATILE_VARIABLES = ("_", "OLDPWD", "PWD", "SHLVL")
_HEADER = struct.Struct("!Q")
#: True in a child of the worker, where :func:`call` and :func:`run_script` run their work in place.
_in_child = False


class WorkerError(RuntimeError):
    """The target failed in the warm worker's child (or the child died): ``remote_traceback`` holds
    the child's traceback, which the child also wrote to the caller's standard error."""

    def __init__(self, message: str, remote_traceback: str = ""):
        super().__init__(message)
        self.remote_traceback = remote_traceback


class _Unavailable(Exception):
    """The server could not be used: the caller runs the function itself."""


# ---- the caller ----------------------------------------------------------------------------------


def call(fn, kwargs: dict, *, enabled: bool, socket_dir: str | os.PathLike | None = None,
         idle_timeout: float = IDLE_TIMEOUT, start_timeout: float = START_TIMEOUT, preload: tuple = PRELOAD):
    """``fn(**kwargs)``: here (``enabled`` false, inside a batch scheduler's job, or already in a
    child of the worker) or in the warm worker (see the module's documentation). ``fn`` is a
    module-level function of an importable module; ``kwargs`` must pickle. Returns what ``fn``
    returns; raises :class:`WorkerError` when it raised in the worker. ``socket_dir``,
    ``idle_timeout``, ``start_timeout`` and ``preload`` are for tests: the server's folder (default
    :func:`default_dir`), its timeouts and what it imports."""
    if not enabled or _in_child:
        return fn(**kwargs)
    try:
        return _remote(target_name(fn), kwargs, socket_dir, idle_timeout, start_timeout, preload)
    except _Unavailable:
        return fn(**kwargs)


def run_script(main, *, socket_dir: str | os.PathLike | None = None, idle_timeout: float = IDLE_TIMEOUT,
               start_timeout: float = START_TIMEOUT, preload: tuple = PRELOAD) -> None:
    """Hand a Snakemake ``script:`` job over to the warm worker when its config says
    ``warm_worker: true``: ``main`` is the job's ``__main__`` module, the temporary script file
    Snakemake wrote (its preamble, which defines ``snakemake``, then the rule's script). A child of
    the worker runs that file afresh, and this process exits with the child's outcome: status 0, or
    1 with the error (the child's traceback is in the job's log). Returns, and the script goes on in
    this process, when the worker is off, cannot be used, or this is already its child. Every
    script job calls it first (``workflow/scripts/_bootstrap.py``); no script knows of it."""
    snakemake, script = getattr(main, "snakemake", None), getattr(main, "__real_file__", None)
    config = getattr(snakemake, "config", None)
    if _in_child or script is None or not isinstance(config, dict) or not config.get("warm_worker"):
        return
    try:
        _remote(target_name(_run_file), {"path": script}, socket_dir, idle_timeout, start_timeout, preload)
    except _Unavailable:
        return
    except WorkerError as exc:
        raise SystemExit(str(exc)) from None
    raise SystemExit(0)


def _run_file(path: str) -> None:
    """The worker child's side of :func:`run_script`: run the job's script file as ``__main__``."""
    global _in_child
    _in_child = True
    runpy.run_path(path, run_name="__main__")


def _remote(target: str, kwargs: dict, socket_dir, idle_timeout: float, start_timeout: float, preload: tuple):
    """``target(**kwargs)`` in a child of the worker: what it returns, or :class:`WorkerError`;
    :class:`_Unavailable` (with the reason logged) when no child has taken the request, so that the
    caller runs it itself."""
    why = _unusable()
    if why:
        log.info("warm worker off (%s): %s runs in this process", why, target)
        raise _Unavailable(why)
    try:
        request = pickle.dumps({"target": target, "kwargs": kwargs, **_caller_state()})
        conn = _connect(Path(socket_dir) if socket_dir else default_dir(), idle_timeout, start_timeout,
                        tuple(preload))
    except Exception as exc:  # any failure before a child has the request: run it here
        log.warning("warm worker unavailable (%s): %s runs in this process", _describe(exc), target)
        raise _Unavailable(_describe(exc)) from None
    with conn:
        try:
            child = _submit(conn, request, start_timeout)
        except Exception as exc:
            log.warning("warm worker did not take the job (%s): %s runs in this process", _describe(exc), target)
            raise _Unavailable(_describe(exc)) from None
        log.info("%s runs in the warm worker's process %d", target, child)
        return _outcome(conn, target, child)


def target_name(fn) -> str:
    """``"module:qualified.name"`` of a function a fresh process can import."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in name:
        raise TypeError(f"{fn!r} is not a module-level function of an importable module")
    return f"{module}:{name}"


def resolve(target: str):
    """The function ``"module:qualified.name"`` names (imported)."""
    module, _, name = target.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def default_dir() -> Path:
    """The user's folder for the server's socket, lock, pid and log files."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "mlpt-warm" if runtime else Path("/tmp") / f"mlpt-warm-{os.getuid()}"


def server_key(environ: dict | None = None, preload: tuple = PRELOAD) -> str:
    """What a server is shared by: user, Python executable, this file (checkout and content), what it
    imports and the environment (what the imports read), hashed."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    me = Path(__file__).resolve()
    for part in (str(os.getuid()), sys.executable, str(me), hashlib.sha256(me.read_bytes()).hexdigest(),
                 ",".join(preload), *sorted(f"{k}={v}" for k, v in environ.items() if k not in VOLATILE_VARIABLES)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()[:20]


def stop(socket_dir: str | os.PathLike | None = None, timeout: float = 10.0) -> list[int]:
    """Stop every server of ``socket_dir`` (SIGTERM; SIGKILL after ``timeout`` s); returns their
    process ids. Their running children finish their jobs."""
    folder = Path(socket_dir) if socket_dir else default_dir()
    pids = []
    for pid_file in folder.glob("*.pid"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    return pids


def _unusable() -> str | None:
    """Why the worker cannot be used here (or None)."""
    if not sys.platform.startswith("linux"):
        return f"needs Linux, not {sys.platform}"
    scheduler = next((v for v in SCHEDULER_VARIABLES if os.environ.get(v)), None)
    if scheduler:
        return f"inside a batch job: {scheduler} is set"
    return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _stream_fd(stream, default: int) -> int:
    """The file descriptor a Python stream writes to (``default`` when it has none)."""
    with contextlib.suppress(Exception):
        stream.flush()
    try:
        fd = stream.fileno()
        os.fstat(fd)
        return fd
    except Exception:
        return default


def _caller_state() -> dict:
    """What the child takes over from the caller besides its standard streams."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, logging.StreamHandler)), None)
    formatter = handler.formatter if handler else None
    umask = os.umask(0)
    os.umask(umask)
    return {
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "path": list(sys.path),
        "argv": list(sys.argv),
        "umask": umask,
        "logging": None if handler is None else {
            "level": root.level,
            "format": formatter._fmt if formatter else None,
            "datefmt": formatter.datefmt if formatter else None,
            "capture_warnings": logging._warnings_showwarning is not None,  # type: ignore[attr-defined]
        },
    }


def _connect(folder: Path, idle_timeout: float, start_timeout: float, preload: tuple) -> socket.socket:
    """A connection to this environment's server, started if none runs."""
    _private_dir(folder)
    key = server_key(preload=preload)
    path = folder / f"{key}.sock"
    with contextlib.suppress(OSError):
        return _open(path)
    with _locked(folder / f"{key}.lock", start_timeout):
        with contextlib.suppress(OSError):
            return _open(path)  # another caller started it while this one waited for the lock
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead server's socket
        server = _spawn(path, folder / f"{key}.log", idle_timeout, preload)
        deadline = time.monotonic() + min(start_timeout, 60.0)
        while True:
            try:
                return _open(path)
            except OSError:
                if server.poll() is not None:
                    raise _Unavailable(f"the server exited ({server.returncode}); see {folder / (key + '.log')}")
                if time.monotonic() > deadline:
                    raise _Unavailable("the server did not open its socket in time")
                time.sleep(0.02)


def _private_dir(folder: Path) -> None:
    """Create ``folder`` (0700) or check that it is this user's and closed to others."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise _Unavailable(f"{folder} is not a private folder of this user (mode {st.st_mode & 0o777:o})")


def _open(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def _locked(path: Path, timeout: float):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _Unavailable("timed out waiting for the lock of a starting server") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)


def _spawn(path: Path, log_file: Path, idle_timeout: float, preload: tuple) -> subprocess.Popen:
    """Start the server (this file, not the package: the server holds no module of it) in a session
    of its own, so that signals to the job's process group do not reach it."""
    code = "import runpy, sys; del sys.path[0]; runpy.run_path(sys.argv[1], run_name='__mlpt_warm_server__')"
    with open(log_file, "w", encoding="utf-8") as out:
        return subprocess.Popen(
            [sys.executable, "-c", code, str(Path(__file__).resolve()), str(path), str(idle_timeout), *preload],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            close_fds=True, env=dict(os.environ),
        )


def _submit(conn: socket.socket, request: bytes, timeout: float) -> int:
    """Send the standard streams and the request; the child's process id once it has them."""
    fds = [_stream_fd(sys.stdin, 0), _stream_fd(sys.stdout, 1), _stream_fd(sys.stderr, 2)]
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    conn.settimeout(timeout)
    socket.send_fds(conn, [b"F"], fds)
    _send(conn, request)
    message = _recv(conn)
    if message is None or "started" not in message:
        raise _Unavailable("the server closed the connection")
    conn.settimeout(None)
    return message["started"]


def _outcome(conn: socket.socket, target: str, child: int):
    """Wait for the child's result and the server's word that it has exited; return or raise."""
    result, status = None, None
    while True:
        try:
            message = _recv(conn)
        except OSError:
            message = None
        if message is None:
            break
        if "result" in message:
            result = message["result"]
            conn.settimeout(60.0)  # the child exits now; the server reaps it and says so
        elif "exit" in message:
            status = message["exit"]
            break
    if result is None:
        how = (f"killed by signal {-status}" if status < 0 else f"exit status {status}") if status is not None \
            else "no word from the server"
        raise WorkerError(f"{target} ended in the warm worker's process {child} without a result ({how}); "
                          "see this job's log")
    if result["ok"]:
        return pickle.loads(result["value"])
    raise WorkerError(f"{target} failed in the warm worker's process {child}: {result['error']} "
                      "(its traceback is above in this job's log)", result["traceback"])


def _send(conn: socket.socket, message) -> None:
    data = message if isinstance(message, bytes) else pickle.dumps(message)
    conn.sendall(_HEADER.pack(len(data)) + data)


def _recv_exactly(conn: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = conn.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(conn: socket.socket):
    header = _recv_exactly(conn, _HEADER.size)
    if header is None:
        return None
    data = _recv_exactly(conn, _HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie is gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _parent_of(pid: int) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


# ---- the server ----------------------------------------------------------------------------------


class _Server:
    def __init__(self, path: Path, idle_timeout: float):
        self.path, self.idle_timeout = path, idle_timeout
        self.children: dict[int, socket.socket] = {}
        self.callers_parents: set[int] = set()
        self.stopping = False
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))  # before the imports: the starting caller connects at once
        self.listener.listen(64)
        self.inode = os.stat(path).st_ino
        self.pid_file = path.with_suffix(".pid")
        self.pid_file.write_text(f"{os.getpid()}\n")

    def preload(self, modules: list[str]) -> None:
        # pyarrow's jemalloc starts a background thread unless told not to (a forked copy of it is
        # not safe); the child gets the caller's environment back.
        os.environ.setdefault("JE_ARROW_MALLOC_CONF", "background_thread:false")
        start = time.monotonic()
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as exc:  # the child imports what it needs
                print(f"preload {name}: {_describe(exc)}", flush=True)
        threads = sorted(os.listdir("/proc/self/task"))
        print(f"server {os.getpid()}: {len(sys.modules)} modules imported in {time.monotonic() - start:.1f} s; "
              f"{len(threads)} thread(s)", flush=True)
        if len(threads) != 1:
            names = [Path(f"/proc/self/task/{t}/comm").read_text().strip() for t in threads]
            raise _Unavailable(f"the imports left threads running ({names}): forking is not safe")

    def serve(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        self.wake = (wake_r, wake_w)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        last = time.monotonic()
        while not self.stopping:
            self._reap()
            if self.children:
                last = time.monotonic()
            elif time.monotonic() - last > self.idle_timeout:
                print("idle: exiting", flush=True)
                break
            elif self.callers_parents and not any(_alive(p) for p in self.callers_parents):
                print("every caller's parent has exited: exiting", flush=True)
                break
            with contextlib.suppress(InterruptedError):
                ready, _, _ = select.select([self.listener, wake_r], [], [], 1.0)
                if wake_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_r, 4096)
                if self.listener in ready:
                    self._accept()
                    last = time.monotonic()

    def _stop(self, *_):
        self.stopping = True

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = self.children.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.settimeout(1.0)
                    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                conn.close()

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                             struct.calcsize("3i")))
        if uid != os.getuid():
            conn.close()
            return
        parent = _parent_of(pid)
        if parent:
            self.callers_parents.add(parent)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        child = os.fork()
        if child == 0:
            try:
                self._child(conn)
            finally:
                os._exit(70)
        self.children[child] = conn

    def _child(self, conn: socket.socket) -> None:
        os.setpgid(0, 0)  # its own group: the watchdog kills it and whatever it starts
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.listener.close()
        for fd in self.wake:
            os.close(fd)
        for other in self.children.values():
            other.close()
        conn.settimeout(30.0)
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        request = _recv(conn)
        if request is None or len(fds) != 3:
            os._exit(71)
        conn.settimeout(None)
        _take_over(fds, request)
        try:
            _send(conn, {"started": os.getpid()})
        except OSError:
            os._exit(72)  # the caller is gone
        _watch(conn)
        target = request["target"]
        try:
            try:
                value = resolve(target)(**request["kwargs"])
            except SystemExit as exc:  # as a process would: exit status 0 (or None) is success
                if exc.code not in (0, None):
                    raise
                value = None
            result = {"ok": True, "value": pickle.dumps(value)}
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            tb = traceback.format_exc()
            sys.stderr.write(f"{target} failed in the warm worker's process {os.getpid()}:\n{tb}")
            result = {"ok": False, "error": _describe(exc), "traceback": tb}
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        with contextlib.suppress(OSError):
            _send(conn, {"result": result})
        os._exit(0 if result["ok"] else 1)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self.inode:
                self.path.unlink()
        with contextlib.suppress(OSError, ValueError):
            if int(self.pid_file.read_text()) == os.getpid():
                self.pid_file.unlink()
        self.listener.close()


def _take_over(fds: list[int], request: dict) -> None:
    """Make this (forked) process the caller's: streams, directory, environment, import path,
    arguments, umask, logging and thread count."""
    for target_fd, fd in enumerate(fds):
        os.dup2(fd, target_fd)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["environ"])
    os.umask(request["umask"])
    sys.path[:] = request["path"]
    sys.argv[:] = request["argv"]
    importlib.invalidate_caches()
    settings = request["logging"]
    if settings:
        logging.basicConfig(level=settings["level"], stream=sys.stderr, format=settings["format"],
                            datefmt=settings["datefmt"], force=True)
        logging.captureWarnings(settings["capture_warnings"])
    threads = os.environ.get("OMP_NUM_THREADS", "")
    torch = sys.modules.get("torch")
    if torch is not None and threads.isdigit() and int(threads) > 0:
        torch.set_num_threads(int(threads))


def _watch(conn: socket.socket) -> None:
    """A thread that kills this process group when the caller's end of ``conn`` closes."""
    import threading

    def watchdog():
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        os.killpg(os.getpgid(0), signal.SIGKILL)

    threading.Thread(target=watchdog, name="mlpt-warm-watchdog", daemon=True).start()


def _main(argv: list[str]) -> int:
    path, idle_timeout, preload = Path(argv[0]), float(argv[1]), argv[2:]
    try:
        server = _Server(path, idle_timeout)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"{path} is in use: another server runs", flush=True)
            return 0
        raise
    try:
        server.preload(preload)
        server.serve()
    except _Unavailable as exc:
        print(f"not serving: {exc}", flush=True)
        return 1
    finally:
        server.close()
    return 0


if __name__ == "__mlpt_warm_server__":
    sys.exit(_main(sys.argv[2:]))
