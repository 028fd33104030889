"""SFT throughput on CPU: our training step (mlpt.sft) against TRL's SFTTrainer, same model and data.

    .venv/bin/python benchmarks/sft_throughput.py [--steps 25] [--out benchmarks/results/sft_throughput.json]

Needs TRL (the ``bench`` extra: ``pip install -e '.[bench]'``); the product itself never imports it.

What is compared (each variant in its own child process, one after the other, one CPU thread):

- ``mlpt``: ``mlpt.sft.train`` as the ``sft`` rule calls it (transformers Trainer + CompletionCollator,
  response-only loss), with the demo's TrainConfig (config/demo.yaml ``sft``);
- ``mlpt_grouped``: the same, with length-grouped batches (``train_sampling_strategy="group_by_length"``);
- ``trl``: TRL ``SFTTrainer`` with its defaults (conversational prompt-completion records,
  ``completion_only_loss``, gradient checkpointing on), except what the recipe fixes: learning rate,
  schedule, warm-up, weight decay, batch, steps, seed; ``bf16=False`` on CPU;
- ``trl_no_ckpt``: the same without gradient checkpointing (like for like with ``mlpt``);
- ``trl_padding_free``: ``padding_free=True`` (one flattened sequence per batch, no padding).

Model: a random-initialised tiny Qwen3 (mlpt.tiny defaults: hidden 128, 2 layers) with a byte-level BPE
tokenizer trained on the items, built as the ``build_tokenizer`` / ``build_base_model`` rules do. Data: real
GSM8K training items from resources/, drawn by mlpt.data and rendered with mlpt.prompts exactly as the
mixture stage does. To measure, the child process wraps the data collator (counting real and padded tokens
per batch) and adds a step-timing callback (wall and CPU time); nothing else in the training path is changed.
The machine may be shared, so besides wall-clock tokens/s the ratios use tokens per CPU-second of the
training process. GPUs are hidden from the children: this is a CPU benchmark.

Numbers are CPU/tiny-model numbers: they compare the two code paths, not GPU throughput.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER_VOCAB = 2000  # config/demo.yaml tiny_tokenizer.vocab_size
MODEL_SPEC = {"arch": "qwen3"}  # mlpt.tiny.CAUSAL_LM_DEFAULTS: hidden 128, 2 layers, 4 heads
VARIANTS = ("mlpt", "trl", "trl_no_ckpt", "mlpt_grouped", "trl_padding_free")
SEED = 1234
VARIANT_NOTES = {
    "mlpt": "`mlpt.sft.train` as the `sft` rule runs it (Trainer + CompletionCollator, demo TrainConfig).",
    "trl": "TRL `SFTTrainer` defaults (prompt-completion, completion-only loss, gradient checkpointing, fused "
           "AdamW, TRL's per-step entropy/accuracy logging); recipe values as `mlpt`.",
    "trl_no_ckpt": "`trl` without gradient checkpointing: like for like with `mlpt`.",
    "mlpt_grouped": "`mlpt` with length-grouped batches (`train_sampling_strategy=\"group_by_length\"`): the same "
                    "examples in other batches, so its losses are not comparable step by step.",
    "trl_padding_free": "`trl` with `padding_free=True` (one flattened row per batch, per-example attention "
                        "built from position ids; on CPU/sdpa that mask costs (Σlen)²).",
}


# --- measuring ---------------------------------------------------------------------------------


def batch_token_counts(batch) -> tuple[int, int]:
    """(real tokens, positions) of one collated batch.

    Padded positions are the zeros of ``attention_mask``; a batch without one (padding-free:
    examples concatenated into one row) has no padding."""
    positions = int(batch["input_ids"].numel())
    mask = batch.get("attention_mask")
    real = int(mask.sum()) if mask is not None else positions
    return real, positions


def padding_fraction(counts) -> float:
    """Share of computed positions that are padding, over (real, positions) pairs."""
    counts = list(counts)
    positions = sum(p for _, p in counts)
    return 1 - sum(r for r, _ in counts) / positions if positions else 0.0


class CountingCollator:
    """Wraps a data collator; records (real tokens, positions) of every batch it builds."""

    def __init__(self, collator):
        self.collator = collator
        self.counts: list[tuple[int, int]] = []

    def __call__(self, features):
        batch = self.collator(features)
        self.counts.append(batch_token_counts(batch))
        return batch


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # Linux fallback
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the shared inputs: data and tiny model ------------------------------------------------------


def demo_train_config():
    """The demo's TrainConfig (config/demo.yaml ``sft``) for one epoch, keeping the last checkpoint."""
    from mlpt import config, sft

    hparams = config.load(ROOT / "config/demo.yaml")["sft"]
    cfg = sft.TrainConfig(**{k: v for k, v in hparams.items() if k in sft.TrainConfig.__dataclass_fields__}, seed=SEED)
    cfg.epochs = 1
    cfg.selection = "last"  # no validation generation: only the training step is measured
    return cfg


def build_inputs(work: Path, n_examples: int) -> dict:
    """GSM8K records rendered as the mixture stage does, a tokenizer and a tiny Qwen3 (in ``work``)."""
    from mlpt import data, io, prompts, tiny

    prepared = data.prepare("gsm8k_mgsm", ROOT / "resources", "math", {"n_train": n_examples, "n_val": 0, "n_test": 1},
                            ["en"], "en", SEED)
    train = [r for r in prepared.records if r["split"] == "train"]
    phrases = prompts.load_phrases(ROOT / "resources" / prompts.PHRASES_FILE)
    records = [{"id": r["id"], "lang": r["lang"], "split": "train", "prompt": prompts.render_prompt("math", r, phrases),
                "response": prompts.render_response("math", r, phrases), "answer": r["answer"]} for r in train]
    io.write_jsonl(work / "mixture.jsonl", records, schema="train_record")
    texts = [t for r in train for t in (r["question"], r["reasoning"])]
    tokenizer = tiny.build_lm_tokenizer(texts, TOKENIZER_VOCAB, work / "tokenizer")
    spec = dict(MODEL_SPEC)
    n_params = tiny.build_causal_lm(spec.pop("arch"), spec, work / "tokenizer", work / "model", seed=SEED)
    return {"examples": len(records), "parameters": n_params, "vocabulary": len(tokenizer)}


# --- one variant, in a child process -------------------------------------------------------------


class Probe:
    """What a child process records: (wall, CPU) timestamps at the start of training and after every
    optimiser step, the settings the trainer actually ran with, and the wrapped collator."""

    def __init__(self):
        self.times: list[tuple[float, float]] = []
        self.used: dict = {}
        self.collator: CountingCollator | None = None

    def wrap(self, collator) -> CountingCollator:
        self.collator = CountingCollator(collator)
        return self.collator


def _step_timer(probe: Probe):
    """A Trainer callback filling ``probe.times`` and ``probe.used``."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            probe.used.update(train_sampling_strategy=str(args.train_sampling_strategy),
                              gradient_checkpointing=bool(args.gradient_checkpointing))
            probe.times.append((time.perf_counter(), time.process_time()))

        def on_step_end(self, args, state, control, **kwargs):
            probe.times.append((time.perf_counter(), time.process_time()))

    return StepTimer()


def _train_mlpt(work: Path, grouped: bool, probe: Probe) -> tuple[list[float], dict]:
    """mlpt.sft.train unchanged, with the collator wrapped and a step timer added (this child process only)."""
    import transformers

    from mlpt import prompts, sft

    original_collator, original_init = sft.CompletionCollator, transformers.Trainer.__init__

    def init_with_timer(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_callback(_step_timer(probe))

    sft.CompletionCollator = lambda pad_id: probe.wrap(original_collator(pad_id))
    transformers.Trainer.__init__ = init_with_timer
    cfg = demo_train_config()
    cfg.group_by_length = grouped  # the sft.group_by_length option
    phrases = prompts.load_phrases(ROOT / "resources" / prompts.PHRASES_FILE)
    summary = sft.train(str(work / "model"), str(work / "mixture.jsonl"), str(work / "out-model"),
                        str(work / "log.json"), str(work / "ckpt"), cfg,
                        kind="math", answer_phrases=prompts.answer_phrases(phrases))
    losses = [row["loss"] for row in summary["loss_curve"]]
    return losses, {"max_length": cfg.max_length, "truncated_examples": summary["derived"]["truncated_examples"]}


def _train_trl(work: Path, variant: str, probe: Probe) -> tuple[list[float], dict]:
    """TRL SFTTrainer on the same records as conversational prompt-completion pairs."""
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from mlpt import io

    cfg = demo_train_config()
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
             "completion": [{"role": "assistant", "content": r["response"]}]}
            for r in io.read_jsonl(work / "mixture.jsonl")]
    options = {"gradient_checkpointing": False} if variant == "trl_no_ckpt" else {}
    if variant == "trl_padding_free":
        options = {"padding_free": True, "max_length": None}  # TRL: no max_length without packing
    args = SFTConfig(
        output_dir=str(work / "ckpt"), num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.per_device_batch_size, gradient_accumulation_steps=1,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup_ratio,
         weight_decay=cfg.weight_decay, seed=cfg.seed, bf16=False, use_cpu=True,
        logging_steps=1, save_strategy="no", report_to=[], **options,
    )
    tokenizer = AutoTokenizer.from_pretrained(work / "model")
    model = AutoModelForCausalLM.from_pretrained(work / "model", dtype="float32")
    trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows),
                         processing_class=tokenizer, callbacks=[_step_timer(probe)])
    trainer.data_collator = probe.wrap(trainer.data_collator)
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return losses, {"max_length": args.max_length, "padding_free": args.padding_free,
                    "completion_only_loss": args.completion_only_loss, "optim": str(args.optim)}


def run_variant(variant: str, work: Path, steps: int) -> dict:
    import torch

    torch.set_num_threads(1)
    rss_start = _rss_mb()
    probe = Probe()
    if variant.startswith("mlpt"):
        losses, settings = _train_mlpt(work, variant == "mlpt_grouped", probe)
    else:
        losses, settings = _train_trl(work, variant, probe)
    settings.update(probe.used)
    times, counts = probe.times, probe.collator.counts[:steps]
    if len(times) != steps + 1 or len(counts) != steps:
        raise RuntimeError(f"{variant}: expected {steps} steps, timed {len(times) - 1}, collated {len(counts)} batches")
    real = [r for r, _ in counts]
    seconds = times[-1][0] - times[0][0]
    steady = times[-1][0] - times[1][0]  # steps 2..N: the first step carries one-off start-up costs
    steady_cpu = times[-1][1] - times[1][1]  # CPU seconds of this process: robust to other jobs on the machine
    return {
        "variant": variant, "settings": settings, "steps": steps,
        "real_tokens": sum(real), "positions": sum(p for _, p in counts),
        "padding_fraction": round(padding_fraction(counts), 4),
        "train_seconds": round(seconds, 3), "real_tokens_per_s": round(sum(real) / seconds, 1),
        "steady_real_tokens_per_s": round(sum(real[1:]) / steady, 1),
        "seconds_per_step_steady": round(steady / (steps - 1), 4),
        "steady_real_tokens_per_cpu_s": round(sum(real[1:]) / steady_cpu, 1),
        "rss_start_mb": round(rss_start, 1), "peak_rss_mb": round(_peak_rss_mb(), 1),
        "first_loss": losses[0], "final_loss": losses[-1], "losses": losses,
    }


# --- report --------------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3)


def compare(results: dict[str, dict]) -> dict:
    """Ratios against ``mlpt`` (throughput, memory) and loss-curve differences."""
    base = results["mlpt"]
    return {
        name: {
            "tokens_per_s_vs_mlpt": _ratio(r["real_tokens_per_s"], base["real_tokens_per_s"]),
            "steady_tokens_per_s_vs_mlpt": _ratio(r["steady_real_tokens_per_s"], base["steady_real_tokens_per_s"]),
            "tokens_per_cpu_s_vs_mlpt": _ratio(r["steady_real_tokens_per_cpu_s"], base["steady_real_tokens_per_cpu_s"]),
            "peak_rss_vs_mlpt": _ratio(r["peak_rss_mb"], base["peak_rss_mb"]),
            "same_real_tokens": r["real_tokens"] == base["real_tokens"],
            "max_abs_loss_diff": max(abs(a - b) for a, b in zip(r["losses"], base["losses"], strict=True)),
            "final_loss_diff": r["final_loss"] - base["final_loss"],
        }
        for name, r in results.items() if name != "mlpt"
    }


def _row(name: str, r: dict, c: dict) -> str:
    ckpt = "on" if r["settings"]["gradient_checkpointing"] else "off"
    loss_diff = f"{c['max_abs_loss_diff']:.1e}" if c else "–"
    ratio = c.get("tokens_per_cpu_s_vs_mlpt", 1.0)
    cells = [name, ckpt, f"{100 * r['padding_fraction']:.1f}%", f"{r['real_tokens_per_s']:,.0f}",
             f"{r['steady_real_tokens_per_s']:,.0f}", f"{r['steady_real_tokens_per_cpu_s']:,.0f}", f"{ratio:.2f}×",
             f"{r['peak_rss_mb']:,.0f}", f"{r['final_loss']:.4f}", loss_diff]
    return "| " + " | ".join(cells) + " |"


def markdown(report: dict) -> str:
    m, res, cmp_ = report["machine"], report["results"], report["comparison"]
    size = f"{report['parameters'] / 1e6:.2f}M-parameter"
    lines = [
        "# SFT throughput: mlpt.sft vs TRL SFTTrainer (CPU, tiny model)",
        "",
        f"Measured {report['date']} on {m['machine']} ({m['cpus']} cores shared with other jobs; 1 torch thread; "
        f"no GPU), torch {m['torch']}, transformers {m['transformers']}, TRL {m['trl']}. Tiny random-initialised "
        f"Qwen3 ({report['parameters']:,} parameters: hidden 128, 2 layers, vocabulary {report['vocabulary']:,}); "
        f"{report['examples']} GSM8K training items rendered by mlpt.prompts; {report['steps']} optimiser steps of "
        f"batch {report['batch_size']}, one epoch, the demo recipe (lr {report['learning_rate']}, cosine, warm-up 3%, "
        "weight decay 0.01). Each variant ran in its own process, one after the other, in one invocation.",
        "",
        f"**CPU numbers for a {size} model.** They compare the two code paths (collation, masking, loss, "
        "trainer overheads); they are not GPU throughput and give no MFU.",
        "",
        "| variant | grad. ckpt | padding | real tok/s | steady tok/s | tok per CPU-s | vs mlpt | peak RSS MiB "
        "| final loss | max \\|Δloss\\| vs mlpt |",
        "|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
        *(_row(name, r, cmp_.get(name, {})) for name, r in res.items()),
        "",
        *(f"- `{name}`: {VARIANT_NOTES[name]}" for name in res),
        "",
        "real tok/s: non-padding tokens per wall-clock second over the whole `train()` (first step included); "
        "steady tok/s: the same over steps 2..N; tok per CPU-s: steps 2..N per CPU-second of the training process, "
        "which other jobs on the shared machine disturb far less than wall time (the `vs mlpt` column is its ratio). "
        "padding: share of computed positions that are padding. Peak RSS: the child process's `ru_maxrss` "
        "(imports included). max |Δloss|: largest per-step difference from `mlpt`'s loss curve. The machine is "
        "shared: 1-minute load average before each variant: "
        + ", ".join(f"{name} {r['load_average_before']:.1f}" for name, r in res.items())
        + f" (on {m['cpus']} cores); single runs, so wall-clock figures vary by tens of percent between runs.",
        "",
        "## GPU-hours in the plan",
        "",
        "`mlpt.cluster.plan` estimates SFT GPU-hours as 6·N·tokens / (peak FLOP/s × MFU) with an assumed MFU "
        "(`cluster.plan` in config/paper.yaml, labelled as an assumption). These CPU numbers cannot give a GPU "
        f"MFU: a {size} model on one CPU thread is bound by framework overhead, not by matrix throughput. No GPU "
        "was lent to the task that recorded them, so nothing was measured on one; the plan keeps its labelled "
        "assumption until an SFT step is timed on a GPU.",
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
    parser.add_argument("--steps", type=int, default=25, help="optimiser steps per variant (default 25)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/sft_throughput.json",
                        help="JSON result; a Markdown summary is written beside it (.md)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS),
                        help="variants to run (mlpt is always run first: the others are compared with it)")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("trl") is None:
        print("sft_throughput: TRL is not installed; it is needed for this benchmark only:\n"
              "    .venv/bin/pip install -e '.[bench]'   (or: .venv/bin/pip install trl==1.16.0)", file=sys.stderr)
        return 2
    if args.steps < 2:
        parser.error("--steps must be at least 2")

    if args.child:
        variant, work = args.child[0], Path(args.child[1])
        result = run_variant(variant, work, args.steps)
        (work / f"{variant}.json").write_text(json.dumps(result))
        return 0

    cfg = demo_train_config()
    variants = ["mlpt"] + [v for v in args.variants if v != "mlpt"]
    # CPU only, one thread per child: mlpt.sft would pick a visible GPU by itself
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    results = {}
    with tempfile.TemporaryDirectory(prefix="sft-bench-") as tmp:
        work = Path(tmp)
        inputs = build_inputs(work, args.steps * cfg.per_device_batch_size)
        for variant in variants:
            print(f"[sft_throughput] {variant} ...", flush=True)
            load = os.getloadavg()[0]  # the machine is shared: a busy one slows every variant
            subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--child", variant, str(work)],
                           check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            r = results[variant] = {**json.loads((work / f"{variant}.json").read_text()), "load_average_before": load}
            print(f"    {r['steady_real_tokens_per_s']:,.0f} real tok/s (steady), "
                  f"{r['steady_real_tokens_per_cpu_s']:,.0f} per CPU-s, padding {100 * r['padding_fraction']:.1f}%, "
                  f"peak RSS {r['peak_rss_mb']:,.0f} MiB, final loss {r['final_loss']:.4f}", flush=True)
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/sft_throughput.py",
                               *(sys.argv[1:] if argv is None else argv)]),
        "machine": {"machine": platform.machine(), "cpus": os.cpu_count(), "torch_threads": 1, **_versions()},
        "steps": args.steps, "batch_size": cfg.per_device_batch_size, "learning_rate": cfg.learning_rate, **inputs,
        "results": results, "comparison": compare(results),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
