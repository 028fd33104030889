"""One process of a test SFT job that runs accelerate's FSDP2 on a CPU (``python -m fsdp_on_cpu --spec job.json``).

accelerate 1.15 shards only on accelerator devices: on a CPU its ``_prepare_backend`` returns
``MULTI_CPU``, and ``AcceleratorState`` enters its FSDP branch only for ``MULTI_GPU`` (and the other
accelerator types), so ``accelerate launch --config_file config/accelerate/fsdp.yaml`` trains with
full copies of the model (``mlpt.fsdp`` stops such a job). torch's FSDP2 itself (``fully_shard``,
DTensor parameters, gloo collectives) runs on a CPU. This module does on the CPU what accelerate
does on GPUs: once the state is set up, it switches it to FSDP with the launcher's plugin — the
same assignments as the GPU branch of ``AcceleratorState.__init__`` — and then runs the job exactly
as ``python -m mlpt.sft`` would (``mlpt.sft.train_from_spec``). Everything after that is
accelerate's, transformers' and the project's own FSDP code: loading, ``fully_shard`` of each
decoder layer, training, sharded validation, FULL_STATE_DICT checkpoints, resuming, saving.

A job file may add ``kill_at_step``: every process then SIGKILLs itself when that optimiser step
ends, as a node failure would.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal


def run_accelerate_fsdp_on_cpu() -> None:
    """Make accelerate take its FSDP branch on a CPU (see the module docstring)."""
    from accelerate import state
    from accelerate.utils import DistributedType

    original = state.AcceleratorState.__init__

    def init(self, *args, fsdp_plugin=None, **kwargs):
        original(self, *args, fsdp_plugin=fsdp_plugin, **kwargs)
        if self.distributed_type == DistributedType.MULTI_CPU and fsdp_plugin is not None:
            self.distributed_type = DistributedType.FSDP
            if self._mixed_precision != "no":
                fsdp_plugin.set_mixed_precision(self._mixed_precision)
            self.fsdp_plugin = fsdp_plugin
            state.PartialState._shared_state["distributed_type"] = DistributedType.FSDP

    state.AcceleratorState.__init__ = init


def kill_at(step: int):
    """A TrainerCallback that SIGKILLs this process when optimiser step ``step`` ends."""
    from transformers import TrainerCallback

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == step:
                os.kill(os.getpid(), signal.SIGKILL)

    return Kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with open(args.spec, encoding="utf-8") as fh:
        spec = json.load(fh)
    run_accelerate_fsdp_on_cpu()
    from mlpt import sft

    step = spec.get("kill_at_step")
    sft.train_from_spec(spec, callbacks=(lambda trainer, collator: [kill_at(step)]) if step else None)


if __name__ == "__main__":
    main()
