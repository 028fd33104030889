"""SLURM resources per rule from config, scaled by model size, and each SFT job's recipe and launcher.

The ``cluster`` section of a config states what each expensive rule asks for; ``sft`` and
``evaluate`` give tiers by model size (the first tier whose ``max_params_b`` covers the model),
so a 0.6B run does not hold 8 GPUs and an 8B run gets what it needs. Site specifics never live in
the repository: the account, partitions, GPU model and QoS come from environment variables
(``MLPT_SLURM_ACCOUNT``, ``MLPT_SLURM_PARTITION``, ``MLPT_SLURM_GPU_PARTITION``,
``MLPT_SLURM_GPU_MODEL``, ``MLPT_SLURM_QOS``), read once when the workflow is parsed. What a
config costs is :mod:`mlpt.cost_plan`'s."""

from __future__ import annotations

import os


SITE_VARIABLES = {
    "slurm_account": "MLPT_SLURM_ACCOUNT",
    "slurm_partition": "MLPT_SLURM_PARTITION",
    "gpu_partition": "MLPT_SLURM_GPU_PARTITION",
    "gpu_model": "MLPT_SLURM_GPU_MODEL",
    "qos": "MLPT_SLURM_QOS",
}


def site_settings(environ=None) -> dict[str, str]:
    """The site's SLURM settings that are set in the environment (unset ones are left out)."""
    environ = os.environ if environ is None else environ
    return {key: environ[var] for key, var in SITE_VARIABLES.items() if environ.get(var)}


def tier(tiers: list[dict], params_b: float, where: str) -> dict:
    for entry in tiers:
        if params_b <= entry["max_params_b"]:
            return entry
    raise ValueError(f"{where}: no resource tier covers a {params_b}B model (raise the last max_params_b)")


def job_resources(spec: dict, site: dict) -> dict:
    """Snakemake resources for one job from a tier/flat spec of a validated config (its defaults
    filled in by the schema) and the site settings.

    GPU jobs get ``gpu`` (and ``gpu_model`` when the site names one), which the slurm executor
    turns into ``--gpus``; CPU count is ``cpus_per_gpu × gpus`` (or ``cpus``); ``runtime`` in
    minutes; ``nodes: 1`` (``--nodes=1``): every job runs on one node, its GPUs together."""
    gpus = spec["gpus"]
    res = {"mem_mb": spec["mem_mb"], "runtime": runtime_minutes(spec["runtime"]), "gpu": gpus,
           "cpus_per_task": spec["cpus_per_gpu"] * gpus if gpus else spec["cpus"], "nodes": 1}
    cpu_part, gpu_part = site.get("slurm_partition"), site.get("gpu_partition")
    partition = (gpu_part if gpus else cpu_part) or cpu_part or gpu_part
    if partition:
        res["slurm_partition"] = partition
    for key in ("slurm_account", "qos", "gpu_model"):
        if key in site:
            res[key] = site[key]
    return res


def resource_callables(config: dict, rule: str, site: dict) -> dict:
    """``resources:`` of a rule as one callable per key (the same keys for every job of the rule).

    ``runtime`` grows with Snakemake's ``attempt``: a job retried after hitting its time limit asks
    for its limit × the attempt number (a retry with the same limit would time out again)."""
    keys = job_resources({"mem_mb": 1, "runtime": "1h", "gpus": 1, "cpus_per_gpu": 1, "cpus": 1}, site)  # same keys for CPU-only tiers

    def value(wc, attempt, key):
        res = rule_resources(config, rule, getattr(wc, "model", None), site)[key]
        return res * attempt if key == "runtime" else res

    return {key: (lambda wc, attempt, key=key: value(wc, attempt, key)) for key in keys}


def rule_resources(config: dict, rule: str, model: str | None = None, site: dict | None = None) -> dict:
    spec = config["cluster"][rule]
    if isinstance(spec, list):
        params_b = config["models"][model]["params_b"]
        spec = tier(spec, params_b, f"cluster/{rule}")
    return job_resources(spec, site_settings() if site is None else site)


# --- the SFT recipe and its launcher ------------------------------------------------------------

#: The launcher settings for sharded (FSDP2) training, relative to the repository root.
FSDP_ACCELERATE_CONFIG = "config/accelerate/fsdp.yaml"


def shards_sft(config: dict, model: str) -> bool:
    """Whether ``model``'s SFT shards its states with FSDP when it gets several GPUs (above
    ``sft.fsdp_min_params_b``); smaller models train with DDP."""
    return config["models"][model]["params_b"] > config["sft"]["fsdp_min_params_b"]


def accelerate_config(config: dict, model: str, root: str) -> str | None:
    """The accelerate launcher settings of ``model``'s SFT jobs (None: DDP, or one process)."""
    return f"{root}/{FSDP_ACCELERATE_CONFIG}" if shards_sft(config, model) else None


def sft_recipe(config: dict, model: str, task: str) -> dict:
    """The SFT recipe of ``model`` on ``task``, as its jobs run it: the ``sft`` keys with the task's
    overrides and the ``gradient_checkpointing`` of the model's ``cluster.sft`` tier where the tier
    sets one (else the recipe's own). The one source of the recipe for the sft rule, the GPU preflight and the plan."""
    recipe = {**config["sft"], **config["tasks"][task]["sft"]}
    params_b = config["models"][model]["params_b"]
    spec = tier(config["cluster"]["sft"], params_b, "cluster/sft")
    if spec.get("gradient_checkpointing") is not None:
        recipe["gradient_checkpointing"] = spec["gradient_checkpointing"]
    return recipe


def preflight_recipe(config: dict, model: str | None = None) -> tuple[str, dict]:
    """(task, recipe) that a GPU preflight job measures (:mod:`mlpt.preflight`): the recipe
    (:func:`sft_recipe`: ``model``'s tier decides gradient checkpointing; the first model's when
    None) of the task whose examples may be longest (``max_length``; the first of equals), the
    worst case for memory."""
    model = model or next(iter(config["models"]))
    recipes = {task: sft_recipe(config, model, task) for task in config["tasks"]}
    task = max(recipes, key=lambda t: recipes[t]["max_length"])
    return task, recipes[task]


def preflight_decode_task(config: dict) -> str:
    """The task whose real test prompts the GPU preflight decodes to measure decode waste
    (:func:`mlpt.preflight.decode_waste`): ``preflight.decode_task``, else the first task of kind
    math (paper: MGSM, human test sets in every language), else the first task."""
    tasks = config["tasks"]
    first_math = next((task for task, spec in tasks.items() if spec["kind"] == "math"), None)
    return config["preflight"]["decode_task"] or first_math or next(iter(tasks))


def runtime_hours(runtime: str | int) -> float:
    """Snakemake runtime ("12h", "2d", minutes as int) in hours."""
    if isinstance(runtime, (int, float)):
        return runtime / 60
    value, unit = float(runtime[:-1]), runtime[-1]
    return value * {"m": 1 / 60, "h": 1, "d": 24}[unit]


def runtime_minutes(runtime: str | int) -> int:
    """Snakemake runtime ("30m", "12h", "2d", minutes as int) in whole minutes."""
    return round(runtime_hours(runtime) * 60)
