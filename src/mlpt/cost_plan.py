"""What a config costs, before anything is submitted (``make plan``, :mod:`mlpt.plan_cli`).

:func:`plan` prices four kinds of cost per model and task, and in total: SFT compute (GPU-hours
from the mixture sizes, :func:`tokens_per_example` per task and language, and the FLOPs per
position, 8 per parameter with gradient checkpointing, 6 without), decoding (evaluation and
per-epoch validation, at a waste of decoded over useful positions), translation (the items the MT
stage translates), and checkpoint I/O (:mod:`mlpt.checkpoint_budget`: bytes written and the
largest temporary disk per job); plus the GPU memory of each SFT job's model states
(:func:`sft_memory_per_gpu`). Throughput is *measured* for a model whose GPU preflight record is
given (``results/<run>/preflight.json``, :mod:`mlpt.preflight`: training tokens/s of its SFT job on
its tier's GPUs, decode tokens/s on one GPU) and *assumed* otherwise (``cluster.plan``: a GPU's
peak FLOP/s times an MFU, decode tokens/s scaled by model size); every row says which. SFT
positions are counted as a GPU computes them, padding included: the real tokens over one minus
the padding share of the config's ``sft.batching`` (:data:`PADDING_SHARE`, measured; none with
``sft.padding_free``).
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

from . import checkpoint_budget, data, mixture_grammar, throughput, token_table
from .cluster import sft_recipe, shards_sft, tier
from .config import task_translation

#: Bytes per parameter of full fine-tuning with AdamW in bf16 mixed precision: fp32 master weights
#: (4), fp32 gradients (4), AdamW's two fp32 moments (8). Activations come on top (with gradient
#: checkpointing, the layer inputs of one micro-batch).
TRAINING_BYTES_PER_PARAM = 16



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



def flops_per_position(params: float, gradient_checkpointing: bool) -> float:
    """FLOPs a GPU computes per trained position: 6 per parameter (forward 2, backward 4), 8 when
    gradient checkpointing recomputes the forward pass during the backward one
    (:func:`mlpt.throughput.train_flops_per_token` with the recomputation counted)."""
    return throughput.train_flops_per_token(params, recompute=gradient_checkpointing)


def tokens_per_example(config: dict, model: str, task: str, languages) -> tuple[float, str]:
    """(mean training tokens of one example of ``task`` for ``model`` over a mixture's ``languages``,
    where the figure comes from): the plan's one source of example lengths.

    From the real-tokenizer table (``<resources_dir>/plan/tokens_per_example.csv``,
    :mod:`mlpt.token_table`: measured per model family, task and language; a mixture's mean is the
    mean of its languages', as it holds the same number of items in each) when it has every
    language of the mixture for the model's family and task ("real tokenizer"); else the flat
    ``cluster.plan.tokens_per_example`` (per task, ``default`` for the rest; "assumed")."""
    counts = [_token_counts(config, model, task, lang) for lang in languages]
    if counts and all(c is not None and c.train_tokens_mean for c in counts):
        return sum(c.train_tokens_mean for c in counts) / len(counts), "real tokenizer"
    flat = config["cluster"]["plan"]["tokens_per_example"]
    return flat.get(task, flat["default"]), "assumed"


def answer_tokens(config: dict, model: str, task: str, lang: str) -> tuple[float, str]:
    """(useful tokens one generated answer of ``task`` in ``lang`` takes for ``model``, where the
    figure comes from): the gold answer's length in the model family's tokens from the
    real-tokenizer table ("real tokenizer"), else ``cluster.plan.generated_tokens`` ("assumed")."""
    counts = _token_counts(config, model, task, lang)
    if counts is not None and counts.answer_tokens_mean:
        return counts.answer_tokens_mean, "real tokenizer"
    return config["cluster"]["plan"]["generated_tokens"], "assumed"


def _token_counts(config: dict, model: str, task: str, lang: str):
    return _token_table(config["resources_dir"]).get((config["models"][model]["family"], task, lang))


@lru_cache(maxsize=4)
def _token_table(resources_dir: str) -> dict:
    path = os.path.join(resources_dir, token_table.TABLE_FILE)
    return token_table.read_table(path) if os.path.isfile(path) else {}


# --- checkpoint I/O: mlpt.checkpoint_budget (the policy of mlpt.sft as arithmetic) ---------------

# --- throughput ---------------------------------------------------------------------------------

class Throughput:
    """How fast one model's jobs go: measured by its GPU preflight record when there is one, else
    the ``cluster.plan`` assumptions. ``source`` says which: ``measured``, ``measured (smoke)`` (a
    CPU or shrunk-shape record, not a cluster figure) or ``assumed``."""

    def __init__(self, assumptions: dict, params_b: float, record: dict | None = None):
        self.assumptions, self.params_b, self.record = assumptions, params_b, record
        self.source = "assumed" if record is None else "measured (smoke)" if record.get("smoke") else "measured"

    def sft_gpu_hours(self, positions: float, gradient_checkpointing: bool = True) -> float:
        """GPU-hours of an SFT job computing ``positions`` positions: at the job's measured tokens/s
        on its GPUs (rescaled by the FLOPs per position when the preflight ran with the other
        gradient checkpointing setting), or at ``gpu_peak_tflops × mfu`` per GPU and
        :func:`flops_per_position` (8 per parameter with gradient checkpointing, 6 without)."""
        params = self.params_b * 1e9
        if self.record is None:
            a = self.assumptions
            flops = flops_per_position(params, gradient_checkpointing) * positions
            return flops / (a["gpu_peak_tflops"] * 1e12 * a["mfu"]) / 3600
        hours = positions / self.record["train_tokens_per_second"] * max(self.record["gpus"], 1) / 3600
        measured_with = self.record.get("shape", {}).get("gradient_checkpointing", gradient_checkpointing)
        return hours * flops_per_position(params, gradient_checkpointing) / flops_per_position(params, measured_with)

    def rescaled(self, gradient_checkpointing: bool) -> bool:
        """Whether the measured throughput was taken with the other gradient checkpointing setting."""
        return self.record is not None and self.record.get("shape", {}).get(
            "gradient_checkpointing", gradient_checkpointing) != gradient_checkpointing

    def decode_tokens_per_second(self) -> float:
        """Decoded positions/s of one GPU (the evaluate rule's batched greedy decoding)."""
        if self.record is None:
            return self.assumptions["decode_tokens_per_second_per_b"] / self.params_b
        return self.record["decode"]["tokens_per_second"]

    def decode_waste(self, kind: str, measured: float | dict | None = None) -> tuple[float, str]:
        """(decoded positions ÷ useful positions of ``kind`` — ``evaluation`` or ``validation`` —,
        where it comes from): the preflight record's ``decode_waste`` (a number, or one per kind),
        else ``measured`` (the preflight file's own ``decode_waste``), else the assumed
        ``cluster.plan.decode_waste``."""
        for value, source in (((self.record or {}).get("decode_waste"), self.source), (measured, "measured")):
            if isinstance(value, dict):
                value = value.get(kind)
            if value is not None:
                return float(value), source
        return self.assumptions["decode_waste"], "assumed"


# --- translation --------------------------------------------------------------------------------

def translated_items(config: dict, task: str) -> dict[str, int]:
    """{language: items the translate stage machine-translates for ``task``}: every split a
    language needs (train and val for a training language, test for every language; val too for
    few-shot base models) that neither is the source language nor comes from references (the
    source's own translations: mCoT-MATH's languages for train/val, the control's templates, the
    human test sets of :func:`mlpt.data.origin_of_test_sets`)."""
    spec = config["tasks"][task]
    src = config["source_language"]
    if task_translation(config, task)["backend"] == "reference":
        return {}
    langs = list(config["languages"])
    train_langs = set(mixture_grammar.training_languages(config))
    referenced = {"mcot_math": set(data.MCOT_MATH_LANGUAGES), "synthetic_arithmetic": set(langs)}.get(spec["source"], set())
    tests = data.origin_of_test_sets(spec["source"], config["resources_dir"], langs, src)
    fewshot = config["evaluation"]["baseline_num_fewshot"] > 0
    items = {}
    for lang in langs:
        if lang == src:
            continue
        n = 0
        if lang in train_langs or fewshot:
            n += spec["n_val"] * (lang not in referenced)
        if lang in train_langs:
            n += spec["n_train"] * (lang not in referenced)
        n += spec["n_test"] * (tests[lang] == data.MACHINE_TRANSLATED)
        if n:
            items[lang] = n
    return items


def translation_rows(config: dict) -> list[dict]:
    """One row per task: the items its translate jobs machine-translate, the tokens the MT model
    generates for them (``cluster.plan.translation_tokens_per_item``, assumed) and the GPU-hours at
    the backend's assumed rate (``cluster.plan.translation_decode_tokens_per_second``)."""
    a = config["cluster"]["plan"]
    rows = []
    for task in config["tasks"]:
        backend = task_translation(config, task)
        items = translated_items(config, task)
        per_item = a["translation_tokens_per_item"].get(task, a["translation_tokens_per_item"]["default"])
        rate = a["translation_decode_tokens_per_second"].get(backend["backend"])
        tokens = sum(items.values()) * per_item
        model = backend.get("model", {})
        rows.append({"task": task, "backend": backend["backend"],
                     "mt_model": model.get("hub_id") or ("tiny" if model else "-"),
                     "languages": len(items), "items": sum(items.values()), "tokens_per_item": per_item,
                     "generated_tokens": tokens, "tokens_per_second": rate,
                     "gpu_hours": tokens / rate / 3600 if tokens else 0.0, "source": "assumed"})
    return rows


# --- the plan -----------------------------------------------------------------------------------

def plan(config: dict, measured: dict | None = None, measured_decode_waste: float | dict | None = None) -> dict:
    """GPU-hour and disk estimates of a config's four cost kinds (see module docstring): SFT
    compute, decoding (evaluation and per-epoch validation), translation and checkpoint I/O.

    ``measured``: the GPU preflight records by model (``preflight.json``'s ``models``); a model
    without one is priced from the assumptions. ``measured_decode_waste``: the preflight file's
    ``decode_waste`` (for every model whose record has none). ``total["sft_gpu_hours_by_batching"]``:
    the SFT GPU-hours the same config would take under each other ``sft.batching`` (and
    padding-free batches), for comparison."""
    assumptions = config["cluster"]["plan"]
    measured = measured or {}
    mixes = mixture_grammar.expand(config)
    langs = list(config["languages"])
    alternatives = {"random": {"batching": "random"}, "group_by_length": {"batching": "group_by_length"},
                    "step_sorted": {"batching": "step_sorted"}, "padding_free": {"padding_free": True}}
    checkpointing = (config["sft"]["save_dtype"], config["sft"]["resume_every_hours"])
    eval_limit = config["evaluation"]["limit_per_language"]
    rows = []
    by_batching = dict.fromkeys(alternatives, 0.0)
    for model, spec in config["models"].items():
        params = spec["params_b"] * 1e9
        speed = Throughput(assumptions, spec["params_b"], measured.get(model))
        memory = sft_memory_per_gpu(config, model)
        for task, tspec in config["tasks"].items():
            recipe = sft_recipe(config, model, task)
            gc = recipe["gradient_checkpointing"]
            epochs = recipe["epochs"]
            pad = padding_share(tspec["kind"], recipe)
            lengths = [tokens_per_example(config, model, task, m.languages) for m in mixes]
            run_tokens = [m.size * tspec["n_train"] * tokens * epochs for m, (tokens, _) in zip(mixes, lengths)]
            train_tokens = sum(run_tokens)
            tokens_source = "real tokenizer" if all(src == "real tokenizer" for _, src in lengths) else "assumed"
            positions = train_tokens / (1 - pad)  # what the GPU computes: real tokens and padding
            for name, change in alternatives.items():
                alt_pad = padding_share(tspec["kind"], {**recipe, "padding_free": False, **change})
                by_batching[name] += speed.sft_gpu_hours(train_tokens / (1 - alt_pad), gc)
            sft_hours = speed.sft_gpu_hours(positions, gc)
            # decoding: every checkpoint (mixtures + pretrained) on every language's test items, and
            # the per-epoch validation of each run on its languages (greedy answers: val_accuracy)
            answers = {lang: answer_tokens(config, model, task, lang) for lang in langs}
            n_test = min(tspec["n_test"], eval_limit or tspec["n_test"])
            eval_useful = (len(mixes) + 1) * n_test * sum(t for t, _ in answers.values())
            n_val = min(tspec["n_val"], recipe["val_limit_per_language"] or tspec["n_val"])
            validations = math.ceil(epochs) if recipe["selection"] == "val_accuracy" else 0
            val_useful = validations * n_val * sum(answers[lang][0] for m in mixes for lang in m.languages)
            eval_waste, eval_waste_src = speed.decode_waste("evaluation", measured_decode_waste)
            val_waste, val_waste_src = speed.decode_waste("validation", measured_decode_waste)
            decoded = eval_useful * eval_waste + val_useful * val_waste
            eval_hours = decoded / speed.decode_tokens_per_second() / 3600
            # checkpoint I/O per run: its wall time from its share of the SFT GPU-hours on its GPUs
            run_hours = [sft_hours * tokens / train_tokens / memory["gpus"] for tokens in run_tokens]
            io_runs = [checkpoint_budget.job_checkpoint_bytes(params, epochs, hours, *checkpointing) for hours in run_hours]
            states = sum(len(checkpoint_budget.resume_epochs(epochs, hours, checkpointing[1])) for hours in run_hours)
            legacy = len(mixes) * checkpoint_budget.legacy_job_checkpoint_bytes(params, epochs)[0]
            rows.append({"model": model, "task": task, "sft_runs": len(mixes), "train_tokens": train_tokens,
                         "tokens": tokens_source, "gradient_checkpointing": gc,
                         "flops_per_position_per_param": flops_per_position(1, gc),
                         "batching": batching_label(recipe), "padding_share": pad, "computed_positions": positions,
                         "padding_at_measured_shape": (recipe["global_batch_size"],
                                                       recipe["per_device_batch_size"]) == PADDING_SHARE_SHAPE,
                         "sft_gpu_hours": sft_hours, "rescaled": speed.rescaled(gc),
                         "eval_useful_tokens": eval_useful, "val_useful_tokens": val_useful,
                         "answer_tokens": "real tokenizer" if all(s == "real tokenizer" for _, s in answers.values())
                         else "assumed",
                         "eval_waste": eval_waste, "eval_waste_source": eval_waste_src,
                         "val_waste": val_waste, "val_waste_source": val_waste_src,
                         "decoded_positions": decoded, "eval_gpu_hours": eval_hours,
                         "throughput": speed.source, **memory,
                         "resume_states": states, "legacy_checkpoint_bytes_written": legacy,
                         "checkpoint_bytes_written": sum(w for w, _ in io_runs),
                         "checkpoint_bytes_written_per_job": max(w for w, _ in io_runs),
                         "peak_temporary_bytes_per_job": max(p for _, p in io_runs),
                         "final_model_bytes": len(mixes) * params * checkpoint_budget.WEIGHT_BYTES[checkpointing[0]]})
    translation = translation_rows(config)
    total = {k: sum(r[k] for r in rows) for k in ("sft_runs", "train_tokens", "computed_positions", "sft_gpu_hours",
                                                  "eval_useful_tokens", "val_useful_tokens", "decoded_positions",
                                                  "eval_gpu_hours", "resume_states", "checkpoint_bytes_written",
                                                  "legacy_checkpoint_bytes_written", "final_model_bytes")}
    total["peak_temporary_bytes_per_job"] = max(r["peak_temporary_bytes_per_job"] for r in rows)
    total["translation_gpu_hours"] = sum(r["gpu_hours"] for r in translation)
    total["measured_sft_gpu_hours"] = sum(r["sft_gpu_hours"] for r in rows if r["throughput"] != "assumed")
    total["measured_eval_gpu_hours"] = sum(r["eval_gpu_hours"] for r in rows if _decoding_measured(r))
    total["measured_gpu_hours"] = total["measured_sft_gpu_hours"] + total["measured_eval_gpu_hours"]
    total["gpu_hours"] = total["sft_gpu_hours"] + total["eval_gpu_hours"] + total["translation_gpu_hours"]
    total["sft_gpu_hours_by_batching"] = by_batching
    return {"rows": rows, "translation": translation, "evaluation_backend": config["evaluation"]["backend"], "total": total, "assumptions": assumptions,
            "checkpointing": dict(zip(("save_dtype", "resume_every_hours"), checkpointing)),
            "measured": {model: record for model, record in measured.items() if model in config["models"]}}


def _decoding_measured(row: dict) -> bool:
    """Whether a row's decoding GPU-hours are measured: its decode rate and both wastes."""
    return all(row[k] != "assumed" for k in ("throughput", "eval_waste_source", "val_waste_source"))


def _measured_line(model: str, record: dict) -> str:
    """One preflight record as the plan states it."""
    gpus = f"{record['gpus']} GPU(s)" if record["gpus"] else "a CPU"
    mfu = f", MFU {record['mfu']:.2f}" if record.get("mfu") is not None else ""
    memory = (f", peak {record['peak_gpu_memory_gib']:.1f} of {record['gpu_memory_gib']:.0f} GiB per GPU"
              if record.get("peak_gpu_memory_gib") is not None and record.get("gpu_memory_gib") else "")
    gc = record.get("shape", {}).get("gradient_checkpointing")
    gc = "" if gc is None else f", gradient checkpointing {'on' if gc else 'off'}"
    smoke = "; SMOKE run: not a cluster figure" if record.get("smoke") else ""
    return (f"  {model}: {record['device']} ({record['date']}): {record['train_tokens_per_second']:,.0f} training "
            f"tokens/s on {gpus}{mfu}{memory}{gc}; {record['decode']['tokens_per_second']:,.0f} decode tokens/s"
            f"{_waste_note(record.get('decode_waste'))}{smoke}")


def _waste_note(waste: float | dict | None) -> str:
    """A preflight record's ``decode_waste`` as the plan states it ('' without one)."""
    if waste is None:
        return ""
    if not isinstance(waste, dict):
        return f"; decode waste {waste:.2f}"
    kinds = ", ".join(f"{waste[k]:.2f} {k}" for k in ("evaluation", "validation") if waste.get(k) is not None)
    what = (f" ({waste.get('model', 'pretrained')} model, {waste['items']} test prompts of {waste['task']})"
            if "task" in waste and "items" in waste else "")
    return f"; decode waste {kinds}{what}"


def _tb(nbytes: float) -> str:
    return f"{nbytes / 1e12:.2f}"


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.0f}"


def format_plan(result: dict, job_counts: dict[str, int] | None = None) -> str:
    """The plan as `make plan` prints it: one table per cost kind, each row marked measured or
    assumed, then the totals."""
    lines = []
    if job_counts:
        lines.append("Jobs per rule (snakemake dry-run):")
        lines += [f"  {rule:<34}{n:>6}" for rule, n in job_counts.items()]
        lines.append("")
    a = result["assumptions"]
    rows, t = result["rows"], result["total"]
    measured = result.get("measured") or {}
    if len(measured) < len({r["model"] for r in rows}):
        lines.append(f"GPU-hour ESTIMATE (assumed: {a['gpu_peak_tflops']} TFLOP/s peak per GPU at {a['mfu']} of it on "
                     f"the FLOPs computed, {a['decode_tokens_per_second_per_b']:.0f} decoded positions/s per GPU for a "
                     f"1B model; {a['source']}; `make preflight` measures them):")
    if measured:
        lines.append("GPU-hours from MEASURED throughput (GPU preflight, preflight.json):")
        lines += [_measured_line(model, record) for model, record in measured.items()]

    lines.append("")
    lines.append("1. SFT compute (FLOPs per position: 8 x parameters with gradient checkpointing, the forward pass "
                 "recomputed; 6 x without)")
    lines.append(f"  {'model':<14}{'task':<10}{'runs':>5}{'train tokens':>14}{'':>1}{'tokens from':<15}{'batching':>13}"
                 f"{'padding':>9}{'positions':>11}{'grad ckpt':>10}{'FLOPs/pos':>10}{'SFT GPU-h':>11}{'':>2}"
                 f"{'throughput':<17}{'GPUs':>5}{'':>2}{'sharding':<9}{'GB/GPU':>7}")
    for r in rows:
        source = r["throughput"] + (" rescaled" if r["rescaled"] else "")
        lines.append(f"  {r['model']:<14}{r['task']:<10}{r['sft_runs']:>5}{r['train_tokens']:>14.3g}{'':>1}{r['tokens']:<15}"
                     f"{r['batching']:>13}"
                     f"{100 * r['padding_share']:>7.1f}%{' ' if r['padding_at_measured_shape'] else '*'}"
                     f"{r['computed_positions']:>11.3g}{'on' if r['gradient_checkpointing'] else 'off':>10}"
                     f"{r['flops_per_position_per_param']:>8.0f}xN{r['sft_gpu_hours']:>11.1f}{'':>2}{source:<17}"
                     f"{r['gpus']:>5}{'':>2}{r['sharding']:<9}{r['states_gb_per_gpu']:>7.1f}")
    lines.append(f"  {'total':<24}{t['sft_runs']:>5}{t['train_tokens']:>14.3g}{'':>38}{t['computed_positions']:>11.3g}"
                 f"{'':>20}{t['sft_gpu_hours']:>11.1f}")
    lines.append("  train tokens: examples x their mean tokens per language, from the real tokenizers' table "
                 "(resources/plan/tokens_per_example.csv, BENCHMARKS.md) where it has the model's family, task and "
                 "every language, else cluster.plan.tokens_per_example (assumed)")
    lines.append("  positions = train tokens / (1 - padding), the padding share of the job's sft.batching "
                 f"({PADDING_SHARE_SOURCE}; +pf = padding_free: none); assumed: FLOPs/pos x positions at peak x "
                 "cluster.plan.mfu; measured: positions / the preflight job's training tokens/s x its GPUs (rescaled "
                 "8:6 when it ran with the other gradient checkpointing setting)")
    lines.append("  grad ckpt: the cluster.sft tier's gradient_checkpointing (else sft.gradient_checkpointing); the "
                 "preflight's peak GPU memory says whether a tier can turn it off")
    if not all(r["padding_at_measured_shape"] for r in rows):
        lines.append("  * this job's batch shape is not the one the padding share was counted at: a rough figure")
    lines.append("  SFT GPU-h by sft.batching: " + ", ".join(
        f"{name} {hours:.1f}" for name, hours in t["sft_gpu_hours_by_batching"].items()))
    lines.append(f"  GB/GPU: model states of one SFT job per GPU ({TRAINING_BYTES_PER_PARAM} bytes per parameter: "
                 "fp32 master weights, gradients and AdamW moments; bf16 compute), before activations")

    lines.append("")
    lines.append("2. Decoding: evaluation (every checkpoint and the base model, every language's test items) and "
                 "per-epoch validation, at waste = decoded / useful positions")
    # the width of a "from" column: "measured (smoke)" where a CPU preflight record priced a model
    width = max([9] + [len(r[k]) for r in rows for k in ("eval_waste_source", "val_waste_source")])
    lines.append(f"  {'model':<14}{'task':<10}{'eval useful':>12}{'waste':>7}{'':>1}{'from':<{width}}"
                 f"{'val useful':>11}{'waste':>7}{'':>1}{'from':<{width}}{'decoded':>11}{'pos/s/GPU':>12}{'GPU-h':>8}"
                 f"{'':>2}{'throughput':<17}")
    for r in rows:
        lines.append(f"  {r['model']:<14}{r['task']:<10}{r['eval_useful_tokens']:>12.3g}{r['eval_waste']:>7.2f}{'':>1}"
                     f"{r['eval_waste_source']:<{width}}{r['val_useful_tokens']:>11.3g}{r['val_waste']:>7.2f}{'':>1}"
                     f"{r['val_waste_source']:<{width}}{r['decoded_positions']:>11.3g}"
                     f"{r['decoded_positions'] / r['eval_gpu_hours'] / 3600 if r['eval_gpu_hours'] else 0:>12,.0f}"
                     f"{r['eval_gpu_hours']:>8.1f}{'':>2}{r['throughput']:<17}")
    lines.append(f"  {'total':<24}{t['eval_useful_tokens']:>12.3g}{'':>{8 + width}}{t['val_useful_tokens']:>11.3g}"
                 f"{'':>{8 + width}}{t['decoded_positions']:>11.3g}{'':>12}{t['eval_gpu_hours']:>8.1f}")
    answers = "the real tokenizers' table" if all(r["answer_tokens"] == "real tokenizer" for r in rows) else \
        "the real tokenizers' table where it has the language, else cluster.plan.generated_tokens (assumed)"
    lines.append(f"  useful positions: items x the gold answer's tokens per language, from {answers}; waste: the "
                 "GPU preflight's decode_waste (measured: the pretrained model on real test prompts, decoded as "
                 "evaluation and validation decode them), else cluster.plan.decode_waste "
                 f"(assumed: {a['decode_waste']:g}; "
                 "the goal for vLLM / continuous batching is 1.3, lm-eval's HF path in fixed batches of 32 was "
                 f"simulated at 2.2-3.9 on MGSM; evaluation.backend here: {result['evaluation_backend']}); "
                 "prompt prefill not counted")

    lines.append("")
    lines.append("3. Translation (the translate jobs' MT: items not taken from the source or from references)")
    lines.append(f"  {'task':<10}{'backend':<9}{'MT model':<34}{'langs':>6}{'items':>9}{'tok/item':>9}"
                 f"{'generated':>11}{'tok/s/GPU':>10}{'GPU-h':>8}{'':>2}{'source':<8}")
    for r in result["translation"]:
        lines.append(f"  {r['task']:<10}{r['backend']:<9}{r['mt_model']:<34}{r['languages']:>6}{r['items']:>9,}"
                     f"{r['tokens_per_item']:>9.0f}{r['generated_tokens']:>11.3g}"
                     f"{r['tokens_per_second'] or 0:>10,.0f}{r['gpu_hours']:>8.1f}{'':>2}{r['source']:<8}")
    lines.append(f"  {'total':<10}{'':>77}{t['translation_gpu_hours']:>8.1f}")
    lines.append("  tok/item: cluster.plan.translation_tokens_per_item; tok/s/GPU: "
                 "cluster.plan.translation_decode_tokens_per_second of the backend (beams included)")

    lines.append("")
    c = result["checkpointing"]
    lines.append(f"4. Checkpoint I/O (per epoch a candidate in sft.save_dtype {c['save_dtype']}, "
                 f"{checkpoint_budget.WEIGHT_BYTES[c['save_dtype']]} B/param; a resume state, "
                 f"{checkpoint_budget.RESUME_BYTES_PER_PARAM} B/param, "
                 f"every {c['resume_every_hours']:g} h of training but never at the last epoch; the final model "
                 "in save_dtype; losers deleted)")
    lines.append(f"  {'model':<14}{'task':<10}{'runs':>5}{'resume':>8}{'written GB/job':>16}{'peak tmp GB/job':>17}"
                 f"{'written TB':>12}{'final GB':>10}{'':>2}{'epoch times':<17}")
    for r in rows:
        lines.append(f"  {r['model']:<14}{r['task']:<10}{r['sft_runs']:>5}{r['resume_states']:>8}"
                     f"{_gb(r['checkpoint_bytes_written_per_job']):>16}{_gb(r['peak_temporary_bytes_per_job']):>17}"
                     f"{_tb(r['checkpoint_bytes_written']):>12}{_gb(r['final_model_bytes']):>10}{'':>2}"
                     f"{r['throughput']:<17}")
    lines.append(f"  {'total':<24}{t['sft_runs']:>5}{t['resume_states']:>8}{'':>16}"
                 f"{_gb(t['peak_temporary_bytes_per_job']):>17}{_tb(t['checkpoint_bytes_written']):>12}"
                 f"{_gb(t['final_model_bytes']):>10}")
    lines.append("  resume: resume states written by the runs (epoch times from the SFT line: the run's GPU-h / its "
                 "GPUs / epochs); written GB/job and peak tmp GB/job: the largest run's (mlpt.checkpoint_budget)")

    measured_h = t.get("measured_gpu_hours", 0)
    lines.append("")
    lines.append(f"Totals:{'GPU-h':>17}{'measured':>10}{'assumed':>10}")
    for name, hours, known in (("SFT compute", t["sft_gpu_hours"], t["measured_sft_gpu_hours"]),
                               ("decoding", t["eval_gpu_hours"], t["measured_eval_gpu_hours"]),
                               ("translation", t["translation_gpu_hours"], 0.0)):
        lines.append(f"  {name:<14}{hours:>8.1f}{known:>10.1f}{hours - known:>10.1f}")
    lines.append(f"  = {t['gpu_hours']:.0f} GPU-hours ({measured_h:.0f} from measured throughput, "
                 f"{t['gpu_hours'] - measured_h:.0f} assumed), {t['gpu_hours'] / 8:.0f} hours on one 8-GPU node")
    lines.append(f"  checkpoints: {_tb(t['checkpoint_bytes_written'])} TB written (every epoch a full fp32 checkpoint "
                 f"would write {_tb(t['legacy_checkpoint_bytes_written'])} TB), at most "
                 f"{_gb(t['peak_temporary_bytes_per_job'])} GB of temporary disk per job, "
                 f"{_gb(t['final_model_bytes'])} GB of final models")
    return "\n".join(line.rstrip() for line in lines)
