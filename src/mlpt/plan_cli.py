"""`make plan`: what a config will run and cost, before anything is submitted.

    python -m mlpt.plan_cli --configfile config/paper.yaml

Prints the job count of every rule (from a Snakemake dry-run of the whole DAG) and the GPU-hour
and disk estimate of mlpt.cluster.plan (assumptions from the config's `cluster.plan`). SFT FLOPs
are counted on the positions the config's `sft.batching` makes a GPU compute, padding included
(the padding shares of mlpt.cluster.PADDING_SHARE, measured by benchmarks/sft_throughput.py); the
plan also lists what every other batching would cost.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from . import cluster
from . import config as study_config


def parse_job_stats(output: str) -> dict[str, int]:
    """The 'Job stats' table of `snakemake -n --quiet rules` as {rule: count} (with 'total')."""
    counts: dict[str, int] = {}
    in_table = False
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Job stats:"):
            in_table, counts = True, {}
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
        elif in_table and counts and not parts:
            in_table = False
    return counts


def dry_run_counts(configfile: str) -> dict[str, int]:
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--configfile", configfile],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    return parse_job_stats(proc.stdout)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config/paper.yaml")
    args = parser.parse_args(argv)
    cfg = study_config.load(args.configfile)
    print(cluster.format_plan(cluster.plan(cfg), dry_run_counts(args.configfile)))


if __name__ == "__main__":
    main()
