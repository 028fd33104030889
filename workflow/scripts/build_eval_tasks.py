"""build_eval_tasks: lm-eval task YAMLs + test documents for one task, all languages."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import evaluate, logs

logs.setup(snakemake)
p = snakemake.params
evaluate.build_tasks(
    {lang: snakemake.input[lang] for lang in p.languages}, snakemake.input.phrases, snakemake.output[0],
    task=snakemake.wildcards.task, kind=p.kind, max_gen_toks=p.max_gen_toks,
    num_fewshot=p.num_fewshot,
)
