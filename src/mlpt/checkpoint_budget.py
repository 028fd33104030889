"""Bytes an SFT job writes to checkpoints, and the most temporary disk they hold at once: the policy
of :mod:`mlpt.sft` (``sft.save_dtype``, ``sft.resume_every_hours``) as arithmetic, for ``make plan``.

Per job of ``epochs`` epochs (each epoch end: validation, then saving), with ``params`` parameters:

- a **candidate** (the epoch's weights in ``save_dtype``, 2 or 4 bytes per parameter) at every epoch
  end whose validation score is a new best (for ``selection: last``, every epoch). Counted here as
  every epoch (the worst case: a score that improves each epoch);
- a **resume state** (fp32 weights + AdamW's two moments: :data:`RESUME_BYTES_PER_PARAM`; plus
  scheduler, RNG and trainer state, a few KB) at an epoch end, never the last, once at least
  ``resume_every_hours`` have passed since the job started or since the previous resume state
  (0: at every epoch end but the last). Epochs are taken to last ``job_hours / epochs`` each;
- the **final model**, once, in ``save_dtype`` (the job's output, counted in the bytes written but
  not as temporary disk).

Temporary disk (the job's ``checkpoint_dir``) holds at most: the best candidate, the candidate
being written, and the best candidate named by the newest resume state (kept until a newer
resume state exists, so that a resumed run can always find its best epoch), plus the resume state
and, while a new one is written, its predecessor (removed once the new one is complete).
:func:`job_checkpoint_bytes` replays that order epoch by epoch and returns the largest sum.
"""

from __future__ import annotations

import math

#: bytes per parameter of a saved weight, by ``sft.save_dtype``
WEIGHT_BYTES = {"bf16": 2, "fp32": 4}
#: bytes per parameter of a resume state: fp32 weights (4) + AdamW exp_avg and exp_avg_sq (8).
#: Measured on the tiny models: 12.0 plus a fixed few KB (scheduler, RNG, trainer state, config).
RESUME_BYTES_PER_PARAM = 12
#: the policy before ``save_dtype``/``resume_every_hours`` (for comparison): every epoch a full
#: checkpoint (fp32 weights + optimizer state, 12.34 bytes/param measured on the tiny model with
#: its tokenizer files; 12 for a large model), best + last kept, the final model in fp32
LEGACY_CHECKPOINT_BYTES_PER_PARAM = 12


def resume_epochs(epochs: float, job_hours: float, resume_every_hours: float) -> list[int]:
    """The epoch ends (1-based) at which a resume state is written: never the last epoch; at every
    other epoch end with ``resume_every_hours`` 0; otherwise when at least that many hours have
    passed since the job started or since the previous resume state (epochs of equal length)."""
    n = max(1, math.ceil(epochs))
    epoch_hours = job_hours / n
    written, last = [], 0.0
    for e in range(1, n):
        now = e * epoch_hours
        if resume_every_hours <= 0 or now - last >= resume_every_hours - 1e-9:
            written.append(e)
            last = now
    return written


def job_checkpoint_bytes(params: float, epochs: float, job_hours: float, save_dtype: str = "bf16",
                         resume_every_hours: float = 2.0) -> tuple[float, float]:
    """(bytes written per SFT job: candidates, resume states and the final model; peak temporary
    bytes in the job's checkpoint folder) for a model of ``params`` parameters trained ``epochs``
    epochs in ``job_hours`` hours, under ``sft.save_dtype`` and ``sft.resume_every_hours`` (module
    docstring; the worst case of a validation score that improves every epoch)."""
    if save_dtype not in WEIGHT_BYTES:
        raise ValueError(f"save_dtype must be one of {sorted(WEIGHT_BYTES)}, not {save_dtype!r}")
    n = max(1, math.ceil(epochs))
    candidate = params * WEIGHT_BYTES[save_dtype]
    resume = params * RESUME_BYTES_PER_PARAM
    resumes = set(resume_epochs(epochs, job_hours, resume_every_hours))
    written = n * candidate + len(resumes) * resume + candidate  # + the final model
    peak = 0.0
    best, protected, resume_held = None, None, 0  # candidate epochs on disk; resume states on disk
    for e in range(1, n + 1):
        on_disk = {c for c in (best, protected) if c is not None}
        peak = max(peak, (len(on_disk | {e})) * candidate + resume_held * resume)  # writing candidate e
        best = e  # every epoch a new best: the previous one (unless protected) is removed
        if e in resumes:
            on_disk = {c for c in (best, protected) if c is not None}
            peak = max(peak, len(on_disk) * candidate + (resume_held + 1) * resume)  # writing the new state
            protected, resume_held = best, 1
    return written, peak


def legacy_job_checkpoint_bytes(params: float, epochs: float) -> tuple[float, float]:
    """(bytes written, peak temporary bytes) per job under the old policy: a full checkpoint every
    epoch (best and last kept; while the newest is written, the previous two are still there) and
    the final model in fp32."""
    n = max(1, math.ceil(epochs))
    full = params * LEGACY_CHECKPOINT_BYTES_PER_PARAM
    return n * full + params * 4, min(n, 3) * full
