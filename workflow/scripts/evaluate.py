"""evaluate: one checkpoint on every language of one task, in one lm-eval process."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import evaluate, logs

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
evaluate.run(
    snakemake.input.checkpoint, snakemake.input.tasks, snakemake.output.summary, snakemake.output.samples,
    task=wc.task, languages=p.languages, batch_size=p.evaluation["batch_size"],
    max_gen_toks=p.evaluation["max_gen_toks"], limit=p.evaluation["limit_per_language"],
    meta={"model": wc.model, "mixture": wc.mixture}, num_fewshot=p.num_fewshot,
    backend=p.evaluation["backend"],
)
