"""build_mixture: one SFT data file (train + val) and its manifest (see mlpt.mixture_stage)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, mixture_stage

logs.setup(snakemake)
p = snakemake.params
mixture_stage.build(
    {lang: snakemake.input[lang] for lang in p.languages}, snakemake.input.selection, snakemake.input.guard,
    snakemake.input.phrases, snakemake.output.records, snakemake.output.manifest, kind=p.kind,
    mixture=snakemake.wildcards.mixture, seed=p.seed,
)
