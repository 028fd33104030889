"""Make the ``mlpt`` package importable in a job environment that has only its dependencies
(e.g. a conda env built from envs/ with ``--sw-deployment-method conda``).

Snakemake puts this folder on ``sys.path`` of every script job; the package lives in ``src/``.
"""

import sys
from importlib.util import find_spec
from pathlib import Path

if find_spec("mlpt") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
