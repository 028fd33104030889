"""Make the ``mlpt`` package importable in a job environment that has only its dependencies
(e.g. a conda env built from envs/ with ``--sw-deployment-method conda``).

Snakemake puts this folder on ``sys.path`` of every script job; the package lives in ``src/``.
Jobs read models from local directories only (download_model fetched them before): the Hugging
Face Hub is switched off unless the job says otherwise.
"""

import os
import sys
from importlib.util import find_spec
from pathlib import Path

if find_spec("mlpt") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
