"""preflight_model: one measured SFT job of a base model on its GPU tier (mlpt.preflight)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, preflight, prompts, sft

logs.setup(snakemake)
p = snakemake.params
preflight.run(
    snakemake.wildcards.model,
    p.base,
    snakemake.output[0],
    p.work_dir,
    task=p.task,
    recipe={**p.recipe, "val_max_new_tokens": p.val_max_new_tokens},
    max_length=p.preflight["max_length"],
    processes=sft.processes_for(snakemake.resources.get("gpu", 0)),
    accelerate_config=p.accelerate_config,
    peak_tflops=p.peak_tflops,
    answer_phrases=prompts.answer_phrases(prompts.load_phrases(snakemake.input.phrases)),
    seed=p.seed,
    decode_batch_size=p.decode_batch_size,
    decode_new_tokens=p.preflight["decode_new_tokens"],
    decode_prompts=preflight.DecodePrompts(**p.decode_prompts),
)
