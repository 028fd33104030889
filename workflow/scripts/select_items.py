"""select_items: the train/val items every mixture of one task shares (see mlpt.mixture_stage)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, mixture_stage

logs.setup(snakemake)
mixture_stage.select_items(
    {lang: snakemake.input[lang] for lang in snakemake.params.languages}, snakemake.output[0],
    task=snakemake.wildcards.task,
)
