# Study B: the evaluation of every checkpoint, the pretrained model included, on every language of
# one task in one process (the label scores, the irrelevant-label control and the free-generation
# control). Its training is rule sft (sft.smk), shared with study A.


if is_activated(SPONTANEOUS):

    rule sp_evaluate:
        input:
            unpack(evaluate_inputs),
            reference=reference_input,
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
            max_length=lambda wc: sft_recipe(wc)["max_length"],
            seed=config["seed"],
        script:
            "../scripts/spontaneous_evaluate.py"
