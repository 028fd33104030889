"""What a SLURM site allows, checked against every job's request before anything is submitted.

A job asking for more than its partition allows (48 h against a 24 h MaxTime, 8 GPUs on 4-GPU
nodes, more CPUs than a node has) is not refused by ``sbatch``: it waits in the queue forever. So
the limits are known before submission:

* from the environment (:data:`LIMIT_VARIABLES`, read when the workflow is parsed: a site sets them
  once, e.g. in the shell profile of the account that runs Snakemake), or
* from ``sinfo`` (:func:`probe`), which ``make plan`` asks when it is installed.

:func:`violations` compares the resources of every job kind of a config (SFT and evaluation per
model tier, translation, the preflight) with the limits of the partition it goes to, and names the
job and the limit. The workflow refuses to start with any (``common.smk``); ``make plan`` lists
them. :func:`never_starting` reads ``squeue`` for jobs pending with a reason that cannot clear by
waiting (``python -m mlpt.site_limits --pending``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping

from . import cluster

#: Environment variables that state the site's limits (apply to every partition the jobs use).
LIMIT_VARIABLES = {
    "max_runtime_minutes": "MLPT_SLURM_MAX_RUNTIME",  # '24h', '2d', or minutes
    "max_gpus": "MLPT_SLURM_MAX_GPUS_PER_NODE",
    "max_cpus": "MLPT_SLURM_MAX_CPUS_PER_NODE",
    "max_mem_mb": "MLPT_SLURM_MAX_MEM_MB_PER_NODE",
}

#: squeue pending reasons that waiting does not clear: the request exceeds what the partition,
#: association or QOS allows, or names nodes or features that do not exist.
NEVER_CLEARS = {
    "PartitionTimeLimit", "PartitionNodeLimit", "PartitionConfig", "ReqNodeNotAvail", "BadConstraints",
    "AssocMaxWallDurationPerJobLimit", "QOSMaxWallDurationPerJobLimit", "AssocMaxCpuPerJobLimit",
    "QOSMaxCpuPerJobLimit", "AssocMaxGRESPerJob", "QOSMaxGRESPerJob", "AssocMaxMemPerJob", "QOSMaxMemPerJob",
    "InvalidAccount", "InvalidQOS", "MaxGRESPerAccount", "Resources_Unavailable",
}


def from_environment(environ: Mapping[str, str] | None = None) -> dict:
    """The limits the environment states (unset ones left out); ValueError naming a malformed one."""
    environ = os.environ if environ is None else environ
    limits = {}
    for key, var in LIMIT_VARIABLES.items():
        text = environ.get(var)
        if not text:
            continue
        try:
            limits[key] = cluster.runtime_minutes(int(text) if text.isdigit() else text) if key == "max_runtime_minutes" \
                else int(text)
        except (ValueError, KeyError):
            raise ValueError(f"{var}={text!r}: expected " + ("'24h', '2d' or minutes" if key == "max_runtime_minutes"
                                                             else "a whole number")) from None
    return {"source": "environment", **limits} if limits else {}


def _slurm_minutes(text: str) -> int | None:
    """sinfo's time limit ('1-00:00:00', '2:00:00', '30:00', 'infinite') in minutes (None: none)."""
    if text in ("infinite", "UNLIMITED", "n/a"):
        return None
    days, _, clock = text.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    hours, minutes = ([0] * (3 - len(parts)) + parts)[:2] if len(parts) == 3 else (0, parts[0])
    return int(days or 0) * 1440 + hours * 60 + minutes


def parse_sinfo(text: str) -> dict[str, dict]:
    """``{partition: limits}`` of ``sinfo -h -e -o '%P|%l|%c|%m|%G'`` output (largest node per
    partition; the default partition's name carries sinfo's ``*``, also stored under ``default``)."""
    out: dict[str, dict] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, limit, cpus, mem, gres = (line.split("|") + [""] * 5)[:5]
        gpus = sum(int(m.group(1)) for m in re.finditer(r"gpu(?::[^:,(]+)?:(\d+)", gres))
        entry = {"source": "sinfo", "max_runtime_minutes": _slurm_minutes(limit.strip()),
                 "max_cpus": int(re.sub(r"\D", "", cpus) or 0), "max_mem_mb": int(re.sub(r"\D.*", "", mem) or 0),
                 "max_gpus": gpus}
        key = name.rstrip("*")
        old = out.get(key)
        if old:  # several node kinds in one partition: the largest of each
            entry = {k: (max(v, old[k]) if isinstance(v, int) and isinstance(old[k], int) else v) for k, v in entry.items()}
        out[key] = entry
        if name.endswith("*"):
            out["default"] = entry
    return out


def probe(timeout: float = 5.0) -> dict[str, dict]:
    """The partitions' limits from ``sinfo`` ({} when it is not installed or does not answer)."""
    if shutil.which("sinfo") is None:
        return {}
    try:
        proc = subprocess.run(["sinfo", "-h", "-e", "-o", "%P|%l|%c|%m|%G"], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_sinfo(proc.stdout) if proc.returncode == 0 else {}


def _jobs(config: dict, site: dict) -> list[tuple[str, dict]]:
    """(job kind, its first attempt's resources) of every job kind a config submits."""
    jobs = []
    for rule in ("sft", "evaluate"):
        for model in config["models"]:
            jobs.append((f"{rule} of {model}", cluster.rule_resources(config, rule, model, site)))
    jobs.append(("translate", cluster.rule_resources(config, "translate", None, site)))
    return jobs


def violations(config: dict, limits: Mapping[str, dict] | dict, site: dict | None = None) -> list[str]:
    """Every job kind whose request exceeds its partition's limits, one message each.

    ``limits``: one limits dict for every partition (:func:`from_environment`), or a dict by
    partition (:func:`probe`), where a job without a partition of its own goes to ``default``."""
    site = cluster.site_settings() if site is None else site
    if not limits:
        return []
    by_partition = limits if all(isinstance(v, dict) for v in limits.values()) else None
    problems = []
    for job, res in _jobs(config, site):
        partition = res.get("slurm_partition", "default")
        limit = (by_partition or {}).get(partition) if by_partition is not None else limits
        if not limit:
            continue
        where = f"partition {partition}" if partition != "default" else "the default partition"
        source = limit.get("source", "")
        for key, asked, unit in (("max_runtime_minutes", res["runtime"], "minutes"), ("max_gpus", res["gpu"], "GPUs"),
                                 ("max_cpus", res["cpus_per_task"], "CPUs"), ("max_mem_mb", res["mem_mb"], "MB of memory")):
            allowed = limit.get(key)
            if allowed is not None and asked > allowed:
                problems.append(f"{job} asks for {asked} {unit}; {where} allows {allowed} ({source}: "
                                f"{LIMIT_VARIABLES[key] if source == 'environment' else 'sinfo'}): lower the request "
                                f"in the config's cluster section, or choose another partition")
    return problems


def never_starting(squeue_output: str) -> list[str]:
    """Jobs of ``squeue -h -t PD -o '%i|%j|%r'`` pending for a reason waiting does not clear."""
    stuck = []
    for line in squeue_output.splitlines():
        job_id, name, reason = (line.split("|") + ["", ""])[:3]
        if reason.strip() in NEVER_CLEARS:
            stuck.append(f"job {job_id.strip()} ({name.strip()}) is pending with reason {reason.strip()}, which does not "
                         "clear by waiting: cancel it (scancel) and lower its request or change partition")
    return stuck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SLURM limits and jobs that can never start")
    parser.add_argument("--pending", action="store_true",
                        help="list this user's pending jobs whose reason never clears (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.pending:
        proc = subprocess.run(["squeue", "-h", "--me", "-t", "PD", "-o", "%i|%j|%r"], capture_output=True, text=True)
        stuck = never_starting(proc.stdout)
        print("\n".join(stuck) or "no pending job is stuck")
        return 1 if stuck else 0
    print(probe() or from_environment() or "no limits known (no sinfo, no MLPT_SLURM_MAX_* variables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
