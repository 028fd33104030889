"""probe_lens / probe_pca: the logit lens or the PCA of parallel prompts of one checkpoint (see
mlpt.spontaneous.evaluation.probe)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, rule_inputs
from mlpt.spontaneous import evaluation

logs.setup(snakemake)
p, wc, inputs = snakemake.params, snakemake.wildcards, snakemake.input
tests = {lang: path for (lang,), path in rule_inputs.by_key(inputs.items(), prefix="tests").items()}
evaluation.probe(
    p.kind, inputs.model, tests, snakemake.output[0], task=wc.task, prompt_file=inputs.prompts,
    languages=list(tests), limit=p.limit, seed=p.seed, batch_size=p.batch_size,
    meta={"model": wc.model, "mixture": wc.mixture},
)
