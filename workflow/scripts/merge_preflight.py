"""preflight: every base model's preflight record in one file, results/<run>/preflight.json."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, preflight

logs.setup(snakemake)
preflight.merge(dict(zip(snakemake.params.models, snakemake.input)), snakemake.output[0], snakemake.params.run)
