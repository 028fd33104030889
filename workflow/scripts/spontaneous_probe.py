"""probe_lens / probe_pca: the logit lens or the PCA of parallel prompts of one checkpoint (see
mlpt.spontaneous.evaluation.probe)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import os

from mlpt import logs, rule_inputs
from mlpt.spontaneous import evaluation

logs.setup(snakemake)
p, wc, inputs = snakemake.params, snakemake.wildcards, snakemake.input
probe, settings = p.probe, p.evaluation
tests = {lang: path for (lang,), path in rule_inputs.by_key(inputs.items(), prefix="tests").items()}
reference = inputs.get("reference") or None
evaluation.probe(
    p.kind, inputs.model, tests, snakemake.output[0], task=wc.task, prompt_file=inputs.prompts,
    languages=list(tests), limit=probe["limit"], seed=p.seed, batch_size=settings["batch_size"],
    meta={"model": wc.model, "mixture": wc.mixture}, prompts_from=probe["prompts"],
    authors_file=os.path.join(reference, evaluation.AUTHORS_FILES[p.kind]) if reference else None,
    quantization=settings["quantization"], quantization_fallback=settings["quantization_fallback"],
    **({"pairs": probe.get("pairs"), "layer": probe.get("layer")} if p.kind == "pca" else {}),
)
