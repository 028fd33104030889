# English records -> every study language (MT for what has no human reference), with per-example
# QC; each task translates with its own backend and model (TRANSLATION, common.smk). Finished MT
# shards are kept under results/<run>/work/translate/ so a killed job resumes (keyed by a
# fingerprint of settings, language codes, seed and MT weights: a change reuses none). One job per
# task and language.


if is_activated(MULTILINGUAL):

    rule translate:
        input:
            data=out("data"),
            references=out("references"),
            mt=get_translate_mt_input,
        output:
            records=out("translated"),
            qc=out("translation_qc"),
        log:
            log_path("translate/{task}/{lang}"),
        benchmark:
            bench_path("translate/{task}/{lang}")
        conda:
            "../../envs/pipeline.yaml"
        threads: 1
        resources:
            **TRANSLATE_RESOURCES,
        params:
            code=code("translate.py"),
            splits=lambda wc: splits_for(wc.lang),
            work_dir=lambda wc: out("translate_work", task=wc.task, lang=wc.lang),
            kind=lambda wc: config["tasks"][wc.task]["kind"],
            src=SRC,
            backend=lambda wc: TRANSLATION[wc.task],
            codes=MT_CODES,
            mt_model=lambda wc: mt_model_path(wc.task),
            languages=config["languages"],
            seed=config["seed"],
        script:
            "../scripts/translate.py"

    rule measure_mt_quality:
        input:
            **{rule_inputs.key("data", t): out("data", task=t) for t in TASKS},
            **{
                rule_inputs.key("references", t): out("references", task=t)
                for t in TASKS
            },
            mt=sorted({mt_model_path(task) for task in TASKS}),
        output:
            report(
                out("mt_quality"),
                caption="../report/mt_quality.rst",
                category="Translation",
            ),
        log:
            log_path("measure_mt_quality"),
        benchmark:
            bench_path("measure_mt_quality")
        conda:
            "../../envs/pipeline.yaml"
        threads: 1
        resources:
            **TRANSLATE_RESOURCES,
        params:
            code=code("measure_mt_quality.py"),
            tasks=TASKS,
            src=SRC,
            backends=TRANSLATION,
            codes=MT_CODES,
            languages=config["languages"],
            mt_models={task: mt_model_path(task) for task in TASKS},
        script:
            "../scripts/measure_mt_quality.py"
