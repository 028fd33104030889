"""Logging for workflow scripts: everything a job prints goes to its rule's ``log:`` file."""

from __future__ import annotations

import logging
import os
import sys


def setup(snakemake) -> None:
    """Send Python logging, warnings, stdout/stderr (tqdm progress too) and uncaught exceptions
    to ``snakemake.log[0]``; set the thread and offline variables of the libraries a job uses, and
    select the run's language table (``<resources_dir>/prompts/phrases.yaml``) for every lookup."""
    path = snakemake.log[0]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    stream = open(path, "a", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr = stream
    logging.basicConfig(level=logging.INFO, stream=stream, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)

    def _excepthook(kind, value, tb):
        logging.getLogger("mlpt").error("job failed", exc_info=(kind, value, tb))
        sys.__stderr__.write(f"{kind.__name__}: {value}\n(see {path})\n")

    sys.excepthook = _excepthook
    # Snakemake starts every script job with OMP_NUM_THREADS (and the BLAS thread variables) already
    # set, and torch and numpy read it when they are imported, in some scripts before this call: the
    # job's thread count comes from Snakemake, and this line only repeats it for a script run any
    # other way. TOKENIZERS_PARALLELISM is read when a tokenizer first runs, so it applies here.
    os.environ["OMP_NUM_THREADS"] = str(getattr(snakemake, "threads", 1))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    resources = getattr(snakemake, "config", {}).get("resources_dir")
    if resources:
        from . import languages

        languages.use_table(os.path.join(resources, languages.PHRASES_FILE))
