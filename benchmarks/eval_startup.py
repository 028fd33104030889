"""Wall time of one evaluation process, split into start-up and generation.

    .venv/bin/python benchmarks/eval_startup.py [--run-dir results/demo] [--model qwen3-tiny] [--repeats 3]
        [--out benchmarks/results/eval_startup]

Uses a checkpoint and the lm-eval task folders the workflow built (the demo's tiny base model,
``results/<run>/models/base/<model>``, and ``results/<run>/tasks/{math,api}``: MGSM and
API-Bank test items of every language, as shipped in resources/). If they are missing, build
just them::

    .venv/bin/snakemake --cores 2 --configfile config/demo.yaml \\
        results/demo/models/base/qwen3-tiny results/demo/tasks/math results/demo/tasks/api

Each measurement starts a fresh Python process, like a Snakemake ``evaluate`` job (one thread),
which calls :func:`mlpt.evaluate.run` on every language of one task and reports its phases.
Start-up is everything but generation: interpreter start and exit (measured from outside), imports, task indexing, tokenizer and
model load, and lm-eval's own work around generation (dataset loading, building prompts and
requests, environment collection, filters, metrics). Writing the records is reported apart.

The projection for the paper's evaluation jobs combines the measured fixed start-up (without
model load, which grows with model size and is not measured here) with the generation time that
``make plan`` assumes (``cluster.plan`` of config/paper.yaml): an estimate, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASK_KINDS = {"math": "math", "api": "api_call"}
STARTUP = ("python_start_exit", "imports", "index_tasks", "load_model", "lm_eval_setup")


def child(args: argparse.Namespace) -> None:
    """One evaluation process: print its phases (seconds) as JSON."""
    start = time.perf_counter()
    sys.path.insert(0, str(ROOT / "src"))
    from mlpt import evaluate

    imported = time.perf_counter() - start
    tasks_dir = Path(args.run_dir) / "tasks" / args.task
    languages = sorted(p.stem for p in tasks_dir.glob("*.jsonl") if "." not in p.stem)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        summary = evaluate.run(
            str(Path(args.run_dir) / "models" / "base" / args.model), str(tasks_dir), f"{tmp}/summary.json",
            f"{tmp}/samples.jsonl", task=args.task, languages=languages, batch_size=args.batch_size,
            max_gen_toks=args.max_gen_toks, limit=None, meta={"model": args.model, "mixture": "pretrained"},
            timings=timings)
    timings["imports"] += imported
    timings["in_process"] = time.perf_counter() - start
    timings["docs"] = sum(r["n"] for r in summary["languages"].values())
    timings["languages"] = len(languages)
    print(json.dumps(timings))


def measure(args: argparse.Namespace, task: str) -> dict:
    """One fresh evaluation process for ``task``; its phases, with start-up and generation totals."""
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1")
    cmd = [sys.executable, __file__, "--child", task, "--run-dir", str(args.run_dir), "--model", args.model,
           "--batch-size", str(args.batch_size), "--max-gen-toks", str(args.max_gen_toks)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"evaluation process failed:\n{proc.stderr[-3000:]}")
    t = json.loads(proc.stdout.strip().splitlines()[-1])
    phases = {
        "python_start_exit": wall - t["in_process"], "imports": t["imports"], "index_tasks": t["index_tasks"],
        "load_model": t["load_model"], "lm_eval_setup": t["lm_eval"] - t["generate"], "generate": t["generate"],
        "records": t["records"],
    }
    return {"task": task, "docs": t["docs"], "languages": t["languages"], "wall": wall, **phases,
            "startup": sum(phases[k] for k in STARTUP)}


def paper_projection(startup_fixed_s: float) -> dict:
    """Start-up share of the paper's evaluation jobs, with make plan's generation assumptions."""
    sys.path.insert(0, str(ROOT / "src"))
    import yaml

    from mlpt import config as study_config
    from mlpt import mixture_grammar

    cfg = study_config.validate(yaml.safe_load((ROOT / "config/paper.yaml").read_text()), source="config/paper.yaml")
    plan = cfg["cluster"]["plan"]
    checkpoints = len(mixture_grammar.expand(cfg)) + 1  # + pretrained
    jobs, gen_s = 0, 0.0
    for spec in cfg["models"].values():
        for tspec in cfg["tasks"].values():
            tokens = len(cfg["languages"]) * tspec["n_test"] * plan["generated_tokens"]
            gen_s += checkpoints * tokens / (plan["decode_tokens_per_second_per_b"] / spec["params_b"])
            jobs += checkpoints
    startup_s = jobs * startup_fixed_s
    return {"jobs": jobs, "startup_fixed_per_job_s": startup_fixed_s, "startup_total_h": startup_s / 3600,
            "generation_total_h": gen_s / 3600, "startup_share": startup_s / (startup_s + gen_s),
            "assumptions": {k: plan[k] for k in ("decode_tokens_per_second_per_b", "generated_tokens", "source")}}


def markdown(rows: list[dict], projection: dict, args: argparse.Namespace) -> str:
    cols = ["task", "languages", "docs", "wall", *STARTUP, "startup", "generate", "records"]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), one thread per process; "
        f"model {args.model} from {args.run_dir}; batch {args.batch_size}, max_gen_toks {args.max_gen_toks}; "
        f"seconds, median of {args.repeats} fresh processes per task (each column on its own; "
        "`startup` is the five columns before it added up per process, then the median; `records` is language ID and writing the outputs).",
        "",
        "| " + " | ".join(cols) + " | startup share |",
        "|" + "---|" * (len(cols) + 1),
    ]
    for r in rows:
        cells = [str(r[c]) if isinstance(r[c], (str, int)) else f"{r[c]:.2f}" for c in cols]
        lines.append("| " + " | ".join(cells) + f" | {r['startup'] / r['wall']:.0%} |")
    p = projection
    lines += [
        "",
        f"Paper projection (estimate): {p['jobs']} evaluation jobs × {p['startup_fixed_per_job_s']:.1f} s fixed "
        f"start-up (measured above without model load) = {p['startup_total_h']:.2f} h, against "
        f"{p['generation_total_h']:.0f} GPU-hours of generation assumed by `make plan` "
        f"({p['assumptions']['decode_tokens_per_second_per_b']} tokens/s for a 1B model, "
        f"{p['assumptions']['generated_tokens']} tokens per item; {p['assumptions']['source']}): "
        f"start-up share {p['startup_share']:.2%}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "results/demo")
    parser.add_argument("--model", default="qwen3-tiny")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-gen-toks", type=int, default=32, help="config/demo.yaml's evaluation.max_gen_toks")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write <out>.json and <out>.md")
    parser.add_argument("--child", choices=sorted(TASK_KINDS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.task = args.child
        return child(args)
    needed = [args.run_dir / "models/base" / args.model] + [args.run_dir / "tasks" / t for t in TASK_KINDS]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise SystemExit(f"missing {missing}; build them first (see the top of {__file__})")

    rows = []
    for task in TASK_KINDS:
        runs = [measure(args, task) for _ in range(args.repeats)]
        rows.append({k: (statistics.median(r[k] for r in runs) if isinstance(v, float) else v) for k, v in runs[0].items()})
    fixed = statistics.median(r["startup"] - r["load_model"] for r in rows)
    projection = paper_projection(fixed)
    text = markdown(rows, projection, args)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps({"rows": rows, "paper_projection": projection}, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
