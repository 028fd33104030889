"""Fault injection for tests/faults: run a piece of the pipeline in a child process and SIGKILL it
at a chosen point.

A kill is real (the child gets SIGKILL: no exception handler, ``finally`` block or atexit hook
runs), and it is placed where it hurts most: right before a file would be put in place, or in the
middle of a multi-file save. The tests then check the documented outcome (docs/reliability.md):
the retry resumes or starts over and ends with exactly what an uninterrupted run gives, and no
partial result ever looks complete.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import mlpt

SRC = Path(mlpt.__file__).resolve().parents[1]  # the child imports the same mlpt as the tests

# Python source that, pasted at the top of a child script, defines ``die_before_replacing(pattern,
# let_through=0)``: from then on the process kills itself when it is about to rename a file onto a
# path matching the regular expression ``pattern``, after ``let_through`` such renames have been
# done. The pipeline writes every result to a temporary file and renames it (mlpt.io.atomic_path),
# so this is the last moment a result is not yet in place.
DIE_BEFORE_REPLACING = textwrap.dedent("""
    import os, re, signal

    def die_before_replacing(pattern, let_through=0):
        replace, seen = os.replace, []

        def replace_or_die(src, dst, *args, **kwargs):
            if re.search(pattern, os.fspath(dst)):
                seen.append(dst)
                if len(seen) > let_through:
                    os.kill(os.getpid(), signal.SIGKILL)
            return replace(src, dst, *args, **kwargs)

        os.replace = replace_or_die
""")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this mlpt first on the path, one thread per process."""
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1", **extra)


def run_killed(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the Python source ``script`` with ``args`` in a child process that must end by SIGKILL."""
    proc = subprocess.run([sys.executable, "-c", script, *args], env=child_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == -signal.SIGKILL, (
        f"the child was to be killed, but it exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc
