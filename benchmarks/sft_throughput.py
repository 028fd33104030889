"""SFT batching on CPU: padding and real tokens per CPU-second of each ``sft.batching``, and TRL's
SFTTrainer at its best CPU setting, at the paper's batch shape; the padding of the demo's shape and
of the paper's shape on the whole shipped data (the table ``make plan`` uses).

    .venv/bin/python benchmarks/sft_throughput.py [--steps 3] [--out benchmarks/results/sft_throughput.json]

Needs TRL (the ``bench`` extra: ``pip install -e '.[bench]'``); the product itself never imports it.

Three parts, one invocation:

1. **Trained, paper shape** (config/paper.yaml ``sft``: 8 per device × 64 accumulation = 512 per
   optimiser step, one process): ``--steps`` optimiser steps, i.e. one epoch over ``steps × 512``
   examples, so every variant trains on exactly the same examples and real tokens. Each variant runs
   in its own child process, one after the other (``--rounds`` repeats the sequence, interleaved):

   - ``random``, ``group_by_length``, ``step_sorted``: ``mlpt.sft.train`` as the ``sft`` rule calls it,
     with that ``sft.batching``;
   - ``padding_free``: ``step_sorted`` with ``sft.padding_free`` (one flattened row per micro-batch);
   - ``trl_grouped``: TRL ``SFTTrainer`` without gradient checkpointing and with length-grouped
     batches, TRL's fastest CPU setting (the earlier demo-shape runs of this script: without
     checkpointing is TRL's fastest; grouping removes its padding as it does ours);
   - ``trl_no_ckpt`` (optional, ``--variants``): TRL without gradient checkpointing, random order.

   The recipe is the paper's (lr, schedule, warm-up, weight decay, max_length 1024) with the CPU's
   settings: fp32 (no bf16 autocast) and no gradient checkpointing, for every variant alike.
2. **Counted, demo shape** (config/demo.yaml ``sft``: 16 per device, accumulation 1; the control
   task the same): an optimiser step is one micro-batch, so sorting inside a step cannot change its
   padding; the shares are counted from the examples' token lengths with ``mlpt.batching``
   (``step_batches`` + ``padding_share``: what the collator would pad), no training.
3. **Counted, paper shape on the whole shipped data** (GSM8K train, API-Bank level-3 calls), one,
   four and eight ranks: the padding shares ``mlpt.cluster`` uses to count the positions a GPU
   computes (``PADDING_SHARE``).

Model: a random-initialised tiny Qwen3 (mlpt.tiny defaults: hidden 128, 2 layers) with a byte-level
BPE tokenizer trained on the items, built as the ``build_tokenizer`` / ``build_base_model`` rules do.
Data: English training items from resources/, drawn by mlpt.data and rendered with mlpt.prompts
exactly as the mixture stage does. To measure, the child process adds a step-timing callback (wall
and CPU time of the process) and reads the padding counts of the collator that ``mlpt.sft.train``
already wraps (``mlpt.batching.CountingCollator``; TRL's collator is wrapped the same way); nothing
else in the training path is changed. The machine may be shared, so throughput is real (non-padding)
tokens per CPU-second of the training process. GPUs are hidden from the children.

Numbers are CPU/tiny-model ratios: they compare code paths and batchings, not GPU throughput.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER_VOCAB = 2000  # config/demo.yaml tiny_tokenizer.vocab_size
MODEL_LIKE = "Qwen/Qwen3-0.6B-Base"  # mlpt.tiny.TEXT_SIZES: hidden 128, 2 layers, 4 heads
SEED = 1234
WORLD_SIZES = (1, 4, 8)  # the GPUs of config/paper.yaml's SFT tiers
#: variant -> what it changes: ``sft`` keys of mlpt's TrainConfig, or TRL SFTConfig options
VARIANTS = {
    "random": {"batching": "random"},
    "group_by_length": {"batching": "group_by_length"},
    "step_sorted": {"batching": "step_sorted"},
    "padding_free": {"batching": "step_sorted", "padding_free": True},
    "trl_grouped": {"trl": {"gradient_checkpointing": False, "train_sampling_strategy": "group_by_length"}},
    "trl_no_ckpt": {"trl": {"gradient_checkpointing": False}},
}
DEFAULT_VARIANTS = ("random", "group_by_length", "step_sorted", "padding_free", "trl_grouped")
TRL_BEST = "trl_grouped"
VARIANT_NOTES = {
    "random": "`mlpt.sft.train`, `sft.batching: random`: each step the next 512 examples of a seeded "
              "permutation, cut into micro-batches of 8 in permutation order.",
    "group_by_length": "`sft.batching: group_by_length`: transformers' epoch-wide length grouping (other "
                       "examples share a step: another recipe, losses not comparable step by step).",
    "step_sorted": "`sft.batching: step_sorted` (the default): the steps of `random`, sorted by length "
                   "inside each step and cut into cost-balanced micro-batches: the same update.",
    "padding_free": "`step_sorted` + `sft.padding_free: true`: each micro-batch one flattened row with "
                    "per-example position ids; on CPU/sdpa the per-example mask costs (Σlen)².",
    "trl_grouped": "TRL `SFTTrainer` (prompt-completion, completion-only loss, fused AdamW, its per-step "
                   "entropy/accuracy logging), gradient checkpointing off, `train_sampling_strategy="
                   "\"group_by_length\"`: TRL's fastest CPU setting; recipe values as mlpt's.",
    "trl_no_ckpt": "TRL `SFTTrainer`, gradient checkpointing off, random order.",
}


TEXT_FIELDS = ("question", "reasoning", "apis", "call")  # what the build_tokenizer rule trains on
ALL_ITEMS = 100_000  # n_train above any shipped pool: every usable item


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the recipe and the shared inputs ------------------------------------------------------------


def train_config(config_file: str, **changes):
    """The TrainConfig of ``config_file``'s ``sft`` section for one CPU epoch: fp32, no gradient
    checkpointing (for every variant alike), the last checkpoint kept (no validation generation:
    only the training step is measured), then ``changes``."""
    from mlpt import config, sft

    hparams = config.load(ROOT / config_file)["sft"]
    cfg = sft.TrainConfig(**{k: v for k, v in hparams.items() if k in sft.TrainConfig.__dataclass_fields__})
    fixed = {"epochs": 1, "selection": "last", "bf16": False, "gradient_checkpointing": False, "seed": SEED}
    for key, value in {**fixed, **changes}.items():
        setattr(cfg, key, value)
    return cfg


def rendered_records(source: str, kind: str, n_train: int) -> list[dict]:
    """Up to ``n_train`` English training records of ``source``, rendered as the mixture stage does."""
    from mlpt import data, prompts

    prepared = data.prepare(source, ROOT / "resources", kind, {"n_train": n_train, "n_val": 0, "n_test": 1},
                            ["en"], "en", SEED)
    phrases = prompts.load_phrases(ROOT / "resources" / prompts.PHRASES_FILE)
    return [{"id": r["id"], "lang": r["lang"], "split": "train", "text_fields": [r[k] for k in TEXT_FIELDS if r.get(k)],
             "prompt": prompts.render_prompt(kind, r, phrases), "response": prompts.render_response(kind, r, phrases),
             "answer": r["answer"]} for r in prepared.records if r["split"] == "train"]




def build_inputs(work: Path, n_examples: int) -> dict:
    """The data sets, one tokenizer trained on all their texts, a tiny Qwen3 (in ``work``), and
    ``work/mixture.jsonl``: the first ``n_examples`` GSM8K records (what the trained part uses)."""
    from mlpt import io, tiny

    demo_control = _demo_config()["tasks"]["control"]["n_train"]
    sets = {"gsm8k": rendered_records("gsm8k_mgsm", "math", ALL_ITEMS),
            "api_bank": rendered_records("api_bank", "api_call", ALL_ITEMS),
            "control": rendered_records("synthetic_arithmetic", "math", demo_control)}
    texts = [t for records in sets.values() for r in records for t in r.pop("text_fields")]
    tokenizer = tiny.build_lm_tokenizer(texts, TOKENIZER_VOCAB, work / "tokenizer")
    n_params = tiny.build_causal_lm(MODEL_LIKE, None, work / "tokenizer", work / "model", seed=SEED,
                                    resources_dir=ROOT / "resources")
    if len(sets["gsm8k"]) < n_examples:
        raise SystemExit(f"--steps asks for {n_examples} examples; the shipped GSM8K has {len(sets['gsm8k'])}")
    io.write_jsonl(work / "mixture.jsonl", sets["gsm8k"][:n_examples], schema="train_record")
    return {"sets": sets, "parameters": n_params, "vocabulary": tokenizer.get_vocab_size()}


def _demo_config() -> dict:
    from mlpt import config

    return config.load(ROOT / "config/demo.yaml")


# --- counted: padding of each batching from token lengths -------------------------------------------


def token_lengths(model_dir: Path, records: list[dict], max_length: int) -> list[int]:
    """Tokens per training example as ``mlpt.sft`` tokenizes it (chat template; never cut)."""
    from mlpt import prompts, sft

    tokenizer = prompts.load_tokenizer(str(model_dir))
    return [len(sft.tokenize_example(tokenizer, r["prompt"], r["response"], max_length)[0]["input_ids"])
            for r in records]


def padding_shares(lengths: list[int], global_batch: int, micro_batch: int, world_size: int) -> dict[str, float]:
    """Padding share of one epoch under each ``sft.batching`` (``padding_free``: none by construction).

    ``group_by_length`` is counted on one process only (``mlpt.batching.step_batches``)."""
    from mlpt import batching

    shares = {}
    for name in batching.BATCHINGS:
        if name == "group_by_length" and world_size > 1:
            continue
        ranks = batching.step_batches(lengths, global_batch, micro_batch, world_size, seed=SEED, batching=name)
        shares[name] = round(batching.padding_share(lengths, [mb for rank in ranks for mb in rank]), 4)
    return shares


def count_padding(model_dir: Path, sets: dict[str, list[dict]]) -> dict:
    """Part 2 (demo shape: math and control) and part 3 (paper shape, whole shipped data)."""
    paper, demo = train_config("config/paper.yaml"), _demo_config()
    control = {**demo["sft"], **demo["tasks"]["control"]["sft"]}
    demo_shapes = {"gsm8k": (demo["sft"]["global_batch_size"], demo["sft"]["per_device_batch_size"],
                             demo["sft"]["max_length"]),
                   "control": (control["global_batch_size"], control["per_device_batch_size"], control["max_length"])}
    out = {"demo_shape": {}, "paper_shape": {}}
    for name, (global_batch, micro, max_length) in demo_shapes.items():
        lengths = token_lengths(model_dir, sets[name], max_length)
        out["demo_shape"][name] = {"examples": len(lengths), "global_batch": global_batch, "per_device": micro,
                                   "mean_tokens": round(statistics.mean(lengths), 1),
                                   "shares": padding_shares(lengths, global_batch, micro, 1)}
    for name in ("gsm8k", "api_bank"):
        lengths = token_lengths(model_dir, sets[name], paper.max_length)
        out["paper_shape"][name] = {
            "examples": len(lengths), "global_batch": paper.global_batch_size, "per_device": paper.per_device_batch_size,
            "mean_tokens": round(statistics.mean(lengths), 1), "max_tokens": max(lengths),
            "shares_by_world_size": {w: padding_shares(lengths, paper.global_batch_size, paper.per_device_batch_size, w)
                                     for w in WORLD_SIZES}}
    return out


# --- trained: one variant, in a child process -----------------------------------------------------


class Probe:
    """What a child process records: (wall, CPU) timestamps at the start of training and after every
    optimiser step, the settings the trainer ran with, and the counting collator it used."""

    def __init__(self):
        self.times: list[tuple[float, float]] = []
        self.used: dict = {}
        self.collator = None  # an mlpt.batching.CountingCollator


def _step_timer(probe: Probe):
    """A Trainer callback filling ``probe.times`` and ``probe.used``."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            probe.used.update(train_sampling_strategy=str(args.train_sampling_strategy),
                              gradient_checkpointing=bool(args.gradient_checkpointing),
                              per_device_batch_size=args.per_device_train_batch_size,
                              gradient_accumulation_steps=args.gradient_accumulation_steps)
            probe.times.append((time.perf_counter(), time.process_time()))

        def on_step_end(self, args, state, control, **kwargs):
            probe.times.append((time.perf_counter(), time.process_time()))

    return StepTimer()


def _train_mlpt(work: Path, variant: str, probe: Probe) -> list[float]:
    """``mlpt.sft.train`` unchanged, with a step timer added (this child process only)."""
    import transformers

    from mlpt import prompts, sft

    original_init = transformers.Trainer.__init__

    def init_with_timer(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_callback(_step_timer(probe))
        probe.collator = self.data_collator  # sft.train wraps its collator in batching.CountingCollator

    transformers.Trainer.__init__ = init_with_timer
    cfg = train_config("config/paper.yaml", **VARIANTS[variant])
    probe.used.update(asdict(cfg))
    phrases = prompts.load_phrases(ROOT / "resources" / prompts.PHRASES_FILE)
    summary = sft.train(str(work / "model"), str(work / "mixture.jsonl"), str(work / f"out-{variant}"),
                        str(work / f"log-{variant}.json"), str(work / f"ckpt-{variant}"), cfg,
                        kind="math", answer_phrases=prompts.answer_phrases(phrases))
    probe.used["train_log_padding_share"] = summary["padding_share"]
    return [row["loss"] for row in summary["loss_curve"]]


def _train_trl(work: Path, variant: str, probe: Probe) -> list[float]:
    """TRL SFTTrainer on the same records as conversational prompt-completion pairs."""
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from mlpt import batching, io

    cfg = train_config("config/paper.yaml")
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
             "completion": [{"role": "assistant", "content": r["response"]}]}
            for r in io.read_jsonl(work / "mixture.jsonl")]
    args = SFTConfig(
        output_dir=str(work / f"ckpt-{variant}"), num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.global_batch_size // cfg.per_device_batch_size,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay, seed=cfg.seed, max_length=cfg.max_length, bf16=False, use_cpu=True,
        logging_steps=1, save_strategy="no", report_to=[], **VARIANTS[variant]["trl"],
    )
    probe.used.update(max_length=args.max_length, completion_only_loss=args.completion_only_loss,
                      optim=str(args.optim))
    tokenizer = AutoTokenizer.from_pretrained(work / "model")
    model = AutoModelForCausalLM.from_pretrained(work / "model", dtype="float32")
    trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows),
                         processing_class=tokenizer, callbacks=[_step_timer(probe)])
    trainer.data_collator = probe.collator = batching.CountingCollator(trainer.data_collator)
    trainer.train()
    return [h["loss"] for h in trainer.state.log_history if "loss" in h]


def run_variant(variant: str, work: Path, steps: int) -> dict:
    """Train one variant for one epoch of ``steps`` optimiser steps; its counts and timings."""
    import torch

    torch.set_num_threads(1)
    probe = Probe()
    train = _train_trl if "trl" in VARIANTS[variant] else _train_mlpt
    losses = train(work, variant, probe)
    times, collator = probe.times, probe.collator
    if len(times) != steps + 1:
        raise RuntimeError(f"{variant}: expected {steps} optimiser steps, timed {len(times) - 1}")
    wall, cpu = times[-1][0] - times[0][0], times[-1][1] - times[0][1]
    return {
        "variant": variant, "settings": probe.used, "steps": steps,
        "real_tokens": collator.real_tokens, "positions": collator.positions,
        "padding_share": round(collator.padding_share, 4),
        "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "real_tokens_per_cpu_s": round(collator.real_tokens / cpu, 1),
        "positions_per_cpu_s": round(collator.positions / cpu, 1),
        "real_tokens_per_s": round(collator.real_tokens / wall, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1), "losses": losses,
    }


# --- report --------------------------------------------------------------------------------------


def summarise(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """One row per variant: the first run's counts and losses, the median throughput over rounds."""
    rows = {}
    for name, repeats in runs.items():
        row = dict(repeats[0])
        for key in ("cpu_seconds", "wall_seconds", "real_tokens_per_cpu_s", "positions_per_cpu_s", "real_tokens_per_s"):
            row[key] = round(statistics.median(r[key] for r in repeats), 2)
        row["real_tokens_per_cpu_s_by_round"] = [r["real_tokens_per_cpu_s"] for r in repeats]
        rows[name] = row
    return rows


def compare(rows: dict[str, dict]) -> dict[str, dict]:
    """Each variant's throughput against ``random`` and TRL's best, and its loss curve against ``random``'s."""
    def ratio(name: str, base: str) -> float | None:
        return round(rows[name]["real_tokens_per_cpu_s"] / rows[base]["real_tokens_per_cpu_s"], 3) if base in rows else None

    out = {}
    for name, r in rows.items():
        same_examples = "random" in rows and r["real_tokens"] == rows["random"]["real_tokens"]
        out[name] = {
            "vs_random": ratio(name, "random"), "vs_trl_best": ratio(name, TRL_BEST),
            "same_real_tokens_as_random": same_examples,
            "max_abs_loss_diff_vs_random": (max(abs(a - b) for a, b in zip(r["losses"], rows["random"]["losses"],
                                                                                strict=True))
                                            if "random" in rows and name in ("step_sorted", "padding_free") else None),
        }
    return out


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def trained_table(rows: dict[str, dict], cmp_: dict[str, dict]) -> list[str]:
    lines = ["| variant | padding | real tok per CPU-s | vs random | vs TRL best | CPU s | peak RSS MiB "
             "| max \\|Δloss\\| vs random |",
             "|:--|--:|--:|--:|--:|--:|--:|--:|"]
    for name, r in rows.items():
        c = cmp_[name]
        diff = c["max_abs_loss_diff_vs_random"]
        lines.append("| " + " | ".join([
            name, _pct(r["padding_share"]), f"{r['real_tokens_per_cpu_s']:,.0f}", _x(c["vs_random"]),
            _x(c["vs_trl_best"]), f"{r['cpu_seconds']:.1f}", f"{r['peak_rss_mb']:,.0f}",
            "–" if diff is None else f"{diff:.1e}"]) + " |")
    return lines


def demo_table(counted: dict) -> list[str]:
    lines = ["| data | examples | global = per device | mean tokens | random | step_sorted | group_by_length |",
             "|:--|--:|--:|--:|--:|--:|--:|"]
    for name, d in counted["demo_shape"].items():
        s = d["shares"]
        lines.append(f"| {name} | {d['examples']} | {d['global_batch']} = {d['per_device']} | {d['mean_tokens']:.0f} "
                     f"| {_pct(s['random'])} | {_pct(s['step_sorted'])} | {_pct(s['group_by_length'])} |")
    return lines


def plan_table(counted: dict) -> list[str]:
    lines = ["| data | examples | mean tokens | ranks | random | step_sorted | group_by_length |",
             "|:--|--:|--:|--:|--:|--:|--:|"]
    for name, d in counted["paper_shape"].items():
        for world, s in d["shares_by_world_size"].items():
            lines.append(f"| {name} | {d['examples']} | {d['mean_tokens']:.0f} | {world} | {_pct(s['random'])} "
                         f"| {_pct(s['step_sorted'])} | {_pct(s['group_by_length']) if 'group_by_length' in s else '–'} |")
    return lines


def verdict(rows: dict[str, dict], cmp_: dict[str, dict]) -> str:
    """Whether step_sorted meets its target: ≤ 2% padding and ≥ 1.2× TRL's best real tokens per CPU-s."""
    if "step_sorted" not in rows or TRL_BEST not in rows:
        return "step_sorted or TRL's best was not run: no verdict."
    share, speed = rows["step_sorted"]["padding_share"], cmp_["step_sorted"]["vs_trl_best"]
    met = share <= 0.02 and speed >= 1.2
    return (f"Target (step_sorted ≤ 2% padding at the paper's shape and ≥ 1.2× TRL's best in real tokens per "
            f"CPU-second): **{'met' if met else 'not met'}** — {_pct(share)} padding, {speed:.2f}× `{TRL_BEST}`.")


def token_notes(rows: dict[str, dict]) -> list[str]:
    """A line per variant that trained on other real tokens than ``random`` (TRL's tokenization)."""
    if "random" not in rows:
        return []
    base = rows["random"]["real_tokens"]
    return [f"`{name}` trained on {r['real_tokens']:,} real tokens, {r['real_tokens'] / base - 1:+.1%} against mlpt's "
            f"{base:,}: TRL's prompt-completion tokenization adds no EOS after the chat template's end-of-turn "
            "marker, mlpt.sft does; throughput is per real token, so this barely matters.\n"
            for name, r in rows.items() if r["real_tokens"] != base]


def markdown(report: dict) -> str:
    m, rows, cmp_, counted = report["machine"], report["results"], report["comparison"], report["counted"]
    size = f"{report['parameters'] / 1e6:.2f}M-parameter"
    loads = ", ".join(f"{name} {statistics.mean(r['load_average_before']):.1f}" for name, r in report["runs"].items())
    lines = [
        "# SFT batching: padding and real tokens per CPU-second (CPU, tiny model)",
        "",
        f"Measured {report['date']} on {m['machine']} ({m['cpus']} cores shared with other jobs; 1 torch thread; "
        f"no GPU), torch {m['torch']}, transformers {m['transformers']}, TRL {m['trl']}. Tiny random-initialised "
        f"Qwen3 ({report['parameters']:,} parameters: hidden 128, 2 layers, vocabulary {report['vocabulary']:,}).",
        "",
        f"**CPU numbers for a {size} model.** They compare batchings and code paths on one CPU thread; they are "
        "not GPU throughput and give no MFU.",
        "",
        "## Trained: the paper's batch shape",
        "",
        f"{report['examples']} English GSM8K training items rendered by mlpt.prompts; one epoch = {report['steps']} "
        f"optimiser steps of {report['global_batch']} examples ({report['per_device']} per forward pass × "
        f"{report['global_batch'] // report['per_device']} accumulation, one process); the paper's recipe (lr "
        f"{report['learning_rate']}, cosine, warm-up 3%, weight decay 0.01, max_length {report['max_length']}) in "
        "fp32 without gradient checkpointing for every variant. Each variant in its own process, "
        f"{report['rounds']} round(s), variants back to back in one invocation.",
        "",
        *trained_table(rows, cmp_),
        "",
        verdict(rows, cmp_),
        "",
        *token_notes(rows),
        *(f"- `{name}`: {VARIANT_NOTES[name]}" for name in rows),
        "",
        "real tok per CPU-s: non-padding tokens of the epoch per CPU-second of the training process, from the "
        "start of training to the end of the last optimiser step (median over rounds; every variant trains on "
        "the same examples). padding: padded / all positions computed (the collator's counts; "
        "mlpt's own `padding_share` in train_log.json). max |Δloss|: largest per-step loss difference from "
        "`random` — `step_sorted` and `padding_free` take the same examples per optimiser step, so their updates "
        "are `random`'s. 1-minute load average before each variant (mean over rounds): " + loads +
        f" on {m['cpus']} cores.",
        "",
        "## Counted: the demo's batch shape",
        "",
        "config/demo.yaml `sft`: 16 examples per optimiser step, 16 per forward pass, accumulation 1 (the control "
        "task the same). A step is one micro-batch, so `step_sorted` — which only regroups a step's examples — "
        "cannot change its padding: it equals `random`'s. Counted from token lengths (`mlpt.batching`), no training.",
        "",
        *demo_table(counted),
        "",
        "## Counted: the paper's shape on the whole shipped data (what `make plan` uses)",
        "",
        "512 per step, 8 per forward pass, on 1, 4 or 8 ranks (the GPUs of config/paper.yaml's SFT tiers); "
        "`group_by_length` counted on one rank. `mlpt.cost_plan.PADDING_SHARE` holds the one-rank shares.",
        "",
        *plan_table(counted),
        "",
        f"Regenerate: `{report['command']}`",
        "",
    ]
    return "\n".join(lines)


def _versions() -> dict:
    from importlib import metadata

    return {pkg: metadata.version(pkg) for pkg in ("torch", "transformers", "trl")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="optimiser steps of 512 examples per variant (default 3)")
    parser.add_argument("--rounds", type=int, default=1, help="times the variants are run, interleaved (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/sft_throughput.json",
                        help="JSON result; a Markdown summary is written beside it (.md)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(DEFAULT_VARIANTS),
                        help=f"variants to train (default: {' '.join(DEFAULT_VARIANTS)})")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("trl") is None:
        print("sft_throughput: TRL is not installed; it is needed for this benchmark only:\n"
              "    .venv/bin/pip install -e '.[bench]'   (or: .venv/bin/pip install trl==1.16.0)", file=sys.stderr)
        return 2
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds must be at least 1")

    if args.child:
        variant, work = args.child[0], Path(args.child[1])
        (work / f"{variant}.json").write_text(json.dumps(run_variant(variant, work, args.steps)))
        return 0

    cfg = train_config("config/paper.yaml")
    # CPU only, one thread per child: mlpt.sft would pick a visible GPU by itself
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    runs: dict[str, list[dict]] = {v: [] for v in args.variants}
    with tempfile.TemporaryDirectory(prefix="sft-bench-") as tmp:
        work = Path(tmp)
        inputs = build_inputs(work, args.steps * cfg.global_batch_size)
        print("[sft_throughput] counting padding ...", flush=True)
        counted = count_padding(work / "model", inputs.pop("sets"))
        for round_ in range(args.rounds):
            for variant in args.variants:
                print(f"[sft_throughput] round {round_ + 1}: {variant} ...", flush=True)
                load = os.getloadavg()[0]  # the machine is shared: a busy one slows every variant
                subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--child", variant, str(work)],
                               check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
                r = {**json.loads((work / f"{variant}.json").read_text()), "load_average_before": load}
                runs[variant].append(r)
                print(f"    padding {_pct(r['padding_share'])}, {r['real_tokens_per_cpu_s']:,.0f} real tok per CPU-s, "
                      f"{r['cpu_seconds']:.0f} CPU-s, losses {[round(x, 4) for x in r['losses']]}", flush=True)
    rows = summarise(runs)
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/sft_throughput.py",
                               *(sys.argv[1:] if argv is None else argv)]),
        "machine": {"machine": platform.machine(), "cpus": os.cpu_count(), "torch_threads": 1, **_versions()},
        "steps": args.steps, "rounds": args.rounds, "examples": args.steps * cfg.global_batch_size,
        "global_batch": cfg.global_batch_size, "per_device": cfg.per_device_batch_size,
        "learning_rate": cfg.learning_rate, "max_length": cfg.max_length, **inputs,
        "results": rows, "comparison": compare(rows), "counted": counted,
        "runs": {name: {"load_average_before": [r["load_average_before"] for r in repeats]}
                 for name, repeats in runs.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
