"""Is an SFT job that was configured for FSDP really sharded? The check, and what it reports.

A job is *configured for FSDP* when the sft rule launches it on several processes with the FSDP
launcher settings (``config/accelerate/fsdp.yaml``, for models above ``sft.fsdp_min_params_b``; see
:func:`mlpt.cluster.accelerate_config`), or when ``accelerate launch`` was given any config whose
``distributed_type`` is FSDP (it then sets ``ACCELERATE_USE_FSDP=true`` in every process).

accelerate does not always honour that: it shards only on accelerator devices. On a CPU it runs
the same launch as ``MULTI_CPU``, i.e. plain data parallelism with a full copy of the model states
in every process, and says nothing. On a GPU node the same fallback (e.g. an environment whose torch
cannot use the GPUs) would give every process all 16 bytes per parameter: out of memory, or a job
that trains at DDP's cost and memory while the plan assumed FSDP. So after
the Trainer has prepared the model (``on_train_begin``: after ``accelerator.prepare``, before the
first step) the callback of :func:`sharding_check` counts the parameters FSDP manages and stops
the job, naming the reason, when they are not all sharded:

    configured for FSDP (config/accelerate/fsdp.yaml) but accelerate ran as MULTI_CPU:
    0 of 25 parameters sharded

What counts as sharded: a parameter that is a ``DTensor`` (FSDP2, ``fully_shard``; its module is an
``FSDPModule``), or a parameter held by a ``FullyShardedDataParallel`` module (FSDP1, flat
parameters) whose sharding strategy is not ``NO_SHARD``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class NotSharded(RuntimeError):
    """A job configured for FSDP whose parameters are not (all) sharded."""


@dataclass(frozen=True)
class ShardingReport:
    """How a prepared model's parameters are held: ``sharded`` of ``parameters`` are managed by FSDP
    (``fsdp_version`` 2: DTensors, 1: FullyShardedDataParallel modules, None: neither), over
    ``shards`` processes (the size of the DTensors' device mesh / the FSDP process group; 1 if
    unsharded)."""

    parameters: int
    sharded: int
    fsdp_version: int | None
    shards: int

    @property
    def fully_sharded(self) -> bool:
        return self.parameters > 0 and self.sharded == self.parameters

    def as_dict(self) -> dict:
        return asdict(self)


def sharding_report(model) -> ShardingReport:
    """Count the parameters of ``model`` (the Trainer's prepared model, wrapped or not) that FSDP
    manages, by FSDP2 (DTensor parameters) or FSDP1 (parameters of FullyShardedDataParallel
    modules)."""
    from torch.distributed.fsdp import FullyShardedDataParallel, ShardingStrategy
    from torch.distributed.tensor import DTensor

    params = list(model.parameters())
    dtensors = [p for p in params if isinstance(p, DTensor)]
    if dtensors:
        return ShardingReport(len(params), len(dtensors), 2, dtensors[0].device_mesh.size())
    fsdp1 = [m for m in model.modules() if isinstance(m, FullyShardedDataParallel)]
    if fsdp1:  # NO_SHARD (FSDP1's DDP mode, also what it falls back to on one process) keeps full copies
        held = {id(p) for m in fsdp1 if m.sharding_strategy != ShardingStrategy.NO_SHARD for p in m.parameters()}
        return ShardingReport(len(params), sum(id(p) in held for p in params), 1, fsdp1[0].world_size)
    return ShardingReport(len(params), 0, None, 1)


def check_sharded(model, distributed_type: str, configured_by: str) -> ShardingReport:
    """The :func:`sharding_report` of ``model``; raises :class:`NotSharded` unless every parameter is
    sharded. ``distributed_type`` (accelerate's, e.g. ``FSDP`` or ``MULTI_CPU``) and ``configured_by``
    (what asked for FSDP) go into the message."""
    report = sharding_report(model)
    if not report.fully_sharded:
        if distributed_type == "FSDP":
            hint = ("FSDP left these parameters out of its units (or keeps full copies: NO_SHARD); check the "
                    "wrap policy and sharding strategy of the FSDP config")
        else:
            hint = ("accelerate shards only on GPUs (on a CPU the same launch silently runs as MULTI_CPU, a full "
                    "copy of the model states per process); check that the job sees the GPUs it asked for and "
                    "that accelerate launch got the FSDP config")
        raise NotSharded(f"configured for FSDP ({configured_by}) but accelerate ran as {distributed_type}: "
                         f"{report.sharded} of {report.parameters} parameters sharded. {hint}. "
                         "Stopping before the first step.")
    return report


def configured(accelerate_config: str | os.PathLike | None) -> bool:
    """Whether an accelerate launcher config asks for FSDP (``distributed_type: FSDP``)."""
    if not accelerate_config:
        return False
    from . import yaml_files

    settings = yaml_files.load_yaml(Path(accelerate_config)) or {}
    return str(settings.get("distributed_type", "")).upper() == "FSDP"


def launched_with_fsdp(environ=None) -> bool:
    """Whether ``accelerate launch`` started this process with an FSDP config (it sets
    ``ACCELERATE_USE_FSDP=true`` from the config's ``distributed_type``)."""
    environ = os.environ if environ is None else environ
    return environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true"


def sharding_check(accelerator, configured_by: str):
    """A TrainerCallback that runs :func:`check_sharded` on the prepared model when training begins
    (every rank; each stops on its own) and keeps the report in its ``report`` attribute."""
    from transformers import TrainerCallback

    class ShardingCheck(TrainerCallback):
        report: ShardingReport | None = None

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            distributed_type = str(accelerator.distributed_type).rsplit(".", 1)[-1]
            try:
                self.report = check_sharded(model, distributed_type, configured_by)
            except NotSharded as err:
                log.error("%s", err)
                raise
            log.info("FSDP%s: %d of %d parameters sharded over %d processes", self.report.fsdp_version,
                     self.report.sharded, self.report.parameters, self.report.shards)

    return ShardingCheck()
