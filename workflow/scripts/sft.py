"""sft: full fine-tuning of one base model on one mixture (see mlpt.sft)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, sft

logs.setup(snakemake)
p = snakemake.params
sft.check_visible_gpus(snakemake.resources.get("gpu", 0))
cfg = sft.TrainConfig(**{k: v for k, v in p.hparams.items() if k in sft.TrainConfig.__dataclass_fields__}, seed=p.seed)
sft.train(p.base, snakemake.input.mixture, snakemake.output.model, snakemake.output.train_log, p.checkpoints, cfg)
