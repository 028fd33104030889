"""`make plan`: what a config will run and cost, before anything is submitted.

    python -m mlpt.plan_cli --configfile config/paper.yaml

Prints the job count of every rule (from a Snakemake dry-run of the whole DAG) and the four cost
kinds of mlpt.cost_plan.plan, a table each: SFT compute (8 FLOPs per parameter and position with
gradient checkpointing, 6 without; tokens per example per language from the real-tokenizer
table), decoding (evaluation and per-epoch validation at a waste factor, decoded ÷ useful
positions), translation (the MT jobs) and checkpoint I/O (bytes written, peak temporary disk).
Throughput and decode waste are measured where the run's GPU preflight has written
`results/<run>/preflight.json` (`make preflight`; another file with `--preflight`), for the
models it covers, and assumed from the config's `cluster.plan` otherwise; every row says which.
SFT positions are counted as the config's `sft.batching` makes a GPU compute them, padding
included (the padding shares of mlpt.cost_plan.PADDING_SHARE, measured by
benchmarks/sft_throughput.py); the plan also lists what every other batching would cost.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from pathlib import Path

from . import cost_plan, io, paths, site_limits
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


def measured_throughput(preflight_file: str | Path) -> tuple[dict, str]:
    """(the GPU preflight records by model, a line saying where the plan's throughput comes from);
    no records when the file does not exist."""
    if not Path(preflight_file).exists():
        return {}, (f"No GPU preflight at {preflight_file}: every GPU-hour figure below is ASSUMED "
                    "(`make preflight` measures them on the cluster).")
    records = io.read_json(preflight_file)["models"]
    return records, f"GPU preflight read from {preflight_file} ({len(records)} model(s) measured)."


def measured_decode_waste(preflight_file: str | Path) -> float | dict | None:
    """The preflight file's own ``decode_waste`` (decoded ÷ useful positions: a number, or one per
    ``evaluation`` / ``validation``), for every model whose record states none; None without one."""
    if not Path(preflight_file).exists():
        return None
    return io.read_json(preflight_file).get("decode_waste")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config/paper.yaml")
    parser.add_argument("--preflight", default=None,
                        help="GPU preflight records to price from (default: results/<run>/preflight.json)")
    parser.add_argument("--no-dry-run", action="store_true", help="leave out the job counts (no Snakemake dry-run)")
    args = parser.parse_args(argv)
    cfg = study_config.load(args.configfile)
    preflight_file = args.preflight or paths.path("preflight", cfg["run"])
    measured, source = measured_throughput(preflight_file)
    counts = None if args.no_dry_run else dry_run_counts(args.configfile)
    print(source)
    print(cost_plan.format_plan(cost_plan.plan(cfg, measured, measured_decode_waste(preflight_file)), counts))
    print(limits_report(cfg))


def limits_report(cfg: dict) -> str:
    """What the site's limits (the MLPT_SLURM_MAX_* variables, else sinfo when installed) say of
    every job kind's request: the jobs that would never start, or that all fit."""
    limits = site_limits.from_environment() or site_limits.probe()
    if not limits:
        return "Cluster limits: unknown here (no sinfo, no MLPT_SLURM_MAX_* variables): requests not checked."
    problems = site_limits.violations(cfg, limits)
    if not problems:
        return "Cluster limits: every job's request fits its partition."
    return "Cluster limits: these jobs would wait in the queue forever:\n" + "\n".join(f"  {p}" for p in problems)


if __name__ == "__main__":
    main()
