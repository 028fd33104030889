"""evaluate (study B): one checkpoint on every language of one task, in one process: constrained
label scores and the free-generation control (see mlpt.spontaneous.evaluation)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs
from mlpt.spontaneous import evaluation

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
evaluation.evaluate_checkpoint(
    p.model_path, dict(zip(p.languages, snakemake.input.tests)), task=wc.task, prompt_file=snakemake.input.prompts,
    summary_file=snakemake.output.summary, samples_file=snakemake.output.samples, batch_size=p.evaluation["batch_size"],
    limit=p.evaluation["limit_per_language"], free_generation=p.evaluation["free_generation"], seed=p.seed,
    meta={"model": wc.model, "condition": wc.mixture}, qt_files=dict(zip(p.qt_languages, snakemake.input.qt)),
    max_length=p.max_length,
)
