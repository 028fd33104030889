"""The GPU preflight's comparison with TRL: the same job trained by TRL's ``SFTTrainer``.

:mod:`mlpt.preflight` runs it after its own job, where TRL is installed (the ``bench`` extra; the
product never needs it): the same synthetic records, the same recipe (learning rate, schedule,
warmup, weight decay, global batch = per-device batch × accumulation × processes, max_length, bf16,
gradient checkpointing, attention kernel), the same number of optimiser steps, launched the same
way (one process per GPU, the same accelerate config: FSDP for the large models). The preflight's
examples all have the same length, so batching policy cannot matter: the comparison is the cost
per token of the two training steps (on a GPU, TRL's fused LM head runs as a Triton kernel; on a
CPU it falls back to a chunked autograd function, so a CPU run is only a smoke test of this code).

One process: ``python -m mlpt.trl_compare --spec job.json`` (the preflight's sft job file with a
``trl`` entry: where to write this process's step times).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from . import batching, io, sft


def available() -> bool:
    """Is TRL installed (``pip install -e '.[bench]'``)?"""
    return importlib.util.find_spec("trl") is not None


def train(spec: dict) -> None:
    """Train the job with TRL's SFTTrainer and write this process's step times and token counts to
    ``<spec.trl.record_dir>/rank<k>.json``."""
    import os

    import datasets
    import torch
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from . import models, prompts

    cfg = sft.TrainConfig(**spec["config"])
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
             "completion": [{"role": "assistant", "content": r["response"]}]}
            for r in io.read_jsonl(spec["mixture_file"]) if r["split"] == "train"]
    args = SFTConfig(
        output_dir=str(Path(spec["trl"]["record_dir"]) / "out"), num_train_epochs=cfg.epochs,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=sft.grad_accumulation(cfg, world), learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler, warmup_steps=cfg.warmup_ratio, weight_decay=cfg.weight_decay,
        seed=cfg.seed, max_length=cfg.max_length, bf16=cfg.bf16, gradient_checkpointing=cfg.gradient_checkpointing,
        use_cpu=not torch.cuda.is_available(), logging_steps=1, save_strategy="no", report_to=[],
        dataloader_num_workers=0)
    model = models.load_causal_lm(spec["base_model"], dtype=torch.float32, attn_implementation=cfg.attn_implementation)
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.on_step_end(args, state, control)

        def on_step_end(self, args, state, control, **kwargs):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times.append(time.time())

    trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows),
                         processing_class=prompts.load_tokenizer(spec["base_model"]), callbacks=[StepTimer()])
    trainer.data_collator = collator = batching.CountingCollator(trainer.data_collator)
    trainer.train()
    rank = int(os.environ.get("RANK", "0"))
    io.write_json(Path(spec["trl"]["record_dir"]) / f"rank{rank}.json", {
        "step_seconds": [round(b - a, 4) for a, b in zip(times, times[1:])],
        "positions": collator.positions, "real_tokens": collator.real_tokens,
        "losses": [h["loss"] for h in trainer.state.log_history if "loss" in h]})


def compare(spec: dict, processes: int, accelerate_config: str | None, mlpt_tokens_per_second: float,
            steps: int) -> dict:
    """Run TRL on the preflight job ``spec`` (the same launch) and compare the training tokens/s of
    its last step with ``mlpt_tokens_per_second`` (the preflight's, also of its last step)."""
    if not available():
        return {"skipped": "TRL is not installed (pip install -e '.[bench]')"}
    record_dir = Path(spec["out_dir"]).parent / "trl"
    rc = sft.spawn({**spec, "trl": {"record_dir": str(record_dir)}}, processes, accelerate_config,
                   module="mlpt.trl_compare")
    ranks = [io.read_json(p) for p in sorted(record_dir.glob("rank*.json"))]
    if rc or len(ranks) != processes or any(len(r["step_seconds"]) != steps for r in ranks):
        return {"failed": f"TRL's run exited {rc} with {len(ranks)} of {processes} records; see the log above"}
    last = max(r["step_seconds"][-1] for r in ranks)  # the slowest process; the first step warms up
    tps = sum(r["positions"] for r in ranks) / steps / last
    return {"trl_version": _version(), "steps": steps, "step_seconds": [max(r["step_seconds"][i] for r in ranks)
                                                                       for i in range(steps)],
            "train_tokens_per_second": round(tps, 1), "losses": ranks[0]["losses"],
            "mlpt_over_trl": round(mlpt_tokens_per_second / tps, 3) if tps else None}


def _version() -> str:
    from importlib import metadata

    return metadata.version("trl")


def main(argv: list[str] | None = None) -> None:
    train(sft.read_job(argv, "python -m mlpt.trl_compare",
                       "Train the GPU preflight's job with TRL's SFTTrainer (the comparison of mlpt.preflight)."))


if __name__ == "__main__":
    main()
