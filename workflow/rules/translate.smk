# English records -> every study language (MT for what has no human reference).


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
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        splits=lambda wc: splits_for(wc.lang),
        src=SRC,
        backend=config["translation"],
        codes={
            code: spec.get("nllb", code) for code, spec in config["languages"].items()
        },
        mt_model=mt_model_path(),
    script:
        "../scripts/translate.py"
