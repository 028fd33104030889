# GPU preflight, before the campaign (never part of `all`): per base model one short SFT job with
# the resources of its cluster.sft tier, at the recipe's batch shape (2 optimiser steps, one
# validation pass, a checkpoint, a kill, a resumed rerun, then a decode measurement and the decode
# waste of evaluation and validation on real test prompts; mlpt.preflight), merged into
# results/<run>/preflight.json, from which `make plan` prices the study.
#   snakemake --profile slurm preflight        (make preflight)


if is_activated(MULTILINGUAL):

    localrules:
        preflight,

    # The sft tier's GPUs, CPUs and memory, with the preflight's own (short) time limit.
    PREFLIGHT_RESOURCES = {
        **SFT_RESOURCES,
        "runtime": config["preflight"]["runtime"],
    }
    # The recipe measured: that of the task with the longest examples (paper: api, 2,560 tokens), with
    # the gradient checkpointing of each model's cluster.sft tier.
    PREFLIGHT_TASK, _ = cluster.preflight_recipe(config)

    rule preflight_model:
        input:
            base=get_base_model_input,
            phrases=PHRASES,
            data=out("data", task=PREFLIGHT_DECODE_TASK),
            references=out("references", task=PREFLIGHT_DECODE_TASK),
        output:
            out("preflight_model"),
        log:
            log_path("preflight/{model}"),
        benchmark:
            bench_path("preflight/{model}")
        conda:
            "../../envs/pipeline.yaml"
        threads: 1
        resources:
            **PREFLIGHT_RESOURCES,
        params:
            code=code("preflight.py"),
            base=lambda wc: base_model_path(wc.model),
            task=PREFLIGHT_TASK,
            recipe=lambda wc: cluster.preflight_recipe(config, wc.model)[1],
            preflight=config["preflight"],
            decode_batch_size=config["preflight"]["decode_batch_size"]
            or config["evaluation"]["batch_size"],
            val_max_new_tokens=config["evaluation"]["max_gen_toks"],
            peak_tflops=config["cluster"]["plan"]["gpu_peak_tflops"],
            seed=config["seed"],
            accelerate_config=accelerate_config,
            work_dir=lambda wc: out("preflight_work", model=wc.model),
            decode_prompts=preflight_decode_prompts,
        script:
            "../scripts/preflight.py"

    rule preflight:
        input:
            [out("preflight_model", model=m) for m in MODELS],
        output:
            out("preflight"),
        log:
            log_path("preflight/merged"),
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("merge_preflight.py"),
            models=MODELS,
            run=RUN,
        script:
            "../scripts/merge_preflight.py"
