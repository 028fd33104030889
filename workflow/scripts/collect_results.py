"""collect_results: evaluation summaries -> tables/accuracy.csv (Wilson 95% CIs)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import analysis, io, logs

logs.setup(snakemake)
p = snakemake.params
df = analysis.collect(list(snakemake.input), p.models, p.languages, p.mixture_languages)
with io.atomic_path(snakemake.output[0]) as fh:
    df.to_csv(fh, index=False)
