"""One writer per checkpoint folder, and a full disk that says so.

A training job resumes from the checkpoints in its folder. Two live writers of one folder (an
orphaned job still running on a node while a rerun starts) would interleave their checkpoints, and
only a deterministic recipe hides it. :func:`writer_lock` holds an exclusive lock on
``<folder>.writer.lock`` (beside the folder, which its writer may remove and recreate) for the life
of the writer and records who holds it (host, pid, start);
a second writer stops with the holder named. The lock is the operating system's (``flock``): a
writer killed with ``kill -9`` releases it, so a rerun after a crash is never blocked.

:func:`explain_disk_full` turns the errors a full disk surfaces as (``OSError`` ENOSPC, or torch's
``RuntimeError ... unexpected pos`` from its zip writer) into one message naming the folder and its
free space.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_SUFFIX = ".writer.lock"


class WriterLockHeld(RuntimeError):
    """Another live process writes the folder."""


@contextlib.contextmanager
def writer_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the writer lock of ``folder`` (the file ``<folder>.writer.lock``) while the block runs.

    Raises :class:`WriterLockHeld` naming the holder (host, pid, since when) when another live
    process holds it."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    path = folder.with_name(folder.name + LOCK_SUFFIX)
    fh = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "{}"
            try:
                who = json.loads(holder)
                named = f"host {who.get('host')}, pid {who.get('pid')}, since {who.get('since')}"
            except json.JSONDecodeError:
                named = holder[:200]
            raise WriterLockHeld(f"{folder} is being written by another live process ({named}); "
                                 "stop that job first (scancel / kill), then start this one again") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                             "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
        fh.flush()
        yield path
    finally:
        fh.close()  # releases the lock; the file stays (removing it would race a waiting writer)


def is_disk_full(err: BaseException) -> bool:
    """Whether ``err`` is how a full disk shows up while saving."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(err, RuntimeError) and "unexpected pos" in str(err)


def explain_disk_full(err: BaseException, folder: str | Path) -> RuntimeError:
    """The error to raise for a full disk while writing into ``folder``: what happened, where, and
    the free space now."""
    folder = Path(folder)
    probe = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    return RuntimeError(f"disk full while writing into {folder} ({free / 1e9:.2f} GB free on its file system now): "
                        f"{type(err).__name__}: {str(err)[:200]}. Free space (or move the run's results), then "
                        "rerun: the job resumes from its last complete checkpoint")
