"""summarise_benchmarks: per-rule wall time and peak memory of the run's expensive jobs."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from pathlib import Path

from mlpt import analysis, io, logs

logs.setup(snakemake)
root = Path(snakemake.output[0]).parents[1] / "benchmarks"  # results/<run>/benchmarks
table = analysis.benchmark_summary(list(snakemake.input), str(root))
with io.atomic_path(snakemake.output[0]) as fh:
    table.to_csv(fh, index=False)
