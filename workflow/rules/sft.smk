# Both studies: fine-tuning of one base model on one mixture (study A: full, study B: LoRA, merged),
# the checkpoint chosen after every epoch (sft.selection); several GPUs -> one process per GPU
# through accelerate launch. One job per model, task and mixture; then the loss curves of every run.


rule sft:
    input:
        mixture=out("mixture"),
        base=get_base_model_input,
        # the answer phrases validation scores with (study B's selection never scores: no answers)
        phrases=PHRASES,
    output:
        model=directory(out("sft_model")),
        train_log=out("sft_log"),
    log:
        log_path("sft/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("sft/{model}/{task}/{mixture}")
    wildcard_constraints:
        mixture=alternatives(MIXTURES),
    priority: sft_priority
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **SFT_RESOURCES,
    params:
        code=code("sft.py"),
        checkpoints=lambda wc: out("sft_checkpoints", **wc),
        base=lambda wc: base_model_path(wc.model),
        hparams=sft_recipe,
        seed=config["seed"],
        kind=sft_kind,
        accelerate_config=accelerate_config,
    script:
        "../scripts/sft.py"


rule plot_loss_curves:
    input:
        **keyed(out("sft_log"), SFT_RUNS, RUN_WILDCARDS),
    output:
        pdf=report(
            out("training_curves"),
            caption=TRAINING_CURVES_CAPTION,
            category="Training",
            labels=TRAINING_CURVES_LABELS,
        ),
        png=out("training_curves_png"),
    log:
        log_path("plot_loss_curves"),
    benchmark:
        bench_path("plot_loss_curves")
    conda:
        "../../envs/pipeline.yaml"
    params:
        code=code("plot_loss_curves.py"),
        plotting=loss_curve_plotting(),
    script:
        "../scripts/plot_loss_curves.py"
