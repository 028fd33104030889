"""Supervised fine-tuning of one base model on one mixture: full fine-tuning (study A) or LoRA.

One process:      the ``sft`` rule calls :func:`train` (workflow/scripts/sft.py).
Several GPUs:     the rule starts ``accelerate launch -m mlpt.sft --spec <json>`` (:func:`run_job`), one
                  process per visible GPU, with the FSDP configuration of ``config/accelerate/`` for
                  models above ``sft.fsdp_min_params_b``; the world size comes from the launcher and
                  the gradient accumulation is derived from it. A job launched for FSDP checks, once
                  the model is prepared, that its parameters are sharded, and stops otherwise
                  (:mod:`mlpt.fsdp`: accelerate falls back to full copies on a CPU without a word).

Recipe (docs/study.md): AdamW, cosine schedule with warmup, weight decay, a fixed *global* batch
(per-device batch × gradient accumulation × world size, computed here, never hand-set), loss on
the response tokens only (the prompt, chat-template markup included, is masked with -100), the
chat template's end-of-turn marker trained as part of the response. After every epoch the
checkpoint is scored on the mixture's validation records and the best one becomes the rule's
output (ties: the earlier epoch), by one of two criteria (``sft.selection``):

- ``val_accuracy`` (study A): the model answers the validation prompts (:mod:`mlpt.val_accuracy`);
  the best accuracy averaged over the mixture's languages wins.
- ``val_loss`` (study B, LLaMA-Factory's ``load_best_model_at_end`` on the eval loss): the mean
  loss per response token of the validation records, masked exactly as training masks them, summed
  over every record's tokens and divided by their count (not a mean of batch means, so the batch
  size does not change it); the lowest wins. The Trainer's own evaluation computes it
  (``preprocess_logits_for_metrics`` reduces each record to its summed loss and token count, the
  records are sharded over the ranks and gathered, ``metric_for_best_model`` picks the epoch).

``last`` keeps the last epoch. The curves of training loss and of the criterion (with its value
per language) are written to the training log.

Checkpoints live in ``checkpoint_dir``, outside the rule's declared output, and are removed once the
model is saved. They are of two kinds, each sized to its use (``sft.save_dtype``,
``sft.resume_every_hours``; bytes per job: :func:`mlpt.checkpoint_budget.job_checkpoint_bytes`):

- a **candidate** (``candidate-<step>``): the weights of an epoch whose validation score is a new
  best (``last``: every epoch), in ``save_dtype`` (bf16 by default), with its score
  (``candidate.json``), nothing else. The candidate it beats is removed once it is complete, unless
  the newest resume state names it as its best (so that a resumed run always finds the best epoch
  it knew of). The selected candidate becomes the final model, written in ``save_dtype``.
- a **resume state** (``checkpoint-<step>``, the Trainer's: fp32 weights, optimizer, scheduler, RNG,
  trainer state; what a killed job needs to continue bit for bit), written at an epoch end, never
  the last, once at least ``resume_every_hours`` have passed since the job started or since the
  previous one (0: every epoch end but the last). One is kept: the older is removed once the new
  one is complete. A rerun continues from it (candidates after it are removed and recomputed), or
  starts over when there is none.

Under FSDP every rank writes its own shards of both (``SHARDED_STATE_DICT``,
``config/accelerate/fsdp.yaml``); only the final model is gathered. A checkpoint of either kind
counts only once its completeness record (``complete.json``) is written, last, after every process
has written its part: one cut short by a kill is removed on the rerun, never resumed
(docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import batching, code_version, fsdp, io, locks, models, prompts, val_accuracy
from . import config as study_config

log = logging.getLogger(__name__)


#: The config schema's defaults of the ``sft`` section: the only place they are written down.
_DEFAULTS = study_config.schema_defaults("sft")


@dataclass
class TrainConfig:
    """One run's recipe: the validated ``sft`` keys (with the task's overrides), the seed and the
    validation generation budget. Every default is the config schema's (``sft``, ``seed``,
    ``evaluation.max_gen_toks``; the keys are described there), so a key a config leaves out and a
    field a caller leaves out mean the same."""

    epochs: float = _DEFAULTS["epochs"]
    min_steps: int | None = None  # tasks.<task>.sft.min_steps: at least this many optimiser updates (None: no minimum)
    learning_rate: float = _DEFAULTS["learning_rate"]
    lr_scheduler: str = _DEFAULTS["lr_scheduler"]
    warmup_ratio: float = _DEFAULTS["warmup_ratio"]
    weight_decay: float = _DEFAULTS["weight_decay"]
    global_batch_size: int = _DEFAULTS["global_batch_size"]
    per_device_batch_size: int = _DEFAULTS["per_device_batch_size"]
    max_length: int = _DEFAULTS["max_length"]
    bf16: bool = _DEFAULTS["bf16"]
    gradient_checkpointing: bool = _DEFAULTS["gradient_checkpointing"]
    batching: str = _DEFAULTS["batching"]  # mlpt.batching
    padding_free: bool = _DEFAULTS["padding_free"]
    attn_implementation: str = _DEFAULTS["attn_implementation"]
    seed: int = study_config.schema_default("seed")
    method: str = _DEFAULTS["method"]
    lora_r: int = _DEFAULTS["lora_r"]
    lora_alpha: int = _DEFAULTS["lora_alpha"]
    lora_dropout: float = _DEFAULTS["lora_dropout"]
    lora_target_modules: tuple[str, ...] = tuple(_DEFAULTS["lora_target_modules"])
    selection: str = _DEFAULTS["selection"]
    val_batch_size: int = _DEFAULTS["val_batch_size"]
    val_max_new_tokens: int = study_config.schema_default("evaluation", "max_gen_toks")
    val_limit_per_language: int | None = _DEFAULTS["val_limit_per_language"]
    save_dtype: str = _DEFAULTS["save_dtype"]  # candidates and the final model: bf16 | fp32
    resume_every_hours: float = _DEFAULTS["resume_every_hours"]  # 0: a resume state at every epoch end but the last


def grad_accumulation(cfg: TrainConfig, world_size: int) -> int:
    per_step = cfg.per_device_batch_size * world_size
    if cfg.global_batch_size % per_step:
        raise ValueError(
            f"sft.global_batch_size={cfg.global_batch_size} is not a multiple of per_device_batch_size "
            f"({cfg.per_device_batch_size}) × world size ({world_size})"
        )
    return cfg.global_batch_size // per_step


def warmup_steps(cfg: TrainConfig, total_steps: int) -> int:
    """Optimiser steps of linear warmup: ``warmup_ratio`` of all steps, rounded up."""
    return math.ceil(cfg.warmup_ratio * total_steps)


def tokenize_example(tokenizer, prompt: str, response: str, max_length: int) -> tuple[dict, bool]:
    """input_ids + labels with the prompt masked, never cut; returns (features, fits in ``max_length``?).

    An example longer than ``max_length`` is not cut: its response (the only labelled text: the
    worked answer, the gold call) would lose its end, and the model would learn to stop mid-answer.
    Training leaves such examples out and counts them (:func:`_tokenize_all`)."""
    prompt_text, completion_text = prompts.chat_completion(tokenizer, prompt, response)
    p_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    c_ids = tokenizer(completion_text, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in c_ids:
        c_ids = c_ids + [tokenizer.eos_token_id]
    ids, labels = p_ids + c_ids, [-100] * len(p_ids) + c_ids
    return {"input_ids": ids, "labels": labels}, len(ids) <= max_length


def make_collator(cfg: TrainConfig, pad_id: int):
    """Padded batches, or padding-free ones: a batch's examples concatenated into one row with
    ``position_ids`` restarting at 0 per example and no attention mask, from which transformers
    builds a per-example (block-diagonal) causal mask; the first token of each example is not a
    label. Exact (tested); fast with flash-attention varlen kernels on GPU, slower on CPU where the
    mask over the flattened row costs (sum of lengths)^2."""
    if cfg.padding_free:
        from transformers import DataCollatorWithFlattening

        return DataCollatorWithFlattening(return_position_ids=True, separator_id=-100)
    return CompletionCollator(pad_id)


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


COMPLETE = "complete.json"  # written last into a checkpoint: the files it holds and their sizes
RESUME_PREFIX = "checkpoint"  # the Trainer's resume states: checkpoint-<step>
CANDIDATE_PREFIX = "candidate"  # the epochs' candidate weights: candidate-<step>
CANDIDATE_RECORD = "candidate.json"  # a candidate's step, epoch, score and dtype
FSDP_SHARDS = "shards"  # a candidate's folder of torch.distributed.checkpoint shards under FSDP
SAVE_DTYPES = {"bf16": "bfloat16", "fp32": "float32"}


def _checkpoint_complete(checkpoint: Path, required: str = "trainer_state.json") -> bool:
    """True if ``checkpoint`` holds every file its completeness record lists, at the recorded size.

    The record is written after the whole checkpoint (:func:`_mark_complete`), so a checkpoint cut
    short by a kill has none; one whose files were since removed or truncated fails the size check."""
    try:
        files = io.read_json(checkpoint / COMPLETE)["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if required not in files:
        return False
    for name, size in files.items():
        path = checkpoint / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def _mark_complete(checkpoint: Path) -> None:
    """Record ``checkpoint`` as complete: flush every file in it to disk, then write the list of
    files and sizes (atomically, so the record itself is never partial)."""
    files = {}
    for path in sorted(p for p in checkpoint.rglob("*") if p.is_file() and p.name != COMPLETE):
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
        files[path.relative_to(checkpoint).as_posix()] = path.stat().st_size
    io.write_json(checkpoint / COMPLETE, {"files": files})


def _checkpoints(checkpoint_dir: str | Path, prefix: str = RESUME_PREFIX) -> list[Path]:
    """The ``<prefix>-<step>`` folders in ``checkpoint_dir`` (resume states, or candidates), lowest
    step first."""
    steps = {p: p.name.removeprefix(f"{prefix}-") for p in Path(checkpoint_dir).glob(f"{prefix}-*") if p.is_dir()}
    return sorted((p for p, step in steps.items() if step.isdigit()), key=lambda p: int(steps[p]))


def _step(checkpoint: Path) -> int:
    return int(checkpoint.name.rsplit("-", 1)[1])


def _selected_step(resume_state: Path) -> int | None:
    """The candidate a resume state's trainer state selects: its best epoch's step (selection by a
    validation score), else its own step (``last``)."""
    state = io.read_json(resume_state / "trainer_state.json")
    return state.get("best_global_step") or state.get("global_step")


def _prune(checkpoint_dir: str | Path, keep_candidate: int | None) -> None:
    """Keep the newest complete resume state, the candidate ``keep_candidate`` (the best so far) and
    the candidate that resume state selects; remove every other resume state and candidate."""
    resumes = [p for p in _checkpoints(checkpoint_dir) if _checkpoint_complete(p)]
    newest = resumes[-1] if resumes else None
    for old in _checkpoints(checkpoint_dir):
        if old != newest:
            shutil.rmtree(old, ignore_errors=True)
    keep = {keep_candidate, _selected_step(newest) if newest else None}
    for candidate in _checkpoints(checkpoint_dir, CANDIDATE_PREFIX):
        if _step(candidate) not in keep:
            shutil.rmtree(candidate, ignore_errors=True)


def _folder_bytes(path: str | Path) -> int:
    """Bytes of the files under ``path`` (0 if it does not exist)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _weight_bytes(model_dir: str | Path) -> int:
    """Bytes of a saved model's weight files (safetensors), tokenizer and config left out."""
    return sum(p.stat().st_size for p in Path(model_dir).glob("*.safetensors"))


def _cast(state: dict, dtype) -> dict:
    """``state`` with every floating tensor in ``dtype``; tensors that shared storage (tied weights)
    still share it, so that ``save_pretrained`` stores them once. fp32 into fp32 copies nothing."""
    import torch
    from torch.distributed.tensor import DTensor

    cast, out = {}, {}
    for name, tensor in state.items():
        if not torch.is_floating_point(tensor):
            out[name] = tensor
            continue
        if isinstance(tensor, DTensor):  # FSDP shards: data_ptr is not the shard's own storage; no sharing to keep
            key = id(tensor)
        else:
            key = (tensor.data_ptr(), tuple(tensor.shape), tensor.dtype)
        if key not in cast:
            cast[key] = tensor.detach().to(dtype)
        out[name] = cast[key]
    return out


def _resumable(checkpoint_dir: str, fingerprint: str, prepare: bool = True) -> str | None:
    """The checkpoint to resume from: the last *complete* one of *this* run (same base model, data,
    recipe), or None to train from the start.

    With ``prepare`` (one process only), the directory is made ready: checkpoints left by a run with
    other inputs are removed, never resumed, and the directory is stamped for this run; incomplete
    checkpoints (a kill while saving) are removed, so the Trainer never sees one. Without it,
    nothing is changed."""
    stamp = Path(checkpoint_dir) / "fingerprint.txt"
    checkpoints = _checkpoints(checkpoint_dir)
    if checkpoints:
        if stamp.exists() and stamp.read_text().strip() == fingerprint:
            complete = [p for p in checkpoints if _checkpoint_complete(p)]
            for partial in (p for p in checkpoints if prepare and p not in complete):
                log.warning("removing %s: incomplete, its save was cut short (e.g. by a kill)", partial)
                shutil.rmtree(partial)
            if complete:
                log.info("resuming from %s", complete[-1])
                if prepare:  # candidates after the resume state are recomputed; other losers go
                    keep = _selected_step(complete[-1])
                    for candidate in _checkpoints(checkpoint_dir, CANDIDATE_PREFIX):
                        if _step(candidate) != keep or not _checkpoint_complete(candidate, CANDIDATE_RECORD):
                            shutil.rmtree(candidate)
                return str(complete[-1])
            if prepare:
                log.warning("no complete checkpoint in %s: training from the start", checkpoint_dir)
        elif prepare:
            log.warning("removing checkpoints in %s: they belong to a run with other inputs or settings", checkpoint_dir)
    if prepare:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
        Path(checkpoint_dir).mkdir(parents=True)
        stamp.write_text(fingerprint + "\n")
    return None


def processes_for(requested_gpus: int, visible: int | None = None) -> int:
    """Training processes for a job that asked for ``requested_gpus``: one per visible GPU (one on CPU).

    Fails fast when the job sees fewer GPUs than it asked the scheduler for."""
    if visible is None:
        import torch

        visible = torch.cuda.device_count()
    check_visible_gpus(requested_gpus, visible)
    if requested_gpus and visible > requested_gpus:
        log.warning("%d GPUs visible but %d requested: the scheduler did not restrict CUDA_VISIBLE_DEVICES; "
                    "training on all visible GPUs", visible, requested_gpus)
    return max(visible, 1) if requested_gpus else 1


def check_visible_gpus(expected: int, visible: int) -> None:
    """Fail fast when a job sees fewer GPUs than it asked the scheduler for."""
    if expected and visible < expected:
        raise RuntimeError(
            f"this job asked for {expected} GPU(s) but sees {visible} "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}); "
            "check the scheduler's GPU binding before training"
        )


SELECTIONS = ("val_accuracy", "val_loss", "last")  # sft.selection: the checkpoint kept


def token_nll(logits, labels):
    """Per record: (summed negative log-likelihood of its labelled tokens, their count), float64,
    shape (batch, 2). Labels are shifted as the model's own loss shifts them (position t predicts
    label t+1) and -100 is ignored; rows are taken one at a time so that only one row's logits are
    ever upcast to fp32. The Trainer's ``preprocess_logits_for_metrics`` for ``selection: val_loss``."""
    import torch

    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    out = torch.zeros((labels.shape[0], 2), dtype=torch.float64, device=labels.device)
    for i in range(labels.shape[0]):
        target = labels[i, 1:]
        nll = torch.nn.functional.cross_entropy(logits[i, :-1].float(), target, ignore_index=-100, reduction="sum")
        out[i, 0] = nll.double()
        out[i, 1] = (target != -100).sum()
    return out


def loss_metrics(prediction, languages: list[str]) -> dict:
    """``val_loss`` (summed loss / tokens over every validation record) and ``val_loss_<lang>`` (the
    same within each language) from the gathered :func:`token_nll` rows, which arrive in the order
    of the evaluation dataset (``languages``: each record's language, in that order)."""
    import numpy as np

    sums = np.asarray(prediction.predictions, dtype=np.float64).reshape(-1, 2)
    if len(sums) != len(languages):
        raise RuntimeError(f"validation loss: {len(sums)} records scored, {len(languages)} expected")
    metrics = {"val_loss": float(sums[:, 0].sum() / max(sums[:, 1].sum(), 1))}
    langs = np.asarray(languages)
    for lang in sorted(set(languages)):
        mine = sums[langs == lang]
        metrics[f"val_loss_{lang}"] = float(mine[:, 0].sum() / max(mine[:, 1].sum(), 1))
    return metrics


def _validating_trainer_class():
    from transformers import Trainer

    class ValidatingTrainer(Trainer):
        """A Trainer whose evaluation is the selection criterion: validation *accuracy* (generation +
        the task's scorer, here) or validation *loss* (the Trainer's own evaluation loop, with
        ``compute_metrics`` = :func:`loss_metrics`)."""

        def __init__(self, *args, val_records: list[dict], kind: str, answer_phrases: list[str], cfg: TrainConfig,
                     eval_collator=None, resume_state_at_end: bool = False, **kwargs):
            super().__init__(*args, **kwargs)
            self.val_records, self.kind, self.answer_phrases, self.cfg = val_records, kind, answer_phrases, cfg
            self.eval_collator = eval_collator
            self.resume_state_at_end = resume_state_at_end
            self.last_resume_state = time.time()  # the job's start, then when the last resume state was written
            #: this process's checkpoint writes (first process: bytes of complete checkpoints, the most held at once)
            self.checkpoint_bytes = {"written_bytes": 0, "peak_bytes": 0, "candidates_written": 0,
                                     "resume_states_written": 0}

        def _save_checkpoint(self, model, trial) -> None:
            """At an epoch end (the Trainer has validated): the epoch's candidate if it is a new best
            (``last``: always), the resume state if one is due (:func:`_resume_due`), then the
            checkpoints no longer needed are removed (:func:`_prune`). Each counts once complete."""
            step, run_dir = self.state.global_step, Path(self.args.output_dir)
            by_val = self.cfg.selection != "last"
            best = self.state.best_global_step if by_val else step
            written = []
            if best == step:
                _write_candidate(self, run_dir / f"{CANDIDATE_PREFIX}-{step}")
                written.append(("candidates_written", run_dir / f"{CANDIDATE_PREFIX}-{step}"))
            if self._resume_due():
                super()._save_checkpoint(model, trial)  # the Trainer's checkpoint-<step>, every rank its part
                self.accelerator.wait_for_everyone()
                if self.is_world_process_zero():
                    _mark_complete(run_dir / f"{RESUME_PREFIX}-{step}")
                self.last_resume_state = time.time()
                written.append(("resume_states_written", run_dir / f"{RESUME_PREFIX}-{step}"))
            if self.is_world_process_zero():
                counts = self.checkpoint_bytes
                for kind, path in written:
                    counts[kind] += 1
                    counts["written_bytes"] += _folder_bytes(path)
                counts["peak_bytes"] = max(counts["peak_bytes"], _folder_bytes(run_dir))  # before the pruning
                _prune(run_dir, best)
            self.accelerator.wait_for_everyone()

        def _resume_due(self) -> bool:
            """A resume state now? At the last step only with ``resume_state_at_end``; else when
            ``resume_every_hours`` have passed since the job started or the last one (0: always).
            The first process decides for all (their clocks differ; the write is collective)."""
            if self.state.global_step >= self.state.max_steps:
                return self.resume_state_at_end
            due = [time.time() - self.last_resume_state >= self.cfg.resume_every_hours * 3600]
            if self.args.world_size > 1:
                from accelerate.utils import broadcast_object_list

                broadcast_object_list(due, from_process=0)
            return bool(due[0])

        def _issue_warnings_after_load(self, load_result) -> None:
            """After the Trainer reloads a checkpoint into the model (the best one at the end,
            ``load_best_model_at_end``, or the last one to resume): a tied weight's name
            (``lm_head.weight``, stored once under the embedding's) is expected to be missing,
            and transformers' warning of it at every reload is left out; any other missing weight
            stops the run (:func:`mlpt.models.really_missing`), as it does at loading
            (``models._check_complete``). Unexpected keys are warned of as before."""
            missing = models.really_missing(self.model, load_result.missing_keys)
            if missing:
                raise ValueError(f"the reloaded checkpoint lacks weights: {missing[:5]}"
                                 f"{' ...' if len(missing) > 5 else ''} ({len(missing)} in all)")
            super()._issue_warnings_after_load(load_result._replace(missing_keys=[]))

        def get_eval_dataloader(self, eval_dataset=None):
            """Validation batches are always padded (one row per record, never padding-free: the
            gathered rows must be the records) and are not counted in the training batch costs."""
            train_collator, self.data_collator = self.data_collator, self.eval_collator or self.data_collator
            try:
                return super().get_eval_dataloader(eval_dataset)
            finally:
                self.data_collator = train_collator

        def _get_train_sampler(self, train_dataset=None):
            """random / step_sorted: every optimiser step takes the next global batch of one seeded
            permutation (mlpt.batching); group_by_length: transformers' own sampler."""
            if self.cfg.batching == "group_by_length":
                return super()._get_train_sampler(train_dataset)
            dataset = self.train_dataset if train_dataset is None else train_dataset
            world = max(1, self.args.world_size)
            return batching.StepSampler(
                [len(f["input_ids"]) for f in dataset], self.cfg.global_batch_size, world,
                self.args.gradient_accumulation_steps, seed=self.cfg.seed, rank=self.args.process_index,
                sort=self.cfg.batching == "step_sorted")

        def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict:
            if self.cfg.selection == "val_loss":
                metrics = super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)
                prefix = f"{metric_key_prefix}_val_loss"
                log.info("epoch %.2f: validation loss %.4f %s", self.state.epoch or 0, metrics[prefix],
                         {k.removeprefix(prefix + "_"): round(v, 4) for k, v in metrics.items()
                          if k.startswith(prefix + "_")})
                return metrics
            result = val_accuracy.accuracy(self.model, self.processing_class, self.val_records, kind=self.kind,
                                         answer_phrases=self.answer_phrases, batch_size=self.cfg.val_batch_size,
                                         max_new_tokens=self.cfg.val_max_new_tokens)
            metrics = {f"{metric_key_prefix}_val_accuracy": result["accuracy"]}
            metrics.update({f"{metric_key_prefix}_val_accuracy_{lang}": acc for lang, acc in result["by_language"].items()})
            log.info("epoch %.2f: validation accuracy %.3f %s", self.state.epoch or 0, result["accuracy"],
                     {k: round(v, 3) for k, v in result["by_language"].items()})
            self.log(metrics)
            return metrics

    return ValidatingTrainer


def _write_candidate(trainer, path: Path) -> None:
    """Write the model's weights in ``sft.save_dtype`` to ``path`` (every process calls it): under
    FSDP each rank its own shards (torch.distributed.checkpoint), else the first process a
    ``save_pretrained`` folder (LoRA: the adapter, in fp32: it is small); then the epoch's record
    and the completeness record."""
    import torch

    cfg, main = trainer.cfg, trainer.is_world_process_zero()
    dtype = getattr(torch, SAVE_DTYPES[cfg.save_dtype])
    if main:
        shutil.rmtree(path, ignore_errors=True)  # a rerun recomputing this epoch
        path.mkdir(parents=True)
    trainer.accelerator.wait_for_everyone()
    if trainer.is_fsdp_enabled:
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        dcp.save(_cast(get_model_state_dict(trainer.model), dtype), checkpoint_id=str(path / FSDP_SHARDS))
    elif main:
        model = trainer.accelerator.unwrap_model(trainer.model)
        if cfg.method == "lora":
            model.save_pretrained(path)
        else:
            model.save_pretrained(path, state_dict=_cast(model.state_dict(), dtype))
    trainer.accelerator.wait_for_everyone()
    if main:
        metric = trainer.state.best_metric if cfg.selection != "last" else None
        io.write_json(path / CANDIDATE_RECORD, {"global_step": trainer.state.global_step, "epoch": trainer.state.epoch,
                                                "criterion": cfg.selection, "value": metric,
                                                "save_dtype": cfg.save_dtype})
        _mark_complete(path)
    trainer.accelerator.wait_for_everyone()


def _load_candidate(trainer, path: Path) -> None:
    """Load the candidate ``path`` into the (fp32) model being trained, on every process."""
    import torch

    if not _checkpoint_complete(path, CANDIDATE_RECORD):
        raise RuntimeError(f"the selected checkpoint {path} is missing or incomplete")
    if trainer.is_fsdp_enabled:
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import get_model_state_dict, set_model_state_dict

        dtype = getattr(torch, SAVE_DTYPES[trainer.cfg.save_dtype])
        state = {k: v.detach().to(dtype) for k, v in get_model_state_dict(trainer.model).items()}
        dcp.load(state, checkpoint_id=str(path / FSDP_SHARDS))
        set_model_state_dict(trainer.model, {k: v.to(torch.float32) for k, v in state.items()})
    else:  # the Trainer's own loading of a saved folder (full weights or a LoRA adapter)
        trainer.state.best_model_checkpoint = str(path)
        trainer._load_best_model()
    trainer.accelerator.wait_for_everyone()


def _wrap_lora(model, cfg: TrainConfig):
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.lora_target_modules), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    trainable, total = model.get_nb_trainable_parameters()
    log.info("LoRA on %s: %d of %d parameters trainable", list(cfg.lora_target_modules), trainable, total)
    return model


def _batch_costs(collator: batching.CountingCollator, seconds: float) -> dict:
    """``padding_share`` (padded / all positions computed) and ``real_tokens_per_second`` of the
    batches this run built, summed over all ranks."""
    real, positions = collator.real_tokens, collator.positions
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        import torch

        totals = torch.tensor([real, positions], dtype=torch.float64)
        dist.all_reduce(totals)
        real, positions = int(totals[0]), int(totals[1])
    return {"padding_share": round(1 - real / positions, 4) if positions else None,
            "real_tokens_per_second": round(real / max(seconds, 1e-9), 1)}


def curve(log_history: list[dict]) -> tuple[list[dict], list[dict]]:
    """(loss per optimiser step, the selection criterion per epoch) from a Trainer's log history:
    each validation point holds ``val_accuracy`` or ``val_loss`` and its value ``by_language``."""
    losses = [{"step": h["step"], "epoch": h.get("epoch"), "loss": h["loss"]} for h in log_history if "loss" in h]
    val = [{"step": h["step"], "epoch": h.get("epoch"), metric: h[f"eval_{metric}"],
            "by_language": {k.removeprefix(f"eval_{metric}_"): v for k, v in h.items()
                            if k.startswith(f"eval_{metric}_")}}
           for h in log_history for metric in ("val_accuracy", "val_loss") if f"eval_{metric}" in h]
    return losses, val


def _check_recipe(cfg: TrainConfig) -> None:
    if cfg.method not in ("full", "lora"):
        raise ValueError(f"sft.method must be 'full' or 'lora', not {cfg.method!r}")
    if cfg.selection not in SELECTIONS:
        raise ValueError(f"sft.selection must be one of {', '.join(map(repr, SELECTIONS))}, not {cfg.selection!r}")


def _read_mixture(mixture_file: str, cfg: TrainConfig) -> tuple[list[dict], list[dict]]:
    """(training records, validation records) of the mixture file; an error if training has none
    to learn from or the selection criterion none to score."""
    records = list(io.read_jsonl(mixture_file, schema="train_record"))
    train_recs = [r for r in records if r["split"] == "train"]
    val_recs = val_accuracy.select_records(records, cfg.val_limit_per_language)
    if not train_recs:
        raise ValueError(f"{mixture_file}: no training records")
    if cfg.selection != "last" and not val_recs:
        raise ValueError(f"{mixture_file}: no validation records, but sft.selection is {cfg.selection!r}")
    return train_recs, val_recs


def _tokenize_all(tokenizer, records: list[dict], max_length: int) -> tuple[list[dict], int]:
    """The training features of the ``records`` that fit in ``max_length`` tokens, and how many
    were left out for being longer (never cut: see :func:`tokenize_example`)."""
    features = []
    for rec in records:
        feat, fits = tokenize_example(tokenizer, rec["prompt"], rec["response"], max_length)
        if fits:
            features.append(feat)
    left_out = len(records) - len(features)
    if left_out:
        log.warning("%d of %d training examples are longer than sft.max_length=%d tokens and are left out "
                    "(never cut: a cut would train on half an answer); counted as too_long_examples",
                    left_out, len(records), max_length)
    if records and not features:
        raise ValueError(f"every one of the {len(records)} training examples is longer than "
                         f"sft.max_length={max_length} tokens: raise sft.max_length")
    return features, left_out


def _schedule(cfg: TrainConfig, examples: int, world_size: int, accum: int) -> tuple[int, int, int]:
    """(optimiser steps per epoch, steps of ``epochs`` epochs, ``max_steps`` for the Trainer): -1
    trains the epochs, a larger ``min_steps`` trains that many steps instead."""
    steps_per_epoch = math.ceil(examples / (cfg.per_device_batch_size * world_size * accum))
    total_steps = math.ceil(steps_per_epoch * cfg.epochs)
    max_steps = cfg.min_steps if cfg.min_steps and cfg.min_steps > total_steps else -1
    return steps_per_epoch, total_steps, max_steps


def _training_arguments(cfg: TrainConfig, checkpoint_dir: str, accum: int, total_steps: int, max_steps: int,
                        cuda: bool):
    """The Trainer's arguments for the recipe: one checkpoint per epoch, evaluated by validation
    accuracy (``selection: val_accuracy``, the highest kept) or loss (``val_loss``, the lowest kept;
    ties keep the earlier epoch either way: only a strictly better value replaces the best) or not
    (``last``)."""
    from transformers import TrainingArguments

    by_val = cfg.selection != "last"
    return TrainingArguments(
        output_dir=checkpoint_dir,
        num_train_epochs=cfg.epochs,
        max_steps=max_steps,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=accum,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=warmup_steps(cfg, max(total_steps, max_steps)),
        weight_decay=cfg.weight_decay,
        optim="adamw_torch",
        bf16=cfg.bf16,  # autocast (GPU or CPU); the fp32 weights loaded by train() stay the master copy
        activation_checkpointing=cfg.gradient_checkpointing,
        use_cpu=not cuda,
        seed=cfg.seed,
        data_seed=cfg.seed,
        # random / step_sorted: mlpt.batching.StepSampler (ValidatingTrainer._get_train_sampler)
        train_sampling_strategy="group_by_length" if cfg.batching == "group_by_length" else "random",
        logging_steps=1,
        eval_strategy="epoch" if by_val else "no",
        save_strategy="epoch",  # ValidatingTrainer._save_checkpoint: a candidate and/or a resume state
        save_total_limit=None,  # mlpt.sft._prune keeps what is needed
        load_best_model_at_end=False,  # the best candidate is loaded by _train_prepared
        metric_for_best_model=cfg.selection if by_val else None,  # eval_val_accuracy / eval_val_loss
        greater_is_better=cfg.selection == "val_accuracy" if by_val else None,
        per_device_eval_batch_size=cfg.val_batch_size,  # val_loss: records per forward pass
        report_to=[],
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=False,
    )


def _save_model(trainer, cfg: TrainConfig, tokenizer, out_dir: str) -> None:
    """Write the selected weights (LoRA merged into the base in fp32) in ``sft.save_dtype`` and the
    tokenizer to ``out_dir``.

    The fine-tuned model ends its answers with the template's end-of-turn token: generation (HF
    and vLLM) stops there as well as at EOS."""
    import torch

    main_process = trainer.is_world_process_zero()
    stop_ids = prompts.stop_token_ids(tokenizer)
    dtype = getattr(torch, SAVE_DTYPES[cfg.save_dtype])
    if cfg.method == "lora":  # merge in fp32: merging into bf16 weights loses precision
        merged = trainer.model.float().merge_and_unload()
        merged.config.use_cache = True
        merged.generation_config.eos_token_id = stop_ids
        if main_process:
            merged.save_pretrained(out_dir, state_dict=_cast(merged.state_dict(), dtype))
    else:
        trainer.model.config.use_cache = True
        trainer.model.generation_config.eos_token_id = stop_ids
        if trainer.is_fsdp_enabled:  # every rank: the shards are gathered into the first process's full copy
            state = trainer.accelerator.get_state_dict(trainer.model)
        else:
            state = trainer.accelerator.unwrap_model(trainer.model).state_dict()
        trainer._save(out_dir, state_dict=_cast(state, dtype))
    if main_process:  # save_pretrained records the dtype of the (fp32) model, not of the weights it wrote
        config = io.read_json(Path(out_dir) / "config.json")
        io.write_json(Path(out_dir) / "config.json", {**config, "dtype": SAVE_DTYPES[cfg.save_dtype]})
        tokenizer.save_pretrained(out_dir)


def _prepare_data(tokenizer, mixture_file: str, cfg: TrainConfig, world_size: int, accum: int,
                  cuda: bool) -> tuple[list[dict], list[dict], dict]:
    """(training features, validation records, the derived numbers of the run: examples, tokens,
    examples left out for length, batch arithmetic and schedule, device)."""
    train_recs, val_recs = _read_mixture(mixture_file, cfg)
    features, too_long = _tokenize_all(tokenizer, train_recs, cfg.max_length)
    steps_per_epoch, total_steps, max_steps = _schedule(cfg, len(features), world_size, accum)
    derived = {
        "examples": len(features), "tokens": sum(len(f["input_ids"]) for f in features),
        "too_long_examples": too_long, "world_size": world_size, "gradient_accumulation_steps": accum,
        "steps_per_epoch": steps_per_epoch, "total_steps": max(total_steps, max_steps),
        "device": "cuda" if cuda else "cpu", "validation_items": len(val_recs),
    }
    return features, val_recs, derived


def _build_trainer(base_model: str, checkpoint_dir: str, cfg: TrainConfig, tokenizer, features: list[dict],
                   val_recs: list[dict], world_size: int, accum: int, *, kind: str, answer_phrases: list[str],
                   resume_state_at_end: bool = False):
    """(the Trainer, its counting collator) for the base model loaded in fp32, LoRA-wrapped for
    ``method: lora``.

    Weights are always loaded in fp32: they are the master copy the optimiser updates, so an
    lr-1e-5 update is not rounded away as it would be in bf16. With bf16 the Trainer computes the
    forward and backward passes under bf16 autocast (FSDP2: MixedPrecisionPolicy with bf16
    parameters for compute, fp32 shards)."""
    import torch

    model = models.load_causal_lm(base_model, dtype=torch.float32, attn_implementation=cfg.attn_implementation)
    model.config.use_cache = False
    if cfg.method == "lora":
        model = _wrap_lora(model, cfg)
    _, total_steps, max_steps = _schedule(cfg, len(features), world_size, accum)
    args = _training_arguments(cfg, checkpoint_dir, accum, total_steps, max_steps, torch.cuda.is_available())
    collator = batching.CountingCollator(make_collator(cfg, tokenizer.pad_token_id))
    evaluation = {}
    if cfg.selection == "val_loss":  # the Trainer's evaluation loop scores the tokenized records
        # every held-out record is scored whole, one for one with its language
        val_features = [tokenize_example(tokenizer, r["prompt"], r["response"], cfg.max_length)[0] for r in val_recs]
        languages = [r["lang"] for r in val_recs]
        evaluation = {"eval_dataset": val_features, "eval_collator": CompletionCollator(tokenizer.pad_token_id),
                      "preprocess_logits_for_metrics": token_nll,
                      "compute_metrics": functools.partial(loss_metrics, languages=languages)}
    elif cfg.selection == "val_accuracy":
        evaluation = {"eval_dataset": val_recs}  # read by our evaluate(), not by the Trainer
    trainer = _validating_trainer_class()(
        model=model, args=args, train_dataset=features,  # a list is a map-style dataset
        data_collator=collator, processing_class=tokenizer,
        val_records=val_recs, kind=kind, answer_phrases=answer_phrases, cfg=cfg,
        resume_state_at_end=resume_state_at_end, **evaluation,
    )
    return trainer, collator


def train(base_model: str, mixture_file: str, out_dir: str, log_file: str, checkpoint_dir: str, cfg: TrainConfig, *,
          kind: str, answer_phrases: list[str], fsdp_config: str | None = None, callbacks=None,
          resume_state_at_end: bool = False) -> dict:
    """Fine-tune ``base_model`` on ``mixture_file`` with the recipe ``cfg``; write the selected model to
    ``out_dir`` and the training log (curves, derived batch numbers, provenance) to ``log_file``.

    Resumes from the last complete checkpoint of the same run in ``checkpoint_dir`` (the module
    docstring); ``kind`` and ``answer_phrases`` score the validation answers.

    A job configured for FSDP (``fsdp_config``: the accelerate config it was launched with, or an
    ``accelerate launch`` that set ``ACCELERATE_USE_FSDP``) stops before its first step unless its
    prepared parameters are all sharded (:mod:`mlpt.fsdp`); the training log records how they were.
    ``callbacks``: a function of (trainer, its counting collator) returning more TrainerCallbacks,
    run once a checkpoint is complete (the GPU preflight's step timer and kill).
    ``resume_state_at_end``: write a resume state at the last epoch end too (the GPU preflight, one
    epoch long, resumes from it)."""
    import torch
    from transformers import set_seed

    _check_recipe(cfg)
    set_seed(cfg.seed)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    accum = grad_accumulation(cfg, world_size)
    tokenizer = prompts.load_tokenizer(base_model)
    features, val_recs, derived = _prepare_data(tokenizer, mixture_file, cfg, world_size, accum,
                                                torch.cuda.is_available())
    log.info("SFT (%s) %s on %s: %s", cfg.method, base_model, mixture_file, derived)

    trainer, collator = _build_trainer(base_model, checkpoint_dir, cfg, tokenizer, features, val_recs, world_size,
                                       accum, kind=kind, answer_phrases=answer_phrases,
                                       resume_state_at_end=resume_state_at_end)
    fingerprint = io.content_hash(
        {"code": code_version.module_hash("sft"), "base": base_model,
         "weights": models.fingerprint(base_model),
         "mixture": io.file_sha256(mixture_file), "config": asdict(cfg), "world_size": world_size})
    with contextlib.ExitStack() as held:
        if trainer.is_world_process_zero():  # one live writer per checkpoint folder (mlpt.locks)
            held.enter_context(locks.writer_lock(checkpoint_dir))
        return _train_prepared(trainer, collator, tokenizer, cfg, derived, fingerprint, base_model, mixture_file,
                               out_dir, log_file, checkpoint_dir, fsdp_config, callbacks)


def _train_prepared(trainer, collator, tokenizer, cfg: TrainConfig, derived: dict, fingerprint: str, base_model: str,
                    mixture_file: str, out_dir: str, log_file: str, checkpoint_dir: str, fsdp_config, callbacks) -> dict:
    """:func:`train` once its Trainer is built and the checkpoint folder's writer lock is held."""
    with trainer.args.main_process_first(desc="checkpoint directory"):  # rank 0 prepares it; the others only read
        resume_from = _resumable(checkpoint_dir, fingerprint, prepare=trainer.is_world_process_zero())
    sharding = None
    if fsdp_config or fsdp.launched_with_fsdp():  # never let FSDP fall back to full copies silently
        sharding = fsdp.sharding_check(trainer.accelerator, fsdp_config or "ACCELERATE_USE_FSDP=true")
        trainer.add_callback(sharding)
    for callback in callbacks(trainer, collator) if callbacks else []:
        trainer.add_callback(callback)
    start = time.time()
    writing = checkpoint_dir  # where a full disk would stop it: checkpoints while training, then the model
    try:
        result = trainer.train(resume_from_checkpoint=resume_from)
        seconds = time.time() - start
        by_val = cfg.selection != "last"
        if by_val and trainer.state.best_global_step is not None:  # ``last``: the weights in memory are the last
            _load_candidate(trainer, Path(checkpoint_dir) / f"{CANDIDATE_PREFIX}-{trainer.state.best_global_step}")
        writing = out_dir
        _save_model(trainer, cfg, tokenizer, out_dir)
    except (OSError, RuntimeError) as err:
        if locks.is_disk_full(err):
            raise locks.explain_disk_full(err, writing) from err
        raise
    # {global_step, val_accuracy | val_loss: its value, criterion}; ``last``: val_accuracy None
    selected = {"global_step": trainer.state.best_global_step if by_val else trainer.state.global_step,
                cfg.selection if by_val else "val_accuracy": trainer.state.best_metric if by_val else None,
                "criterion": cfg.selection}
    if trainer.is_world_process_zero():
        shutil.rmtree(checkpoint_dir, ignore_errors=True)  # resuming is only for killed runs
    losses, val_curve = curve(trainer.state.log_history)
    summary = {
        "base_model": base_model, "mixture_file": mixture_file, "config": asdict(cfg), "derived": derived,
        "resumed": resume_from is not None, "train_seconds": round(seconds, 2), "train_loss": result.training_loss,
        "tokens_per_second": round(derived["tokens"] * trainer.state.epoch / max(seconds, 1e-9), 1),
        "selected": selected, **_batch_costs(collator, seconds),  # every rank: a collective under several
        "sharding": sharding.report.as_dict() if sharding and sharding.report else None,
        "checkpoints": {**trainer.checkpoint_bytes, "final_model_bytes": _weight_bytes(out_dir)},
        "loss_curve": losses, "val_curve": val_curve,
        "provenance": io.provenance(asdict(cfg), [mixture_file], cfg.seed),
    }
    if trainer.is_world_process_zero():
        io.write_json(log_file, summary)
        log.info("selected checkpoint: %s", selected)
    return summary


# --- one process per GPU: accelerate launch ------------------------------------------------------


def launch_command(spec_file: str, num_processes: int, accelerate_config: str | None = None,
                   port: int | None = None, module: str = "mlpt.sft") -> list[str]:
    """The ``accelerate launch`` command that runs ``python -m <module> --spec <spec_file>`` (by
    default :func:`main`) on ``num_processes`` processes; one process: plain ``python -m``."""
    import sys

    if num_processes <= 1:
        return [sys.executable, "-m", module, "--spec", spec_file]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes),
           "--num_machines", "1", "--dynamo_backend", "no"]
    if accelerate_config:
        cmd += ["--config_file", accelerate_config]
    else:
        cmd += ["--multi_gpu", "--mixed_precision", "no"]  # bf16 is set by the Trainer from the recipe
    if port:
        cmd += ["--main_process_port", str(port)]
    return cmd + ["-m", module, "--spec", spec_file]


def with_fsdp_config(spec: dict, num_processes: int, accelerate_config: str | None) -> dict:
    """``spec`` with ``fsdp_config`` set to the accelerate config when the job is configured for FSDP
    (several processes and an FSDP launcher config), so that every process checks the sharding."""
    sharded = num_processes > 1 and fsdp.configured(accelerate_config)
    return {**spec, "fsdp_config": str(accelerate_config) if sharded else None}


def spawn(spec: dict, num_processes: int, accelerate_config: str | None = None, module: str = "mlpt.sft") -> int:
    """Run the job ``spec`` in new processes (:func:`launch_command`) and return their exit status."""
    import subprocess
    import tempfile

    spec = with_fsdp_config(spec, num_processes, accelerate_config)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    cmd = launch_command(fh.name, num_processes, accelerate_config, port=29500 + os.getpid() % 1000, module=module)
    log.info("launching %d process(es): %s", num_processes, " ".join(cmd))
    try:
        return subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))).returncode
    finally:
        os.unlink(fh.name)


def run_rule(spec: dict, requested_gpus: int, accelerate_config: str | None = None) -> None:
    """The sft rule's job: ``spec`` as :func:`run_job` takes it, its ``config`` holding the run's
    recipe (keys that are no :class:`TrainConfig` field are dropped), on one process per GPU the job
    asked for (one on a CPU)."""
    run_job({**spec, "config": config_fields(spec["config"])}, processes_for(requested_gpus),
            accelerate_config=accelerate_config)


def config_fields(recipe: dict) -> dict:
    """The keys of an sft recipe that are :class:`TrainConfig` fields (the rest are the workflow's)."""
    return {k: v for k, v in recipe.items() if k in TrainConfig.__dataclass_fields__}


def run_job(spec: dict, num_processes: int, accelerate_config: str | None = None) -> None:
    """Train in this process (one device) or through ``accelerate launch`` (several)."""
    if num_processes <= 1:
        train_from_spec(spec)
        return
    returncode = spawn(spec, num_processes, accelerate_config)
    if returncode:
        raise RuntimeError(f"distributed SFT failed (exit {returncode}); see the log above")


def train_from_spec(spec: dict, callbacks=None) -> dict:
    """Train the job file's run (:func:`main`); ``callbacks`` as in :func:`train`."""
    cfg = TrainConfig(**spec["config"])
    return train(spec["base_model"], spec["mixture_file"], spec["out_dir"], spec["log_file"], spec["checkpoint_dir"],
                 cfg, kind=spec["kind"], answer_phrases=spec["answer_phrases"], fsdp_config=spec.get("fsdp_config"),
                 callbacks=callbacks, resume_state_at_end=spec.get("resume_state_at_end", False))


def read_job(argv: list[str] | None, prog: str, description: str) -> dict:
    """The JSON job file named by ``--spec`` on a training process's command line (``prog``: the
    module run, ``description``: its help), with logging to stderr set up."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--spec", required=True, help="JSON job file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with open(args.spec, encoding="utf-8") as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> None:
    """Entry point of one training process (``python -m mlpt.sft --spec job.json``)."""
    train_from_spec(read_job(argv, "python -m mlpt.sft", (
        "Fine-tune one base model on one mixture. The job file holds base_model, mixture_file, out_dir, "
        "log_file, checkpoint_dir, kind, answer_phrases, config (the fields of mlpt.sft.TrainConfig) and "
        "fsdp_config (the accelerate config of a job that must run sharded, or null). The sft rule writes it; "
        "start several processes with accelerate launch.")))

if __name__ == "__main__":
    main()
