"""GPU preflight: before the campaign, one short SFT job per base model at the recipe's batch shape
on the model's GPU tier, measuring what ``make plan`` otherwise assumes.

``snakemake --profile slurm preflight`` (``make preflight``) runs the ``preflight_model`` rule once
per base model, with the GPUs, CPUs and memory of its ``cluster.sft`` tier (time limit:
``preflight.runtime``), and merges the results into ``results/<run>/preflight.json``. Each job:

1. writes synthetic training records that all tokenize to nearly ``preflight.max_length`` tokens
   (default: the ``sft.max_length`` of the task with the longest examples, the worst case for
   memory; that task's recipe is the one measured), exactly 2 × ``sft.global_batch_size`` of
   them, and one validation batch per process;
2. trains them through the project's own SFT path (:func:`mlpt.sft.train`, launched as the sft rule
   launches it: one process per GPU, FSDP with its sharding check for models above
   ``sft.fsdp_min_params_b``): 2 optimiser steps, one validation pass (the recipe's
   ``sft.selection``), one checkpoint; once the checkpoint is complete every process kills itself
   (SIGKILL), as a node failure would;
3. reruns the job, which resumes from that checkpoint (weights, optimiser and scheduler state, data
   position), selects and saves the model;
4. reloads the saved model in one process and generates ``preflight.decode_new_tokens`` tokens for
   ``preflight.decode_batch_size`` prompts (default ``evaluation.batch_size``), as the evaluate rule
   does;
5. measures the decode waste (decoded ÷ useful positions, :func:`decode_waste`) of the base model
   (the pretrained checkpoint) on real test prompts: the first ``preflight.decode_items_per_language``
   test items of ``preflight.decode_task`` (default: the first task of kind math, MGSM in the paper)
   in every language whose test set is human (no MT: the translate stage's references), decoded
   as evaluation decodes them (:func:`mlpt.evaluate.run`: lm-eval, ``evaluation.backend``,
   ``evaluation.batch_size``, ``evaluation.max_gen_toks``; with ``vllm`` 1.0 by construction, not
   run) and as per-epoch validation decodes them (:func:`mlpt.val_accuracy.accuracy` at the task's
   ``sft.val_batch_size``, ``static`` where the sft run shards the model with FSDP, else ``auto``);
   a fine-tuned model's answers may be shorter or longer, so this is the pretrained model's figure;
6. where TRL is installed (the ``bench`` extra), trains the same job with TRL's ``SFTTrainer``
   (:mod:`mlpt.trl_compare`: same records, recipe, steps and launch) and records its tokens/s and
   ``mlpt_over_trl`` (on a CPU only a smoke test: TRL's LM head falls back to a slow path there).

Recorded per model (``results/<run>/preflight/<model>.json``): peak GPU memory (the largest of the
processes, and the GPU's size), peak host memory, the seconds of each optimiser step and of the
validation pass with the checkpoint write, training tokens/s of the second step (the first one
warms up) for the whole job, MFU against ``cluster.plan.gpu_peak_tflops``, decode tokens/s, the
decode waste of evaluation and validation (``decode_waste``, which ``make plan`` prices decoding
at), how the parameters were sharded, and that the rerun resumed. On a CPU (no GPU visible) the
job runs the same way as a smoke test of the mechanics; its numbers are marked ``smoke`` and mean
nothing for a cluster (a tiny random model never stops, so its decode waste is ~1.0 trivially).

One process of a preflight job is ``python -m mlpt.preflight --spec job.json``: the sft job file
plus a ``preflight`` entry (where to write this process's measurements; whether to kill itself
after the checkpoint).
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from . import evaluate, io, models, prompts, sft, throughput, translate, trl_compare, val_accuracy

log = logging.getLogger(__name__)

#: Optimiser steps of a preflight job: the first warms up, the second is timed.
STEPS = 2

#: Words the synthetic records are made of, from several of the study's scripts, so that a real
#: tokenizer splits them as it splits the study's text.
WORDS = ("the apples cost dollars each week she buys more than half of them and gives away three "
         "las manzanas cuestan dólares cada semana compra más de la mitad y regala tres "
         "りんご は 一個 ドル です 毎週 彼女 は 半分 以上 を 買います "
         "আপেল প্রতিটি ডলার প্রতি সপ্তাহে সে অর্ধেকের বেশি কিনে তিনটি দেয় "
         "maapulo yanagharimu dola kila wiki ananunua zaidi ya nusu na anatoa tatu").split()


def _texts(n_words: int, seed: int) -> tuple[str, str]:
    """(prompt, response) of ``n_words`` random words in all (a third in the prompt); the response
    ends with an answer the math scorer reads."""
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(max(n_words, 2))]
    cut = max(1, len(words) // 3)
    return " ".join(words[:cut]) + "?", " ".join(words[cut:]) + ". The answer is 42."


def _tokens(tokenizer, prompt: str, response: str) -> int:
    """Tokens of one training example as SFT tokenizes it (chat template, end of turn included)."""
    features, _ = sft.tokenize_example(tokenizer, prompt, response, max_length=10**9)
    return len(features["input_ids"])


def fitted_example(tokenizer, max_length: int, seed: int = 0) -> tuple[str, str, int]:
    """(prompt, response, tokens) of the longest synthetic example that fits in ``max_length``
    tokens (binary search over the number of words)."""
    low, high = 1, 8
    while _tokens(tokenizer, *_texts(high, seed)) <= max_length:
        low, high = high, high * 2
    if _tokens(tokenizer, *_texts(low, seed)) > max_length:
        raise ValueError(f"preflight: not even a one-word example fits in max_length={max_length} tokens")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _tokens(tokenizer, *_texts(middle, seed)) <= max_length else (low, middle)
    prompt, response = _texts(low, seed)
    return prompt, response, _tokens(tokenizer, prompt, response)


def write_records(path: str | Path, prompt: str, response: str, train: int, val: int) -> None:
    """``train`` training and ``val`` validation records of the same example (a mixture file)."""
    records = [{"id": f"preflight-{split}-{i:05d}", "lang": "en", "split": split, "prompt": prompt,
                "response": response, "answer": "42"}
               for split, n in (("train", train), ("val", val)) for i in range(n)]
    io.write_jsonl(path, records, schema="train_record")


# --- one training process ------------------------------------------------------------------------


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def measuring_callbacks(record_dir: str, kill_after_checkpoint: bool):
    """``callbacks`` for :func:`mlpt.sft.train`: time every optimiser step and write this process's
    measurements to ``<record_dir>/rank<k>.json`` after each step and after the checkpoint; then,
    with ``kill_after_checkpoint``, SIGKILL every process once the checkpoint is complete."""
    from accelerate import PartialState
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self, collator):
            self.collator, self.steps, self.start, self.step_ended, self.after_steps = collator, [], None, None, None

        def on_train_begin(self, args, state, control, **kwargs):
            throughput.reset_peak_gpu_memory()

        def on_step_begin(self, args, state, control, **kwargs):
            throughput.synchronize()
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            throughput.synchronize()
            self.step_ended = time.perf_counter()
            self.steps.append(round(self.step_ended - self.start, 4))
            self.write(state, checkpoint=False)

        def on_save(self, args, state, control, **kwargs):
            # after the last step the Trainer validates, then writes the checkpoint, then calls on_save
            self.after_steps = round(time.perf_counter() - self.step_ended, 4)
            self.write(state, checkpoint=True)

        def write(self, state, checkpoint: bool) -> None:
            io.write_json(Path(record_dir) / f"rank{_rank()}.json", {
                "rank": _rank(), "optimizer_steps": state.global_step, "step_seconds": self.steps,
                "validation_and_checkpoint_seconds": self.after_steps,
                "positions": self.collator.positions, "real_tokens": self.collator.real_tokens,
                "peak_gpu_memory_gib": throughput.peak_gpu_memory_gib(),
                "peak_host_memory_gib": throughput.peak_host_memory_gib(), "checkpoint_written": checkpoint})

    class KillAfterCheckpoint(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            PartialState().wait_for_everyone()  # the checkpoint is complete (marked by rank 0) and recorded
            log.warning("preflight: killing this process (SIGKILL) after the checkpoint of step %d", state.global_step)
            os.kill(os.getpid(), signal.SIGKILL)

    def callbacks(trainer, collator):
        return [StepTimer(collator)] + ([KillAfterCheckpoint()] if kill_after_checkpoint else [])

    return callbacks


def main(argv: list[str] | None = None) -> None:
    """One process of a preflight job: the sft job file's run, measured (module docstring)."""
    spec = sft.read_job(argv, "python -m mlpt.preflight", (
        "One process of a GPU preflight job: the SFT job file (see python -m mlpt.sft --help) with a "
        "'preflight' entry {record_dir, kill_after_checkpoint}."))
    measure = spec["preflight"]
    sft.train_from_spec(spec, callbacks=measuring_callbacks(measure["record_dir"], measure["kill_after_checkpoint"]))


# --- the job -------------------------------------------------------------------------------------


def _train_config(recipe: dict, max_length: int, seed: int) -> dict:
    """The sft recipe's fields for :class:`mlpt.sft.TrainConfig`, for one epoch of :data:`STEPS`
    steps at ``max_length``."""
    return {**sft.config_fields(recipe), "epochs": 1, "min_steps": None, "max_length": max_length, "seed": seed,
            "val_limit_per_language": None}


def _killed_run(spec: dict, processes: int, accelerate_config: str | None) -> tuple[list[dict], float]:
    """Train the job until it kills itself after its checkpoint: (every process's measurements,
    seconds); an error if it did not get there."""
    start = time.time()
    rc = sft.spawn(spec, processes, accelerate_config, module="mlpt.preflight")
    seconds = time.time() - start
    ranks = [io.read_json(p) for p in sorted(Path(spec["preflight"]["record_dir"]).glob("rank*.json"))]
    if len(ranks) != processes or not all(r["checkpoint_written"] and r["optimizer_steps"] == STEPS for r in ranks):
        raise RuntimeError(f"preflight: the training run failed (exit {rc}) before its checkpoint of step {STEPS}; "
                           "see the log above")
    checkpoint = Path(spec["checkpoint_dir"]) / f"checkpoint-{STEPS}"
    if rc == 0 or not (checkpoint / sft.COMPLETE).exists():
        raise RuntimeError(f"preflight: the run was to be killed after a complete checkpoint {checkpoint} "
                           f"(exit {rc}, checkpoint complete: {(checkpoint / sft.COMPLETE).exists()})")
    return ranks, seconds


def _resumed_run(spec: dict, processes: int, accelerate_config: str | None) -> tuple[dict, float]:
    """Rerun the killed job, which must resume from its checkpoint and save the model:
    (its training log, seconds)."""
    checkpoint = Path(spec["checkpoint_dir"]) / f"checkpoint-{STEPS}"
    start = time.time()
    rc = sft.spawn(spec, processes, accelerate_config, module="mlpt.preflight")
    seconds = time.time() - start
    if rc:
        raise RuntimeError(f"preflight: the rerun failed to resume from {checkpoint} (exit {rc}); see the log above")
    train_log = io.read_json(spec["log_file"])
    if not train_log["resumed"] or train_log["selected"]["global_step"] != STEPS:
        raise RuntimeError(f"preflight: the rerun did not resume from {checkpoint}: {train_log['selected']}")
    return train_log, seconds


def _load_for_decoding(model_dir: str):
    """The model of ``model_dir`` in one process, as the evaluate rule loads it (bf16 on a GPU,
    fp32 on a CPU), in eval mode."""
    import torch

    device = "cuda" if throughput.cuda() else "cpu"
    model = models.load_causal_lm(model_dir, dtype=torch.bfloat16 if device == "cuda" else torch.float32)
    return model.to(device).eval()


def _decode(model_dir: str, prompt: str, batch_size: int, new_tokens: int) -> tuple[int, dict]:
    """(parameters, :func:`mlpt.throughput.decode_throughput`) of the saved model."""
    model = _load_for_decoding(model_dir)
    decode = throughput.decode_throughput(model, prompts.load_tokenizer(model_dir), [prompt] * batch_size, new_tokens)
    return sum(p.numel() for p in model.parameters()), decode


# --- decode waste --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodePrompts:
    """The real prompts the decode waste is measured on, and how the campaign decodes them.

    ``data_file`` and ``references_file``: the prepare_data outputs of ``task``; ``languages``: its
    languages with a human test set (the source language's own items and references), so no MT is
    needed; ``items_per_language``: the first test items taken (the same items in every language);
    ``max_new_tokens``: ``evaluation.max_gen_toks`` (also validation's budget);
    ``eval_batch_size``, ``eval_backend``: ``evaluation.batch_size`` and ``.backend``;
    ``val_batch_size``: the task's ``sft.val_batch_size``."""

    task: str
    kind: str
    languages: list[str]
    source_language: str
    data_file: str
    references_file: str
    phrases_file: str
    items_per_language: int
    max_new_tokens: int
    eval_batch_size: int | str
    eval_backend: str
    val_batch_size: int


#: Evaluation with vLLM: continuous batching decodes each answer only until it stops.
VLLM_DECODING = {"backend": "vllm", "waste_ratio": 1.0,
                 "by_construction": "continuous batching decodes each answer only until it stops (not run)"}


def _test_files(spec: DecodePrompts, work: Path) -> dict[str, str]:
    """{language: file} of the first ``items_per_language`` test records of the task in each of
    ``spec.languages``, as the translate stage writes them for a language with references."""
    tests = [r for r in io.read_jsonl(spec.data_file, schema="example") if r["split"] == "test"]
    tests = tests[: spec.items_per_language]
    references = list(io.read_jsonl(spec.references_file, schema="example"))
    files = {}
    for lang in spec.languages:
        records = tests if lang == spec.source_language else translate.from_references(
            tests, references, lang, spec.references_file)
        files[lang] = str(work / f"{lang}.jsonl")
        io.write_jsonl(files[lang], records, schema="example")
    return files


def decode_waste(model: str, base_model: str, spec: DecodePrompts, work_dir: str | Path, *,
                 answer_phrases: list[str], fsdp_sharded: bool) -> dict:
    """Decoded ÷ useful positions of the base model (``model``'s pretrained checkpoint
    ``base_model``) on ``spec``'s prompts, decoded by evaluation (:func:`mlpt.evaluate.run`, the
    lm-eval task directory built by :func:`mlpt.evaluate.build_tasks`) and by per-epoch validation
    (:func:`mlpt.val_accuracy.accuracy`; ``static`` where ``fsdp_sharded``, as an FSDP sft run
    decodes, else ``auto``): ``{"evaluation", "validation"}`` (what :mod:`mlpt.cost_plan` reads),
    what was decoded, and each path's counts under ``decoding``."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    files = _test_files(spec, work)
    if spec.eval_backend == "vllm":
        evaluation = dict(VLLM_DECODING, batch_size=spec.eval_batch_size)
    else:
        tasks_dir = str(work / "tasks")
        evaluate.build_tasks(files, spec.phrases_file, tasks_dir, task=spec.task, kind=spec.kind,
                             max_gen_toks=spec.max_new_tokens)
        summary = evaluate.run(base_model, tasks_dir, str(work / "eval.json"), str(work / "eval.samples.jsonl"),
                               task=spec.task, languages=spec.languages, batch_size=spec.eval_batch_size,
                               max_gen_toks=spec.max_new_tokens, limit=None,
                               meta={"model": model, "mixture": "pretrained"}, backend=spec.eval_backend)
        evaluation = dict(summary["decoding"], backend=spec.eval_backend)

    phrases = prompts.load_phrases(spec.phrases_file)  # the same items as validation records (mlpt.mixture_stage)
    records = [{"id": r["id"], "lang": lang, "split": "val", "prompt": prompts.render_prompt(spec.kind, r, phrases),
                "answer": r["answer"]} for lang, path in files.items() for r in io.read_jsonl(path, schema="example")]
    result = val_accuracy.accuracy(_load_for_decoding(base_model), prompts.load_tokenizer(base_model), records,
                                   kind=spec.kind, answer_phrases=answer_phrases, batch_size=spec.val_batch_size,
                                   max_new_tokens=spec.max_new_tokens, method="static" if fsdp_sharded else "auto")
    validation = dict(result["decoding"], batch_size=spec.val_batch_size)
    return {"evaluation": evaluation["waste_ratio"], "validation": validation["waste_ratio"], "model": "pretrained",
            "task": spec.task, "languages": spec.languages, "items": len(records),
            "items_per_language": len(records) // len(spec.languages), "max_new_tokens": spec.max_new_tokens,
            "decoding": {"evaluation": evaluation, "validation": validation}}


def run(model: str, base_model: str, out_file: str, work_dir: str, *, task: str, recipe: dict,
        max_length: int | None,
        processes: int, accelerate_config: str | None, peak_tflops: float, answer_phrases: list[str], seed: int,
        decode_batch_size: int, decode_new_tokens: int, decode_prompts: DecodePrompts) -> dict:
    """The preflight of ``model`` (config name) whose weights are ``base_model`` (module docstring):
    write its record to ``out_file`` and return it. ``recipe`` is the sft recipe of ``task`` (the
    task with the longest examples, :func:`mlpt.cluster.preflight_recipe`) with
    ``val_max_new_tokens``; ``processes`` and ``accelerate_config`` are what the sft rule would use
    for the model; ``decode_prompts``: what :func:`decode_waste` decodes; ``work_dir`` holds the
    records, checkpoints and saved model meanwhile and is removed at the end."""
    work = Path(work_dir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    length = max_length or recipe["max_length"]
    config = _train_config(recipe, length, seed)
    prompt, response, tokens = fitted_example(prompts.load_tokenizer(base_model), length)
    write_records(work / "mixture.jsonl", prompt, response, train=STEPS * recipe["global_batch_size"],
                  val=recipe["val_batch_size"] * processes)
    spec = {"base_model": base_model, "mixture_file": str(work / "mixture.jsonl"), "out_dir": str(work / "model"),
            "log_file": str(work / "train_log.json"), "checkpoint_dir": str(work / "checkpoints"), "kind": "math",
            "answer_phrases": answer_phrases, "config": config,
            "resume_state_at_end": True}  # one epoch: its only resume state is at its end

    ranks, killed_seconds = _killed_run(
        {**spec, "preflight": {"record_dir": str(work / "ranks"), "kill_after_checkpoint": True}},
        processes, accelerate_config)
    train_log, resumed_seconds = _resumed_run(
        {**spec, "preflight": {"record_dir": str(work / "resumed"), "kill_after_checkpoint": False}},
        processes, accelerate_config)
    parameters, decode = _decode(spec["out_dir"], prompt, decode_batch_size, decode_new_tokens)
    start = time.time()
    waste = decode_waste(model, base_model, decode_prompts, work / "decode", answer_phrases=answer_phrases,
                         fsdp_sharded=train_log["sharding"] is not None)
    waste_seconds = time.time() - start

    step_seconds = [max(r["step_seconds"][i] for r in ranks) for i in range(STEPS)]  # the slowest process
    tokens_per_step = sum(r["positions"] for r in ranks) / STEPS  # every process's micro-batches
    train_tps = tokens_per_step / step_seconds[-1]  # the second step: the first one warms up
    gpus = processes if throughput.cuda() else 0
    gpu_peaks = [r["peak_gpu_memory_gib"] for r in ranks if r["peak_gpu_memory_gib"] is not None]
    record = {
        "model": model, "base_model": base_model, "parameters": parameters,
        "device": throughput.device_name(), "gpus": gpus, "processes": processes,
        "smoke": not gpus or length < recipe["max_length"],
        "sharding": train_log["sharding"], "fsdp_config": accelerate_config if train_log["sharding"] else None,
        "shape": {
            "recipe_of_task": task, "global_batch_size": recipe["global_batch_size"],
            "per_device_batch_size": recipe["per_device_batch_size"],
            "gradient_accumulation_steps": train_log["derived"]["gradient_accumulation_steps"],
            "max_length": length, "example_tokens": tokens, "bf16": recipe["bf16"],
            "gradient_checkpointing": recipe["gradient_checkpointing"],
            "attn_implementation": recipe["attn_implementation"]},
        "optimizer_steps": STEPS,
        "validation": {"passes": 1, "selection": recipe["selection"], "records": recipe["val_batch_size"] * processes},
        "killed_after_checkpoint": True, "resumed": True,
        "step_seconds": step_seconds, "tokens_per_step": tokens_per_step,
        "validation_and_checkpoint_seconds": max(r["validation_and_checkpoint_seconds"] for r in ranks),
        "train_tokens_per_second": round(train_tps, 1),
        "train_tokens_per_second_per_gpu": round(train_tps / gpus, 1) if gpus else None,
        "mfu": round(throughput.mfu(parameters, train_tps, peak_tflops, gpus), 4) if gpus else None,
        "gpu_peak_tflops": peak_tflops,
        "peak_gpu_memory_gib": max(gpu_peaks, default=None), "gpu_memory_gib": throughput.gpu_memory_gib(),
        "peak_host_memory_gib": max(r["peak_host_memory_gib"] for r in ranks),
        "decode": decode,
        "decode_waste": waste,  # decoded / useful positions of the pretrained model: make plan prices decoding at it
        # TRL's SFTTrainer on the same job (mlpt.trl_compare), where TRL is installed; only a GPU's figure means anything
        "trl": trl_compare.compare(spec, processes, accelerate_config, train_tps, STEPS),
        "wall_seconds": {"killed_run": round(killed_seconds, 1), "resumed_run": round(resumed_seconds, 1),
                         "decode_waste": round(waste_seconds, 1)},
        "date": datetime.date.today().isoformat(),
        "provenance": io.provenance({"recipe": config, "max_length": length}, [], seed),
    }
    io.write_json(out_file, record)
    shutil.rmtree(work, ignore_errors=True)  # the checkpoint and the saved model are full-size
    log.info("preflight of %s: %s", model, {k: record[k] for k in ("train_tokens_per_second", "mfu",
                                                                  "peak_gpu_memory_gib", "device")})
    return record


def merge(files: dict[str, str], out_file: str, run: str) -> dict:
    """One file of every model's preflight record: ``{"run", "models": {model: record}}``."""
    merged = {"run": run, "models": {model: io.read_json(path) for model, path in files.items()}}
    io.write_json(out_file, merged)
    return merged


if __name__ == "__main__":
    main()
