# lm-evaluation-harness tasks per study task; one evaluation job per checkpoint (model, task,
# mixture), the base model ("pretrained") included.


if is_activated(MULTILINGUAL):

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
            checkpoint=get_eval_model_input,
            tasks=out("eval_tasks"),
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
            code=code("evaluate.py"),
            num_fewshot=eval_num_fewshot,
            languages=LANGS,
            evaluation=config["evaluation"],
        script:
            "../scripts/evaluate.py"
