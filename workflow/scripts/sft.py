"""sft: fine-tune one base model on one mixture, or on every mixture of a model and task in turn
(sft.one_process_per; see mlpt.sft); one process per visible GPU."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, prompts, rule_inputs, sft

logs.setup(snakemake)
p = snakemake.params
processes = sft.processes_for(snakemake.resources.get("gpu", 0))
mixture_files = rule_inputs.by_key(snakemake.input.items(), prefix="mixture")
config = {k: v for k, v in {**p.hparams, "seed": p.seed}.items() if k in sft.TrainConfig.__dataclass_fields__}
answer_phrases = prompts.answer_phrases(prompts.load_phrases(snakemake.input.phrases))
rule_inputs.check_outputs("sft", p.runs, ("model", "train_log"), snakemake.output)
for run in p.runs:
    spec = {
        "base_model": p.base,
        "mixture_file": mixture_files[(run["mixture"],)],
        "out_dir": run["model"],
        "log_file": run["train_log"],
        "checkpoint_dir": run["checkpoints"],
        "kind": p.kind,
        "answer_phrases": answer_phrases,
        "config": config,
    }
    sft.run_job(spec, processes, accelerate_config=p.accelerate_config)
