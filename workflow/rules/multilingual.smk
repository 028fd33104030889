# Study A ("English is Not All You Need"): its dimensions and input functions (the stages of
# data.smk, translate.smk, mixtures.smk, evaluate.smk, analysis.smk, targets.smk, preflight.smk).


if is_activated(MULTILINGUAL):

    from snakemake.logging import logger

    from mlpt import data as study_data
    from mlpt import mixture_grammar

    TRAIN_LANGS = mixture_grammar.training_languages(config)
    TASK_LABELS = {t: {"label": config["tasks"][t].get("label", t)} for t in TASKS}
    # Every (task, lang) translation, in the order of the tables.
    TRANSLATIONS = [(t, lang) for t in TASKS for lang in LANGS]
    TRANSLATION_WILDCARDS = ("task", "lang")

    def splits_for(lang):
        """Training languages need train+val data; every language is evaluated (test), and needs
        val for the base model's few-shot exemplars when evaluation.baseline_num_fewshot > 0.
        """
        if lang in TRAIN_LANGS:
            return ["train", "val", "test"]
        fewshot = config["evaluation"]["baseline_num_fewshot"] > 0
        return (["val"] if fewshot else []) + ["test"]

    # Where each evaluated test set comes from, decided by the task's data adapter when the workflow is
    # planned (a language without a human MGSM file gets the English items machine-translated; the
    # control task's templates are checked for every language); flagged in accuracy.csv and Table 1.
    TEST_SET_ORIGINS = {
        task: study_data.origin_of_test_sets(spec["source"], RESOURCES, LANGS, SRC)
        for task, spec in config["tasks"].items()
    }
    for _task, _origins in TEST_SET_ORIGINS.items():
        _human = [l for l, o in _origins.items() if o == study_data.HUMAN and l != SRC]
        _mt = [l for l, o in _origins.items() if o == study_data.MACHINE_TRANSLATED]
        if _human and _mt:  # a task with human test sets, but not for every language
            logger.warning(
                f"task '{_task}': no human test set for {_mt} in {RESOURCES}: their test items are "
                "machine-translated from the source language (flagged in accuracy.csv and Table 1)"
            )

    def test_set_origins():
        """{task: {lang: "human" | "machine-translated"}} (TEST_SET_ORIGINS)."""
        return TEST_SET_ORIGINS

    def get_translate_mt_input(wildcards):
        """The task's MT model, unless the job only copies the source language."""
        return mt_model_path(wildcards.task) if wildcards.lang != SRC else []

    def get_source_files(wildcards):
        spec = config["tasks"][wildcards.task]
        return study_data.source_files(spec["source"], RESOURCES, LANGS)

    def prepare_data_spec(wildcards):
        """What prepare_data reads of the task's config (also recorded as its provenance); a Hub source
        adds the revision hub.revisions pins for its dataset (None: the adapter's own).
        """
        task = config["tasks"][wildcards.task]
        keys = ("source", "n_train", "n_val", "n_test", "strip_calculator_annotations")
        spec = {k: task[k] for k in keys}
        # only when set: other runs' provenance stays as it was
        if task.get("expect_pool") is not None:
            spec["expect_pool"] = task["expect_pool"]
        hub = study_data.hub_dataset(task["source"])
        if hub is not None:
            spec["hub_revision"] = config["hub"]["revisions"].get(hub.repo)
        return spec

    def language_files(task, languages):
        """The translated records of ``task`` in each of ``languages``, named by language code."""
        return {lang: out("translated", task=task, lang=lang) for lang in languages}

    def get_mixture_language_files(wildcards):
        return language_files(wildcards.task, MIXTURES[wildcards.mixture].languages)

    def get_training_language_files(wildcards):
        """Every language any mixture trains on (select_items keeps the items all of them have)."""
        return language_files(wildcards.task, TRAIN_LANGS)

    def get_eval_language_files(wildcards):
        return language_files(wildcards.task, LANGS)

    def get_eval_model_input(wildcards):
        return checkpoint_path(wildcards.model, wildcards.task, wildcards.mixture)

    def eval_num_fewshot(wildcards):
        """In-language exemplars: only the untouched base model gets them."""
        if wildcards.mixture != PRETRAINED:
            return 0
        return config["evaluation"]["baseline_num_fewshot"]

    # The GPU preflight measures decode waste on the test prompts of one task (paper: math, i.e. MGSM)
    # in every language whose test set is human: they come from prepare_data alone, no translate job.
    PREFLIGHT_DECODE_TASK = cluster.preflight_decode_task(config)
    PREFLIGHT_DECODE_LANGS = [
        lang
        for lang, origin in TEST_SET_ORIGINS[PREFLIGHT_DECODE_TASK].items()
        if origin == study_data.HUMAN
    ]

    def preflight_decode_prompts(wildcards, input):
        """What a preflight job's decode-waste step decodes, and how evaluation and validation decode
        it (the fields of mlpt.preflight.DecodePrompts)."""
        task = PREFLIGHT_DECODE_TASK
        recipe = cluster.sft_recipe(config, wildcards.model, task)
        return {
            "task": task,
            "kind": config["tasks"][task]["kind"],
            "languages": PREFLIGHT_DECODE_LANGS,
            "source_language": SRC,
            "data_file": input.data,
            "references_file": input.references,
            "phrases_file": input.phrases,
            "items_per_language": config["preflight"]["decode_items_per_language"],
            "max_new_tokens": config["evaluation"]["max_gen_toks"],
            "eval_batch_size": config["evaluation"]["batch_size"],
            "eval_backend": config["evaluation"]["backend"],
            "val_batch_size": recipe["val_batch_size"],
        }

    def all_eval_files():
        return for_jobs(out("eval"), EVALUATIONS, RUN_WILDCARDS)

    def compute_benchmarks():
        """Benchmark files of the expensive jobs (translation, training, evaluation)."""
        return (
            for_jobs(
                bench_path("translate/{task}/{lang}"),
                TRANSLATIONS,
                TRANSLATION_WILDCARDS,
            )
            + for_jobs(
                bench_path("sft/{model}/{task}/{mixture}"), SFT_RUNS, RUN_WILDCARDS
            )
            + for_jobs(
                bench_path("evaluate/{model}/{task}/{mixture}"),
                EVALUATIONS,
                RUN_WILDCARDS,
            )
        )

    def plotting_params():
        """What every figure needs to know of the study (never the whole config)."""
        return {
            "models": config["models"],
            "tasks": TASK_LABELS,
            "languages": config["languages"],
            "mixtures": [PRETRAINED, *MIXTURES],
            "mixture_languages": MIXTURE_LANGUAGES,
            "source_lang": SRC,
            "run": RUN,
        }

    # Positive-control tasks (tasks.<task>.positive_control): plotted, and given the paper's
    # statistics in their own tables (rule fit_stats_control), never in the paper's.
    CONTROL_TASKS = STUDY.control_tasks()
