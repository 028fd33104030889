# lm-evaluation-harness tasks per study task; one evaluation process per checkpoint.


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
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        languages=LANGS,
        max_gen_toks=config["evaluation"]["max_gen_toks"],
        num_fewshot=config["evaluation"]["baseline_num_fewshot"],
    script:
        "../scripts/build_eval_tasks.py"


rule evaluate:
    input:
        tasks=out("eval_tasks"),
        model=get_eval_model_input,
    output:
        summary=out("eval"),
        samples=out("eval_samples"),
    log:
        log_path("evaluate/{model}/{task}/{mixture}"),
    benchmark:
        EVALUATE_BENCHMARK
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **EVALUATE_RESOURCES,
    params:
        model_path=eval_model_path,
        languages=LANGS,
        evaluation=config["evaluation"],
        num_fewshot=eval_num_fewshot,
    script:
        "../scripts/evaluate.py"
