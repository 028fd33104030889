"""Functions tests/unit/test_warm.py runs through mlpt.warm (importable by the worker's children:
they take the test process's sys.path)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time


def describe(a: int, b: int = 1) -> dict:
    """What the process that runs it looks like; prints and logs a line."""
    print(f"printed by {os.getpid()}")
    logging.getLogger("warm_targets").info("logged by %d", os.getpid())
    torch = sys.modules.get("torch")
    return {"sum": a + b, "pid": os.getpid(), "cwd": os.getcwd(), "mark": os.environ.get("WARM_TEST_MARK"),
            "argv": list(sys.argv), "path": list(sys.path), "umask": _umask(),
            "torch_threads": torch.get_num_threads() if torch else None}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def torch_threads() -> dict:
    """The thread count torch uses, and a matrix product computed with it."""
    import torch

    x = torch.arange(16.0).reshape(4, 4)
    return {"threads": torch.get_num_threads(), "trace": float((x @ x).trace()), "pid": os.getpid()}


def fail(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    os.kill(os.getpid(), 9)


def exit_zero() -> str:
    sys.exit(0)


def hang(pid_file: str) -> None:
    """Start a grandchild, write both process ids, then wait for ever."""
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pid_file + ".tmp", "w") as fh:
        fh.write(f"{os.getpid()} {grandchild.pid}\n")
    os.replace(pid_file + ".tmp", pid_file)
    while True:
        time.sleep(1)


def package_loaded() -> bool:
    """Whether any module of the mlpt package is imported in this process."""
    return any(name == "mlpt" or name.startswith("mlpt.") for name in sys.modules)
