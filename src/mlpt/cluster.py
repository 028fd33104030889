"""Cluster resources and the cost plan: per-rule SLURM resources from config, scaled by model size.

The ``cluster`` section of a config states what each expensive rule asks for; ``sft`` and
``evaluate`` give tiers by model size (the first tier whose ``max_params_b`` covers the model),
so a 0.6B run does not hold 8 GPUs and an 8B run gets what it needs. Site specifics never live in
the repository: the account, partitions, GPU model and QoS come from environment variables
(``MLPT_SLURM_ACCOUNT``, ``MLPT_SLURM_PARTITION``, ``MLPT_SLURM_GPU_PARTITION``,
``MLPT_SLURM_GPU_MODEL``, ``MLPT_SLURM_QOS``), read once when the workflow is parsed.

:func:`plan` estimates what a config costs before anything is submitted: GPU-hours per model, per
task and in total, from the mixture sizes (:func:`tokens_per_example` per task and language) and
throughput, plus the disk needed for the fine-tuned checkpoints and the GPU memory each SFT job
needs for its model states (:func:`sft_memory_per_gpu`). Throughput is *measured* for a model whose
GPU preflight record is given (``results/<run>/preflight.json``, :mod:`mlpt.preflight`: training
tokens/s of its SFT job on its tier's GPUs, decode tokens/s on one GPU) and *assumed* otherwise
(``cluster.plan``: a GPU's peak FLOP/s times an MFU, decode tokens/s scaled by model size); every
row says which. SFT positions are counted as a GPU computes them, padding included: the real
tokens over one minus the padding share of the config's ``sft.batching`` (:data:`PADDING_SHARE`,
measured; none with ``sft.padding_free``).
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

from . import mixture_grammar

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


# --- the plan --------------------------------------------------------------------------------

#: Bytes per parameter of full fine-tuning with AdamW in bf16 mixed precision: fp32 master weights
#: (4), fp32 gradients (4), AdamW's two fp32 moments (8). Activations come on top (with gradient
#: checkpointing, the layer inputs of one micro-batch).
TRAINING_BYTES_PER_PARAM = 16


#: The launcher settings for sharded (FSDP2) training, relative to the repository root.
FSDP_ACCELERATE_CONFIG = "config/accelerate/fsdp.yaml"


def shards_sft(config: dict, model: str) -> bool:
    """Whether ``model``'s SFT shards its states with FSDP when it gets several GPUs (above
    ``sft.fsdp_min_params_b``); smaller models train with DDP."""
    return config["models"][model]["params_b"] > config["sft"]["fsdp_min_params_b"]


def accelerate_config(config: dict, model: str, root: str) -> str | None:
    """The accelerate launcher settings of ``model``'s SFT jobs (None: DDP, or one process)."""
    return f"{root}/{FSDP_ACCELERATE_CONFIG}" if shards_sft(config, model) else None


def preflight_recipe(config: dict) -> tuple[str, dict]:
    """(task, recipe) that a GPU preflight job measures (:mod:`mlpt.preflight`): the ``sft`` recipe
    with the overrides of the task whose examples may be longest (``max_length``; the first of
    equals), the worst case for memory; without ``one_process_per``, which is not part of a recipe."""
    recipes = {task: {**config["sft"], **spec["sft"]} for task, spec in config["tasks"].items()}
    task = max(recipes, key=lambda t: recipes[t]["max_length"])
    return task, {k: v for k, v in recipes[task].items() if k != "one_process_per"}


def sft_memory_per_gpu(config: dict, model: str) -> dict:
    """GPUs, sharding and the GB per GPU of model states for one SFT job of ``model``.

    DDP keeps a full copy of the model states on every GPU; FSDP (models above
    ``sft.fsdp_min_params_b`` on several GPUs) shards them over the GPUs."""
    params_b = config["models"][model]["params_b"]
    gpus = max(tier(config["cluster"]["sft"], params_b, "cluster/sft")["gpus"], 1)
    fsdp = gpus > 1 and shards_sft(config, model)
    states_gb = params_b * TRAINING_BYTES_PER_PARAM
    return {"gpus": gpus, "sharding": "FSDP" if fsdp else ("DDP" if gpus > 1 else "-"),
            "states_gb_per_gpu": states_gb / gpus if fsdp else states_gb}


#: Share of the positions an SFT step computes that are padding, per task kind and ``sft.batching``,
#: at the paper's batch shape (512 examples per optimiser step, 8 per forward pass). Counted on
#: 2026-11-30 by benchmarks/sft_throughput.py (benchmarks/results/sft_throughput.md) over the
#: shipped English training data tokenized as mlpt.sft does, with the tiny models' tokenizer: GSM8K
#: train for ``math`` (7,473 items), API-Bank level-3 calls for ``api_call`` (345); the same on 1, 4
#: and 8 ranks. ``sft.padding_free`` computes no padding. Another task kind gets ``math``'s shares.
PADDING_SHARE: dict[str, dict[str, float]] = {
    "math": {"random": 0.3444, "step_sorted": 0.0107, "group_by_length": 0.0056},
    "api_call": {"random": 0.2575, "step_sorted": 0.0061, "group_by_length": 0.0170},
}
PADDING_SHARE_SHAPE = (512, 8)  # (global_batch_size, per_device_batch_size) the shares were counted at
PADDING_SHARE_SOURCE = "counted at 512 per step / 8 per forward pass, benchmarks/sft_throughput.py, 2026-11-30"


def padding_share(kind: str, sft: dict) -> float:
    """Padded share of the positions an SFT job of task kind ``kind`` computes under the recipe ``sft``.

    ``padding_free``: none. A step of one micro-batch (``global_batch_size`` = ``per_device_batch_size``)
    cannot be regrouped, so ``step_sorted`` pads as ``random`` does there."""
    if sft["padding_free"]:
        return 0.0
    batching = sft["batching"]
    if batching == "step_sorted" and sft["global_batch_size"] == sft["per_device_batch_size"]:
        batching = "random"
    return PADDING_SHARE.get(kind, PADDING_SHARE["math"])[batching]


def batching_label(sft: dict) -> str:
    """``sft.batching``, with ``+pf`` when batches are padding-free."""
    return sft["batching"] + ("+pf" if sft["padding_free"] else "")


def runtime_hours(runtime: str | int) -> float:
    """Snakemake runtime ("12h", "2d", minutes as int) in hours."""
    if isinstance(runtime, (int, float)):
        return runtime / 60
    value, unit = float(runtime[:-1]), runtime[-1]
    return value * {"m": 1 / 60, "h": 1, "d": 24}[unit]


def runtime_minutes(runtime: str | int) -> int:
    """Snakemake runtime ("30m", "12h", "2d", minutes as int) in whole minutes."""
    return round(runtime_hours(runtime) * 60)


def _sft_gpu_hours(params: float, positions: float, flops_per_second: float) -> float:
    """GPU-hours of training ``params`` parameters on ``positions`` positions: 6 FLOPs per parameter
    and position (forward and backward)."""
    return 6 * params * positions / flops_per_second / 3600


def tokens_per_example(config: dict, model: str, task: str, languages) -> tuple[float, str]:
    """(mean training tokens of one example of ``task`` for ``model`` over a mixture's ``languages``,
    where the figure comes from): the plan's one source of example lengths.

    From the real-tokenizer table (``<resources_dir>/plan/tokens_per_example.csv``,
    :mod:`mlpt.token_table`: measured per model family, task and language) when it has every
    language of the mixture for the model's family and task ("real tokenizer"); else the flat
    ``cluster.plan.tokens_per_example`` (per task, ``default`` for the rest; "assumed")."""
    counts = [_token_table(config["resources_dir"]).get((config["models"][model]["family"], task, lang))
              for lang in languages]
    if counts and all(c is not None and c.train_tokens_mean for c in counts):
        return sum(c.train_tokens_mean for c in counts) / len(counts), "real tokenizer"
    flat = config["cluster"]["plan"]["tokens_per_example"]
    return flat.get(task, flat["default"]), "assumed"


@lru_cache(maxsize=4)
def _token_table(resources_dir: str) -> dict:
    from . import token_table

    path = os.path.join(resources_dir, token_table.TABLE_FILE)
    return token_table.read_table(path) if os.path.isfile(path) else {}


class Throughput:
    """How fast one model's jobs go: measured by its GPU preflight record when there is one, else
    the ``cluster.plan`` assumptions. ``source`` says which: ``measured``, ``measured (smoke)`` (a
    CPU or shrunk-shape record, not a cluster figure) or ``assumed``."""

    def __init__(self, assumptions: dict, params_b: float, record: dict | None = None):
        self.assumptions, self.params_b, self.record = assumptions, params_b, record
        self.source = "assumed" if record is None else "measured (smoke)" if record.get("smoke") else "measured"

    def sft_gpu_hours(self, positions: float) -> float:
        """GPU-hours of an SFT job computing ``positions`` positions: at the job's measured tokens/s
        on its GPUs, or at ``gpu_peak_tflops × mfu`` per GPU and 6 FLOPs per parameter and position."""
        if self.record is None:
            a = self.assumptions
            return _sft_gpu_hours(self.params_b * 1e9, positions, a["gpu_peak_tflops"] * 1e12 * a["mfu"])
        return positions / self.record["train_tokens_per_second"] * max(self.record["gpus"], 1) / 3600

    def decode_tokens_per_second(self) -> float:
        """Generated tokens/s of one GPU (the evaluate rule's batched greedy decoding)."""
        if self.record is None:
            return self.assumptions["decode_tokens_per_second_per_b"] / self.params_b
        return self.record["decode"]["tokens_per_second"]


def plan(config: dict, measured: dict | None = None) -> dict:
    """GPU-hour and disk estimates of a config's SFT and evaluation jobs (see module docstring).

    ``measured``: the GPU preflight records by model (``preflight.json``'s ``models``); a model
    without one is priced from the assumptions. ``total["sft_gpu_hours_by_batching"]``: the SFT
    GPU-hours the same config would take under each other ``sft.batching`` (and padding-free
    batches), for comparison."""
    assumptions = config["cluster"]["plan"]
    measured = measured or {}
    mixes = mixture_grammar.expand(config)
    n_langs = len(config["languages"])
    alternatives = {"random": {"batching": "random"}, "group_by_length": {"batching": "group_by_length"},
                    "step_sorted": {"batching": "step_sorted"}, "padding_free": {"padding_free": True}}
    rows = []
    by_batching = dict.fromkeys(alternatives, 0.0)
    for model, spec in config["models"].items():
        params = spec["params_b"] * 1e9
        speed = Throughput(assumptions, spec["params_b"], measured.get(model))
        for task, tspec in config["tasks"].items():
            recipe = {**config["sft"], **tspec["sft"]}
            epochs = recipe["epochs"]
            lengths = [tokens_per_example(config, model, task, m.languages) for m in mixes]
            train_tokens = sum(m.size * tspec["n_train"] * tokens for m, (tokens, _) in zip(mixes, lengths)) * epochs
            tokens_source = "real tokenizer" if all(src == "real tokenizer" for _, src in lengths) else "assumed"
            pad = padding_share(tspec["kind"], recipe)
            positions = train_tokens / (1 - pad)  # what the GPU computes: real tokens and padding
            for name, change in alternatives.items():
                alt_pad = padding_share(tspec["kind"], {**recipe, "padding_free": False, **change})
                by_batching[name] += speed.sft_gpu_hours(train_tokens / (1 - alt_pad))
            # evaluation: every checkpoint (mixtures + pretrained) on every language, plus per-epoch validation
            gen_tokens = (len(mixes) + 1) * n_langs * tspec["n_test"] * assumptions["generated_tokens"]
            val_tokens = sum(m.size for m in mixes) * tspec["n_val"] * assumptions["generated_tokens"] * math.ceil(epochs)
            eval_gpu_h = (gen_tokens + val_tokens) / speed.decode_tokens_per_second() / 3600
            rows.append({"model": model, "task": task, "sft_runs": len(mixes), "train_tokens": train_tokens,
                         "tokens": tokens_source,
                         "batching": batching_label(recipe), "padding_share": pad, "computed_positions": positions,
                         "padding_at_measured_shape": (recipe["global_batch_size"],
                                                       recipe["per_device_batch_size"]) == PADDING_SHARE_SHAPE,
                         "sft_gpu_hours": speed.sft_gpu_hours(positions), "eval_gpu_hours": eval_gpu_h,
                         "throughput": speed.source, **sft_memory_per_gpu(config, model),
                         "checkpoint_disk_gb": len(mixes) * params * assumptions["bytes_per_param"] / 1e9})
    total = {k: sum(r[k] for r in rows) for k in ("sft_runs", "train_tokens", "computed_positions", "sft_gpu_hours",
                                                  "eval_gpu_hours", "checkpoint_disk_gb")}
    total["measured_gpu_hours"] = sum(r["sft_gpu_hours"] + r["eval_gpu_hours"] for r in rows
                                      if r["throughput"] != "assumed")
    total["sft_gpu_hours_by_batching"] = by_batching
    return {"rows": rows, "total": total, "assumptions": assumptions,
            "measured": {model: record for model, record in measured.items() if model in config["models"]}}


def _measured_line(model: str, record: dict) -> str:
    """One preflight record as the plan states it."""
    gpus = f"{record['gpus']} GPU(s)" if record["gpus"] else "a CPU"
    mfu = f", MFU {record['mfu']:.2f}" if record.get("mfu") is not None else ""
    memory = (f", peak {record['peak_gpu_memory_gib']:.1f} of {record['gpu_memory_gib']:.0f} GiB per GPU"
              if record.get("peak_gpu_memory_gib") is not None and record.get("gpu_memory_gib") else "")
    smoke = "; SMOKE run: not a cluster figure" if record.get("smoke") else ""
    return (f"  {model}: {record['device']} ({record['date']}): {record['train_tokens_per_second']:,.0f} training "
            f"tokens/s on {gpus}{mfu}{memory}; {record['decode']['tokens_per_second']:,.0f} decode tokens/s{smoke}")


def format_plan(result: dict, job_counts: dict[str, int] | None = None) -> str:
    lines = []
    if job_counts:
        lines.append("Jobs per rule (snakemake dry-run):")
        lines += [f"  {rule:<34}{n:>6}" for rule, n in job_counts.items()]
        lines.append("")
    a = result["assumptions"]
    measured = result.get("measured") or {}
    if len(measured) < len({r["model"] for r in result["rows"]}):
        lines.append(f"GPU-hour ESTIMATE (assumed: {a['gpu_peak_tflops']} TFLOP/s peak per GPU, MFU {a['mfu']}, "
                     f"{a['decode_tokens_per_second_per_b']:.0f} generated tokens/s per GPU for a 1B model; "
                     f"{a['source']}; `make preflight` measures them):")
    if measured:
        lines.append("GPU-hours from MEASURED throughput (GPU preflight, preflight.json):")
        lines += [_measured_line(model, record) for model, record in measured.items()]
    lines.append(f"  {'model':<14}{'task':<10}{'runs':>5}{'train tokens':>14}{'':>1}{'tokens from':<15}{'batching':>13}{'padding':>9}"
                 f"{'positions':>11}{'SFT GPU-h':>11}{'eval GPU-h':>11}{'':>2}{'throughput':<17}{'ckpt GB':>9}{'GPUs':>6}"
                 f"{'':>2}{'sharding':<9}{'GB/GPU':>7}")
    for r in result["rows"]:
        lines.append(f"  {r['model']:<14}{r['task']:<10}{r['sft_runs']:>5}{r['train_tokens']:>14.3g}{'':>1}{r['tokens']:<15}"
                     f"{r['batching']:>13}"
                     f"{100 * r['padding_share']:>7.1f}%{' ' if r['padding_at_measured_shape'] else '*'}"
                     f"{r['computed_positions']:>11.3g}"
                     f"{r['sft_gpu_hours']:>11.1f}{r['eval_gpu_hours']:>11.1f}{'':>2}{r['throughput']:<17}"
                     f"{r['checkpoint_disk_gb']:>9.0f}{r['gpus']:>6}{'':>2}{r['sharding']:<9}{r['states_gb_per_gpu']:>7.1f}")
    t = result["total"]
    gpu_hours = t["sft_gpu_hours"] + t["eval_gpu_hours"]
    lines.append(f"  {'total':<24}{t['sft_runs']:>5}{t['train_tokens']:>14.3g}{'':>38}{t['computed_positions']:>11.3g}"
                 f"{t['sft_gpu_hours']:>11.1f}{t['eval_gpu_hours']:>11.1f}{'':>19}{t['checkpoint_disk_gb']:>9.0f}")
    lines.append(f"  = {gpu_hours:.0f} GPU-hours ({t.get('measured_gpu_hours', 0):.0f} from measured throughput, "
                 f"{gpu_hours - t.get('measured_gpu_hours', 0):.0f} assumed), "
                 f"{gpu_hours / 8:.0f} hours on one 8-GPU node; "
                 f"{t['checkpoint_disk_gb']:.0f} GB of final checkpoints")
    lines.append("  train tokens: examples x their mean tokens per language, from the real tokenizers' table "
                 "(resources/plan/tokens_per_example.csv, BENCHMARKS.md) where it has the model's family, task and "
                 "every language, else cluster.plan.tokens_per_example (assumed)")
    lines.append("  SFT positions = train tokens / (1 - padding), the padding share of the job's sft.batching "
                 f"({PADDING_SHARE_SOURCE}; +pf = padding_free: none); assumed: 6 FLOPs x parameters x positions "
                 "at peak x MFU; measured: positions / the preflight job's training tokens/s x its GPUs")
    if not all(r["padding_at_measured_shape"] for r in result["rows"]):
        lines.append("  * this job's batch shape is not the one the padding share was counted at: a rough figure")
    lines.append("  SFT GPU-h by sft.batching: " + ", ".join(
        f"{name} {hours:.1f}" for name, hours in t["sft_gpu_hours_by_batching"].items()))
    lines.append(f"  GB/GPU: model states of one SFT job per GPU ({TRAINING_BYTES_PER_PARAM} bytes per parameter: "
                 "fp32 master weights, gradients and AdamW moments; bf16 compute), before activations")
    return "\n".join(lines)
