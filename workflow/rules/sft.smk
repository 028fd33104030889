# Fine-tuning of one base model on one mixture (full or LoRA), checkpoint chosen by validation
# accuracy; several GPUs -> one process per GPU through accelerate launch.


rule sft:
    input:
        mixture=out("mixture"),
        base=get_base_model_input,
        phrases=PHRASES,
    output:
        model=directory(out("sft_model")),
        train_log=out("sft_log"),
    log:
        log_path("sft/{model}/{task}/{mixture}"),
    benchmark:
        SFT_BENCHMARK
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **SFT_RESOURCES,
    params:
        base=lambda wc: base_model_path(wc.model),
        hparams=lambda wc: {
            **config["sft"],
            **config["tasks"][wc.task]["sft"],
            "val_max_new_tokens": config["evaluation"]["max_gen_toks"],
        },
        seed=config["seed"],
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        accelerate_config=accelerate_config,
        checkpoints=lambda wc: out(
            "sft_checkpoints", model=wc.model, task=wc.task, mixture=wc.mixture
        ),
    script:
        "../scripts/sft.py"
