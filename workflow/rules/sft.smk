# Full fine-tuning of one base model on one mixture.


rule sft:
    input:
        mixture=out("mixture"),
        base=get_base_model_input,
    output:
        model=directory(out("sft_model")),
        train_log=out("sft_log"),
    log:
        log_path("sft/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("sft/{model}/{task}/{mixture}")
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **SFT_RESOURCES,
    params:
        base=lambda wc: base_model_path(wc.model),
        hparams=lambda wc: {**config["sft"], **config["tasks"][wc.task]["sft"]},
        seed=config["seed"],
        checkpoints=lambda wc: out(
            "sft_checkpoints", model=wc.model, task=wc.task, mixture=wc.mixture
        ),
    script:
        "../scripts/sft.py"
