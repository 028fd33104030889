"""evaluate: one checkpoint on every language of one task, in one lm-eval process. With
``warm_worker`` on, in a process forked from the warm worker (mlpt.warm)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import evaluate, logs, warm

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
warm.call(evaluate.run, dict(
    model_path=snakemake.input.checkpoint, tasks_dir=snakemake.input.tasks, out_file=snakemake.output.summary,
    samples_file=snakemake.output.samples, task=wc.task, languages=list(p.languages),
    batch_size=p.evaluation["batch_size"], max_gen_toks=p.evaluation["max_gen_toks"],
    limit=p.evaluation["limit_per_language"], meta={"model": wc.model, "mixture": wc.mixture},
    num_fewshot=p.num_fewshot, backend=p.evaluation["backend"],
), enabled=snakemake.config["warm_worker"])
