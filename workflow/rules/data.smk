# Raw data -> normalised English records; tiny models built locally when configured.

# prepare_data runs where Snakemake runs (like download_model): the Hub sources (mCoT-MATH,
# API-Bank level-1/2) read their training data from the Hugging Face Hub, and compute nodes may
# have no internet; the shipped sources take seconds.


if is_activated(MULTILINGUAL):

    localrules:
        prepare_data,

    rule prepare_data:
        input:
            sources=get_source_files,
            # the list the shipped files are verified against (data.verify_checksums)
            checksums=lambda wc: (
                [f"{RESOURCES}/{study_data.CHECKSUMS_FILE}"]
                if config["data"]["verify_checksums"]
                else []
            ),
        output:
            data=out("data"),
            references=out("references"),
            report=out("data_report"),
            guard=out("test_guard"),
        log:
            log_path("prepare_data/{task}"),
        benchmark:
            bench_path("prepare_data/{task}")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("prepare_data.py"),
            spec=prepare_data_spec,
            languages=LANGS,
            source_lang=SRC,
            resources=RESOURCES,
            verify_checksums=config["data"]["verify_checksums"],
            seed=config["seed"],
        script:
            "../scripts/prepare_data.py"

    rule build_tokenizer:
        input:
            data=expand(out("data"), task=TASKS),
            references=expand(out("references"), task=TASKS),
        output:
            directory(out("tokenizer")),
        log:
            log_path("build_tokenizer"),
        benchmark:
            bench_path("build_tokenizer")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("build_tokenizer.py"),
            vocab_size=config["tiny_tokenizer"]["vocab_size"],
        script:
            "../scripts/build_tokenizer.py"

    rule build_mt_model:
        input:
            data=expand(out("data"), task=TASKS),
            references=expand(out("references"), task=TASKS),
        output:
            directory(out("mt_model")),
        log:
            log_path("build_mt_model"),
        benchmark:
            bench_path("build_mt_model")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("build_mt_model.py"),
            spec=config["translation"]["model"].get("tiny", {}),
            seed=config["seed"],
        script:
            "../scripts/build_mt_model.py"
