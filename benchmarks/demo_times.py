"""Summarise a run's per-job Snakemake benchmarks into a per-rule table (Markdown).

    .venv/bin/python benchmarks/demo_times.py results/demo [--wall SECONDS]

Each rule writes ``results/<run>/benchmarks/<rule>/<wildcards>.tsv`` (Snakemake ``benchmark:``);
this adds up the jobs of each rule (wall seconds, peak RSS) with mlpt.analysis.benchmark_summary,
the same function behind the run's tables/benchmarks.csv.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from mlpt.analysis import benchmark_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="results/<run>")
    parser.add_argument("--wall", type=float, help="measured wall time of the whole run, seconds")
    args = parser.parse_args()
    root = args.run_dir / "benchmarks"
    table = benchmark_summary(sorted(str(p) for p in root.rglob("*.tsv")), str(root))
    if table.empty:
        raise SystemExit(f"no benchmark files under {root}")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores; run: {args.run_dir}")
    if args.wall:
        print(f"Whole run, wall clock: {args.wall:.0f} s; sum of job times: {table['total_s'].sum():.0f} s")
    print()
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
