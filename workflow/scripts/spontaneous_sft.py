"""sft (study B): LoRA on one condition's question-translation records, merged into the model
(mlpt.sft; one process per visible GPU). The records have no answers to score, so the recipe keeps
the last checkpoint (sft.selection: last, a study rule) and no scorer is named."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, sft

logs.setup(snakemake)
p = snakemake.params
spec = {
    "base_model": p.base,
    "mixture_file": snakemake.input.mixture,
    "out_dir": snakemake.output.model,
    "log_file": snakemake.output.train_log,
    "checkpoint_dir": p.checkpoints,
    "kind": "question_translation",
    "answer_phrases": [],
    "config": {k: v for k, v in {**p.hparams, "seed": p.seed}.items() if k in sft.TrainConfig.__dataclass_fields__},
}
sft.run_job(spec, sft.processes_for(snakemake.resources.get("gpu", 0)), accelerate_config=p.accelerate_config)
