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
    # Small CPU jobs: the slurm profile bundles them into a few submissions (group-components).
    group:
        "mixtures"
    conda:
        "../../envs/pipeline.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        kind=lambda wc: config["tasks"][wc.task]["kind"],
        languages=lambda wc: list(MIXTURES[wc.mixture].languages),
        seed=config["seed"],
    script:
        "../scripts/build_mixture.py"
