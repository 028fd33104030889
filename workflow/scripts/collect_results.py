"""collect_results: evaluation summaries -> tables/accuracy.csv (Wilson 95% CIs; each row says
whether its test set is human or machine-translated)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import analysis, io, logs

logs.setup(snakemake)
p = snakemake.params
df = analysis.collect(list(snakemake.input), p.models, p.languages, p.mixture_languages, p.test_sets)
with io.atomic_path(snakemake.output[0]) as fh:
    df.to_csv(fh, index=False)
