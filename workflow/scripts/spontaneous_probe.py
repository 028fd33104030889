"""probe_lens / probe_pca: the logit lens or the PCA of parallel prompts of one checkpoint (see
mlpt.spontaneous.evaluation.probe)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs
from mlpt.spontaneous import evaluation

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
evaluation.probe(
    p.kind, p.model_path, dict(zip(p.languages, snakemake.input.tests)), snakemake.output[0], task=wc.task,
    prompt_file=snakemake.input.prompts, languages=p.languages, limit=p.limit, seed=p.seed,
    batch_size=p.batch_size, meta={"model": wc.model, "condition": wc.mixture},
)
