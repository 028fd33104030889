"""sft: fine-tune one base model on one training set (see mlpt.sft); one process per visible GPU."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, prompts, sft

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
sft.run_rule(spec, snakemake.resources.get("gpu", 0), accelerate_config=p.accelerate_config)
