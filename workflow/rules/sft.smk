# Fine-tuning of one base model on one mixture (full or LoRA), checkpoint chosen by validation
# accuracy; several GPUs -> one process per GPU through accelerate launch. A job trains one
# mixture, or every mixture of a model and task in turn (sft.one_process_per).


rule sft:
    input:
        unpack(get_sft_mixture_inputs),
        base=get_base_model_input,
        phrases=PHRASES,
    output:
        models=[directory(path) for path in SFT_CUT.outputs("sft_model")],
        train_logs=SFT_CUT.outputs("sft_log"),
    log:
        log_path(SFT_CUT.name),
    benchmark:
        bench_path(SFT_CUT.name)
    priority: sft_priority
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **SFT_RESOURCES,
    params:
        code=code("sft.py"),
        runs=sft_runs,
        base=lambda wc: base_model_path(wc.model),
        hparams=sft_recipe,
        seed=config["seed"],
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        accelerate_config=accelerate_config,
    script:
        "../scripts/sft.py"
