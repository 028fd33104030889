"""Start-up each demo job type pays before it does any work: a fresh interpreter importing what the
job's script imports (median of N runs, one CPU thread).

    .venv/bin/python benchmarks/job_startup.py [--repeats 3] [--out benchmarks/results/job_startup.json]

Why it matters: on a 2-core CPU a tiny model's SFT run, evaluation or translation does a few seconds
of work, so the demo's wall time follows the number of processes: one per translation (task and
language), SFT run and evaluated checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What each job type's script imports before its first real step (the modules its code path loads).
JOB_IMPORTS = {
    "python + snakemake script preamble": "import snakemake.script",
    "sft (torch, transformers Trainer, peft)": (
        "import mlpt.sft, peft; from transformers import Trainer, AutoModelForCausalLM, AutoTokenizer"),
    "evaluate (torch, transformers, lm-eval)": (
        "import mlpt.evaluate; from lm_eval import simple_evaluate; from lm_eval.tasks import TaskManager; "
        "from lm_eval.models.huggingface import HFLM; from transformers import AutoModelForCausalLM"),
    "translate (torch, transformers seq2seq)": (
        "import mlpt.translate, mlpt.translation_qc; from transformers import AutoModelForSeq2SeqLM, AutoTokenizer"),
    "figure (pandas, matplotlib)": "import mlpt.figures",
}


def time_import(statement: str, repeats: int) -> float:
    """Median wall seconds of ``python -c statement`` in a fresh interpreter."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src"))
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, env=env, cwd=ROOT)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/job_startup.json")
    args = parser.parse_args()
    time_import("import torch", 1)  # warm the file cache, so the first row is not a cold read
    rows = {job: round(time_import(statement, args.repeats), 2) for job, statement in JOB_IMPORTS.items()}
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "repeats": args.repeats,
              "python": platform.python_version(), "seconds": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| job type | start-up (s, median of {args.repeats}) |\n|:--|--:|")
    for job, s in rows.items():
        print(f"| {job} | {s:.2f} |")


if __name__ == "__main__":
    main()
