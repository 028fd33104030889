"""Supervised fine-tuning of one base model on one mixture (full fine-tuning, study A).

Single process:   called by the ``sft`` rule (workflow/scripts/sft.py).
Several GPUs:     ``accelerate launch`` runs the same entry point; the world size is read from the
                  launcher and the gradient accumulation is derived from it.

Recipe (PAPER.md): AdamW, cosine schedule with warmup, weight decay, a fixed *global* batch
(per-device batch × gradient accumulation × world size, computed here, never hand-set), loss on
the response tokens only (the prompt, chat-template markup included, is masked with -100), the
chat template's end-of-turn marker trained as part of the response. Training is seeded;
checkpoints for resuming live in ``checkpoint_dir``, outside the rule's declared output, so a
killed job that is rerun continues where it stopped.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import io, prompts

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    epochs: float = 6  # passes over the mixture
    min_steps: int | None = None  # at least this many optimiser updates (small mixtures train longer)
    learning_rate: float = 1e-5  # peak AdamW learning rate
    lr_scheduler: str = "cosine"  # decay after warmup
    warmup_ratio: float = 0.03  # share of optimiser steps spent warming up linearly
    weight_decay: float = 0.01  # AdamW decoupled weight decay
    global_batch_size: int = 512  # examples per optimiser step, over all devices
    per_device_batch_size: int = 8  # examples per forward pass on one device
    max_length: int = 1024  # tokens; longer examples are truncated (and counted)
    bf16: bool = True  # mixed precision on GPU; ignored on CPU
    gradient_checkpointing: bool = True  # trade compute for activation memory
    seed: int = 1234  # data order and initialisation of anything random


def grad_accumulation(cfg: TrainConfig, world_size: int) -> int:
    per_step = cfg.per_device_batch_size * world_size
    if cfg.global_batch_size % per_step:
        raise ValueError(
            f"sft.global_batch_size={cfg.global_batch_size} is not a multiple of per_device_batch_size "
            f"({cfg.per_device_batch_size}) × world size ({world_size})"
        )
    return cfg.global_batch_size // per_step


def tokenize_example(tokenizer, prompt: str, response: str, max_length: int) -> tuple[dict, bool]:
    """input_ids + labels with the prompt masked; returns (features, truncated?)."""
    prompt_text, completion_text = prompts.chat_completion(tokenizer, prompt, response)
    p_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    c_ids = tokenizer(completion_text, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in c_ids:
        c_ids = c_ids + [tokenizer.eos_token_id]
    ids = (p_ids + c_ids)[:max_length]
    labels = ([-100] * len(p_ids) + c_ids)[:max_length]
    return {"input_ids": ids, "labels": labels}, len(p_ids) + len(c_ids) > max_length


class CompletionCollator:
    """Right-pads a batch; padded positions are ignored by attention and loss."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features: list[dict]):
        import torch

        width = max(len(f["input_ids"]) for f in features)
        ids = torch.full((len(features), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(features), width), -100, dtype=torch.long)
        mask = torch.zeros((len(features), width), dtype=torch.long)
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            ids[i, :n] = torch.tensor(f["input_ids"])
            labels[i, :n] = torch.tensor(f["labels"])
            mask[i, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def _resumable(checkpoint_dir: str, fingerprint: str) -> bool:
    """True if ``checkpoint_dir`` holds checkpoints of *this* run (same base model, data, recipe).

    Checkpoints left by a run with other inputs are removed, never resumed."""
    stamp = Path(checkpoint_dir) / "fingerprint.txt"
    if any(Path(checkpoint_dir).glob("checkpoint-*")):
        if stamp.exists() and stamp.read_text().strip() == fingerprint:
            log.info("resuming from the last checkpoint in %s", checkpoint_dir)
            return True
        log.warning("removing checkpoints in %s: they belong to a run with other inputs or settings", checkpoint_dir)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    Path(checkpoint_dir).mkdir(parents=True)
    stamp.write_text(fingerprint + "\n")
    return False


def check_visible_gpus(expected: int, visible: int | None = None) -> None:
    """Fail fast when a job sees fewer GPUs than it asked the scheduler for."""
    if visible is None:
        import torch

        visible = torch.cuda.device_count()
    if expected and visible < expected:
        raise RuntimeError(
            f"this job asked for {expected} GPU(s) but sees {visible} "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}); "
            "check the scheduler's GPU binding before training"
        )


def train(base_model: str, mixture_file: str, out_dir: str, log_file: str, checkpoint_dir: str, cfg: TrainConfig) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments, set_seed

    set_seed(cfg.seed)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    accum = grad_accumulation(cfg, world_size)
    cuda = torch.cuda.is_available()

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    prompts.ensure_chat_template(tokenizer)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    records = list(io.read_jsonl(mixture_file, schema="train_record"))
    train_recs = [r for r in records if r["split"] == "train"]
    if not train_recs:
        raise ValueError(f"{mixture_file}: no training records")
    features, truncated = [], 0
    for rec in train_recs:
        feat, cut = tokenize_example(tokenizer, rec["prompt"], rec["response"], cfg.max_length)
        features.append(feat)
        truncated += cut
    n_tokens = sum(len(f["input_ids"]) for f in features)
    steps_per_epoch = math.ceil(len(features) / (cfg.per_device_batch_size * world_size * accum))
    total_steps = math.ceil(steps_per_epoch * cfg.epochs)
    max_steps = cfg.min_steps if cfg.min_steps and cfg.min_steps > total_steps else -1
    derived = {
        "examples": len(features), "tokens": n_tokens, "truncated_examples": truncated, "world_size": world_size,
        "gradient_accumulation_steps": accum, "steps_per_epoch": steps_per_epoch,
        "total_steps": max(total_steps, max_steps), "device": "cuda" if cuda else "cpu",
    }
    log.info("SFT %s on %s: %s", base_model, mixture_file, derived)

    dtype = torch.bfloat16 if (cuda and cfg.bf16) else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype)
    model.config.use_cache = False
    args = TrainingArguments(
        output_dir=checkpoint_dir,
        num_train_epochs=cfg.epochs,
        max_steps=max_steps,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=accum,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay,
        optim="adamw_torch",
        bf16=cuda and cfg.bf16,
        gradient_checkpointing=cfg.gradient_checkpointing,
        use_cpu=not cuda,
        seed=cfg.seed,
        data_seed=cfg.seed,
        logging_steps=1,
        save_strategy="epoch",
        save_total_limit=1,
        report_to=[],
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=features,  # a list is a map-style dataset
                      data_collator=CompletionCollator(tokenizer.pad_token_id))
    resume = _resumable(checkpoint_dir, fingerprint := io.content_hash(
        {"base": base_model, "mixture": io.file_sha256(mixture_file), "config": asdict(cfg), "world_size": world_size}))
    start = time.time()
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    seconds = time.time() - start

    model.config.use_cache = True
    trainer.save_model(out_dir)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)  # resuming is only for killed runs
    tokenizer.save_pretrained(out_dir)
    losses = [{"step": h["step"], "epoch": h.get("epoch"), "loss": h["loss"]} for h in trainer.state.log_history if "loss" in h]
    summary = {
        "base_model": base_model, "mixture_file": mixture_file, "config": asdict(cfg), "derived": derived,
        "resumed": resume, "train_seconds": round(seconds, 2), "train_loss": result.training_loss,
        "tokens_per_second": round(n_tokens * trainer.state.epoch / max(seconds, 1e-9), 1), "loss_curve": losses,
        "provenance": io.provenance(asdict(cfg), [mixture_file], cfg.seed),
    }
    io.write_json(log_file, summary)
    return summary
