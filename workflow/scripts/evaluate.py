"""evaluate: checkpoints on every language of one task, in one lm-eval process — one checkpoint,
or the base model and every fine-tuned checkpoint of a model and task (evaluation.one_process_per)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import evaluate, logs, rule_inputs

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
checkpoints = rule_inputs.by_key(snakemake.input.items(), prefix="checkpoint")
rule_inputs.check_outputs("evaluate", p.checkpoints, ("summary", "samples"), snakemake.output)
for ckpt in p.checkpoints:
    evaluate.run(
        checkpoints[(ckpt["mixture"],)], snakemake.input.tasks, ckpt["summary"], ckpt["samples"],
        task=wc.task, languages=p.languages, batch_size=p.evaluation["batch_size"],
        max_gen_toks=p.evaluation["max_gen_toks"], limit=p.evaluation["limit_per_language"],
        meta={"model": wc.model, "mixture": ckpt["mixture"]}, num_fewshot=ckpt["num_fewshot"],
        backend=p.evaluation["backend"],
    )
