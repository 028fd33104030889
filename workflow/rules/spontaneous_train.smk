# Study B: LoRA on a condition's question-translation records (mlpt.sft, merged after training;
# several GPUs -> one process per GPU through accelerate launch), and the evaluation of every
# checkpoint, base model included, on every language of one task in one process (the label scores,
# the irrelevant-label control and the free-generation control).


rule sft:
    input:
        unpack(sft_mixture_input),
        base=lambda wc: base_model_path(wc.model),
        # read by the shared sft script for validation scoring, which selection `last` never runs
        phrases=f"{RESOURCES}/{PHRASES_FILE}",
    output:
        models=[directory(out("sft_model"))],
        train_logs=[out("sft_log")],
    log:
        log_path("sft/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("sft/{model}/{task}/{mixture}")
    wildcard_constraints:
        mixture=alternatives(TRAINED),
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **SFT_RESOURCES,
    params:
        code=code("sft.py"),
        runs=sft_runs,
        base=lambda wc: base_model_path(wc.model),
        hparams=sft_hparams,
        seed=config["seed"],
        # question-translation pairs have no answers: no scorer is ever called (selection `last`)
        kind="question_translation",
        accelerate_config=accelerate_config,
    script:
        "../scripts/sft.py"


rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        summary=out("eval"),
        samples=out("eval_samples"),
    log:
        log_path("evaluate/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("evaluate/{model}/{task}/{mixture}")
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **EVALUATE_RESOURCES,
    params:
        code=code("spontaneous_evaluate.py"),
        evaluation=config["evaluation"],
        max_length=lambda wc: sft_hparams(wc)["max_length"],
        seed=config["seed"],
    script:
        "../scripts/spontaneous_evaluate.py"
