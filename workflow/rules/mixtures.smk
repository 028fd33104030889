# Per-language parallel records -> one SFT file per (task, mixture), contamination-checked.


rule build_mixture:
    input:
        languages=get_mixture_input,
        guard=out("test_guard"),
        phrases=PHRASES,
    output:
        records=out("mixture"),
        manifest=out("mixture_manifest"),
    log:
        log_path("build_mixture/{task}/{mixture}"),
    benchmark:
        bench_path("build_mixture/{task}/{mixture}")
    conda:
        "../../envs/pipeline.yaml"
    params:
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        languages=lambda wc: list(MIXTURES[wc.mixture].languages),
        seed=config["seed"],
    script:
        "../scripts/build_mixture.py"
