# Study B's data: the authors' files (checksummed), English records, every language's test items
# and training questions (the MT stage where no authors' translation exists), the records of each
# set of question-translation pairs with test items kept out, and one SFT file per mixture; the
# demo's tiny models.


if is_activated(SPONTANEOUS):

    localrules:
        fetch_reference,
        sp_prepare_data,

    rule fetch_reference:
        input:
            CHECKSUM_FILE,
        output:
            directory(out("sp_reference")),
        log:
            log_path("fetch_reference/{task}"),
        benchmark:
            bench_path("fetch_reference/{task}")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_fetch_reference.py"),
            files=lambda wc: study.reference_files(config, wc.task, CHECKSUMS),
            repo=config["reference"]["repo"],
            commit=config["reference"]["commit"],
        script:
            "../scripts/spontaneous_fetch_reference.py"

    rule sp_prepare_data:
        input:
            reference=reference_input,
        output:
            data=out("data"),
            report=out("data_report"),
        log:
            log_path("prepare_data/{task}"),
        benchmark:
            bench_path("prepare_data/{task}")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_prepare.py"),
            spec=lambda wc: config["tasks"][wc.task],
            reference=lambda wc: reference_dir(wc.task),
            resources=RESOURCES,
            question_translation=lambda wc: study.qt_provenance(
                config, wc.task, CHECKSUMS
            ),
            seed=config["seed"],
        script:
            "../scripts/spontaneous_prepare.py"

    rule sp_build_tokenizer:
        input:
            data=expand(out("data"), task=TASKS),
            prompts=PROMPTS,
        output:
            directory(out("tokenizer")),
        log:
            log_path("build_tokenizer"),
        benchmark:
            bench_path("build_tokenizer")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_build_tokenizer.py"),
            vocab_size=config["tiny_tokenizer"]["vocab_size"],
        script:
            "../scripts/spontaneous_build_tokenizer.py"

    rule sp_build_mt_model:
        input:
            data=expand(out("data"), task=TASKS),
            prompts=PROMPTS,
        output:
            directory(out("mt_model")),
        log:
            log_path("build_mt_model"),
        benchmark:
            bench_path("build_mt_model")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_build_mt_model.py"),
            spec=config["translation"]["model"].get("tiny", {}),
            seed=config["seed"],
        script:
            "../scripts/spontaneous_build_mt_model.py"

    rule sp_translate:
        input:
            data=out("data"),
            reference=reference_input,
            mt=lambda wc: (
                mt_model_path(wc.task) if test_source(wc.task) == "shipped" else []
            ),
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
            **TRANSLATE_PARAMS,
            code=code("spontaneous_translate.py"),
            split="test",
        script:
            "../scripts/spontaneous_translate.py"

    rule translate_questions:
        input:
            data=out("data"),
            mt=lambda wc: mt_model_path(wc.task),
        output:
            records=out("sp_questions"),
            qc=out("sp_questions_qc"),
        log:
            log_path("translate_questions/{task}/{lang}"),
        benchmark:
            bench_path("translate_questions/{task}/{lang}")
        conda:
            "../../envs/pipeline.yaml"
        threads: 1
        resources:
            **TRANSLATE_RESOURCES,
        params:
            **TRANSLATE_PARAMS,
            code=code("spontaneous_translate.py"),
            split="train",
        script:
            "../scripts/spontaneous_translate.py"

    rule build_qt_pairs:
        input:
            unpack(qt_pair_inputs),
            data=out("data"),
            reference=reference_input,
            prompts=PROMPTS,
        output:
            records=out("sp_qt"),
            report=out("sp_qt_report"),
        log:
            log_path("build_qt_pairs/{task}/{qt}"),
        benchmark:
            bench_path("build_qt_pairs/{task}/{qt}")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_qt_pairs.py"),
            directions=lambda wc: list(qt_set(wc).directions),
            file_directions=lambda wc: (
                sorted(study.file_directions(qt_set(wc).file, SRC))
                if qt_set(wc).file
                else None
            ),
            n_pairs=lambda wc: config["tasks"][wc.task]["qt_pairs_per_language"],
            reference_pairs=reference_pairs,
            pivot=SRC,
            seed=config["seed"],
        script:
            "../scripts/spontaneous_qt_pairs.py"

    rule sp_build_mixture:
        input:
            unpack(mixture_qt_files),
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
            code=code("spontaneous_mixture.py"),
            languages=mixture_qt_languages,
        script:
            "../scripts/spontaneous_mixture.py"
