"""preflight: every base model's preflight record in one file, results/<run>/preflight.json."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, preflight

logs.setup(snakemake)
preflight.merge(dict(zip(snakemake.params.models, snakemake.input)), snakemake.output[0], snakemake.params.run)
