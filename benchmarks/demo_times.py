"""Summarise a run's per-job Snakemake benchmarks into a per-rule table (Markdown).

    .venv/bin/python benchmarks/demo_times.py results/demo [--wall SECONDS] > benchmarks/demo_times.md

Each rule writes ``results/<run>/benchmarks/<rule>/<wildcards>.tsv`` (Snakemake ``benchmark:``);
this adds up the jobs of each rule (wall seconds, peak RSS).
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import pandas as pd


def per_rule(run_dir: Path) -> pd.DataFrame:
    rows = []
    bench = run_dir / "benchmarks"
    for tsv in sorted(bench.rglob("*.tsv")):
        rule = tsv.relative_to(bench).parts[0].removesuffix(".tsv")
        b = pd.read_csv(tsv, sep="\t").iloc[-1]
        rows.append({"rule": rule, "s": float(b["s"]), "max_rss_mb": float(b["max_rss"])})
    if not rows:
        raise SystemExit(f"no benchmark files under {bench}")
    df = pd.DataFrame(rows)
    return (df.groupby("rule").agg(jobs=("s", "size"), total_s=("s", "sum"), mean_s=("s", "mean"), max_s=("s", "max"),
                                    peak_rss_mb=("max_rss_mb", "max"))
            .sort_values("total_s", ascending=False).round(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="results/<run>")
    parser.add_argument("--wall", type=float, help="measured wall time of the whole run, seconds")
    args = parser.parse_args()
    table = per_rule(args.run_dir)
    print(f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores; run: {args.run_dir}")
    if args.wall:
        print(f"Whole run, wall clock: {args.wall:.0f} s; sum of job times: {table['total_s'].sum():.0f} s "
              f"(jobs run 2 at a time)")
    print()
    print(table.to_markdown())


if __name__ == "__main__":
    main()
