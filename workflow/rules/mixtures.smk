# Per task: the train/val items every mixture shares (present in every training language); then
# per (task, mixture): one contamination-checked SFT file of exactly those items in each language.


if is_activated(MULTILINGUAL):

    rule select_items:
        input:
            unpack(get_training_language_files),
        output:
            out("mixture_items"),
        log:
            log_path("select_items/{task}"),
        benchmark:
            bench_path("select_items/{task}")
        conda:
            "../../envs/pipeline.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            code=code("select_items.py"),
            languages=TRAIN_LANGS,
        script:
            "../scripts/select_items.py"

    rule build_mixture:
        input:
            unpack(get_mixture_language_files),
            selection=out("mixture_items"),
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
            code=code("build_mixture.py"),
            kind=lambda wc: config["tasks"][wc.task]["kind"],
            languages=lambda wc: list(MIXTURES[wc.mixture].languages),
            seed=config["seed"],
        script:
            "../scripts/build_mixture.py"
