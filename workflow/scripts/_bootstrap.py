"""The first import of every script job.

* Makes the ``mlpt`` package importable in a job environment that has only its dependencies (e.g. a
  conda env built from envs/ with ``--sw-deployment-method conda``); Snakemake puts this folder on
  ``sys.path`` of every script job, and the package lives in ``src/``.
* Switches the Hugging Face Hub off unless the job says otherwise: jobs read models from local
  directories only (download_model fetched them before).
* With ``warm_worker: true`` in the config, hands the whole job over to the warm worker
  (:func:`mlpt.warm.run_script`), which runs this script in a process that has its libraries
  imported already, and exits with its outcome; otherwise the script goes on here.
"""

import os
import sys
from importlib.util import find_spec
from pathlib import Path

if find_spec("mlpt") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mlpt import warm  # noqa: E402  (needs the path above)

warm.run_script(sys.modules["__main__"])
