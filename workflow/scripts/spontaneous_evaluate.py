"""evaluate (study B): one checkpoint on every language of one task, in one process: constrained
label scores, the irrelevant-label control and the free-generation control (see
mlpt.spontaneous.evaluation)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, rule_inputs
from mlpt.spontaneous import evaluation

logs.setup(snakemake)
p, wc, inputs = snakemake.params, snakemake.wildcards, snakemake.input
named, settings = list(inputs.items()), p.evaluation
evaluation.evaluate_checkpoint(
    inputs.model, {lang: path for (lang,), path in rule_inputs.by_key(named, prefix="tests").items()}, task=wc.task,
    prompt_file=inputs.prompts, summary_file=snakemake.output.summary, samples_file=snakemake.output.samples,
    batch_size=settings["batch_size"], limit=settings["limit_per_language"],
    free_generation=settings["free_generation"], seed=p.seed, meta={"model": wc.model, "mixture": wc.mixture},
    qt_files={lang: path for (lang,), path in rule_inputs.by_key(named, prefix="qt").items()}, max_length=p.max_length,
    quantization=settings["quantization"], quantization_fallback=settings["quantization_fallback"],
    prompt_style=settings["prompt_style"], label_tokens=settings["label_tokens"],
    reference_dir=inputs.get("reference") or None,
)
