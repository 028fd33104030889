"""sft: fine-tune one base model on one training set (see mlpt.sft); one process per visible GPU.
With ``warm_worker`` on, in a process forked from the warm worker (mlpt.warm)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, prompts, sft, warm

logs.setup(snakemake)
p = snakemake.params
spec = {
    "base_model": p.base,
    "mixture_file": snakemake.input.mixture,
    "out_dir": snakemake.output.model,
    "log_file": snakemake.output.train_log,
    "checkpoint_dir": p.checkpoints,
    "kind": p.kind,
    "answer_phrases": prompts.answer_phrases(prompts.load_phrases(snakemake.input.phrases)),
    "config": {**p.hparams, "seed": p.seed},
}
warm.call(sft.run_rule, {"spec": spec, "requested_gpus": snakemake.resources.get("gpu", 0),
                         "accelerate_config": p.accelerate_config}, enabled=snakemake.config["warm_worker"])
