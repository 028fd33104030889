"""evaluate: one checkpoint on every language of one task, in one lm-eval process."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import evaluate, logs

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
evaluate.run(
    model_path=snakemake.input.checkpoint, tasks_dir=snakemake.input.tasks, out_file=snakemake.output.summary,
    samples_file=snakemake.output.samples, task=wc.task, languages=list(p.languages),
    batch_size=p.evaluation["batch_size"], max_gen_toks=p.evaluation["max_gen_toks"],
    limit=p.evaluation["limit_per_language"], meta={"model": wc.model, "mixture": wc.mixture},
    num_fewshot=p.num_fewshot, backend=p.evaluation["backend"],
)
