"""collect_results (study B): one row per model x task x condition x language, with Wilson
intervals (see mlpt.spontaneous.results.collect)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs
from mlpt.spontaneous import results

logs.setup(snakemake)
p = snakemake.params
acc = results.collect(dict(zip(map(tuple, p.runs), snakemake.input)), p.models, p.languages, p.condition_languages)
with io.atomic_path(snakemake.output[0]) as fh:
    acc.to_csv(fh, index=False)
