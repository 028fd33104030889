# lm-evaluation-harness tasks per study task; one evaluation process per checkpoint, or per model
# and task (evaluation.one_process_per).


rule build_eval_tasks:
    input:
        unpack(get_eval_language_files),
        phrases=PHRASES,
    output:
        directory(out("eval_tasks")),
    log:
        log_path("build_eval_tasks/{task}"),
    benchmark:
        bench_path("build_eval_tasks/{task}")
    conda:
        "../../envs/pipeline.yaml"
    params:
        code=code("build_eval_tasks.py"),
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        languages=LANGS,
        max_gen_toks=config["evaluation"]["max_gen_toks"],
        num_fewshot=config["evaluation"]["baseline_num_fewshot"],
    script:
        "../scripts/build_eval_tasks.py"


rule evaluate:
    input:
        unpack(get_eval_model_inputs),
        tasks=out("eval_tasks"),
    output:
        summaries=EVAL_CUT.outputs("eval"),
        samples=EVAL_CUT.outputs("eval_samples"),
    log:
        log_path(EVAL_CUT.name),
    benchmark:
        bench_path(EVAL_CUT.name)
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **EVALUATE_RESOURCES,
    params:
        code=code("evaluate.py"),
        checkpoints=eval_checkpoints,
        languages=LANGS,
        evaluation=config["evaluation"],
    script:
        "../scripts/evaluate.py"
