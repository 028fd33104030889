"""measure_mt_quality: chrF/BLEU of the MT backend against human translations (see mlpt.translate)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, translate

logs.setup(snakemake)
p = snakemake.params
translate.measure_quality(
    dict(zip(p.tasks, zip(snakemake.input.data, snakemake.input.references))), snakemake.output[0],
    src=p.src, backend=p.backend, codes=p.codes, mt_model=p.mt_model, languages=p.languages,
)
