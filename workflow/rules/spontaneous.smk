# Study B ("Getting More from Less", config/spontaneous.yaml: `study: spontaneous`): its dimensions
# and input functions (the stages of spontaneous_data.smk, spontaneous_evaluate.smk and
# spontaneous_analysis.smk; training is sft.smk's, shared with study A).
#
#   fetch_reference -> sp_prepare_data -> sp_translate (task x language) -> build_qt_pairs
#   (task x language) -> sp_build_mixture -> sft (LoRA, merged) -> sp_evaluate (one checkpoint)
#   -> sp_collect_results -> tables and figures; probe_lens / probe_pca -> their figures


if is_activated(SPONTANEOUS):

    from mlpt.spontaneous import study
    from mlpt.spontaneous.prompts import PROMPTS_FILE
    from mlpt.spontaneous.sources import local_path

    # Every evaluated mixture, the pretrained model where the config lists it (config order).
    EVALUATED = STUDY.evaluated
    QT_LANGS = study.qt_languages(config)
    PROMPTS = f"{RESOURCES}/{PROMPTS_FILE}"
    CHECKSUM_FILE = f"{RESOURCES}/{config['reference']['checksums']}"
    CHECKSUMS = (
        study.read_checksums(CHECKSUM_FILE) if Path(CHECKSUM_FILE).is_file() else {}
    )

    # ---- 4. data input functions -----------------------------------------------------------------
    def reference_dir(task):
        """The authors' files of `task` (source reference), or None (source shipped)."""
        if config["tasks"][task]["source"] != "reference":
            return None
        return out("sp_reference", task=task)

    def reference_input(wildcards):
        return reference_dir(wildcards.task) or []

    def test_file(task, lang):
        """Where the test items of `task` in `lang` are: the English records, or the language's."""
        if lang == SRC:
            return out("data", task=task)
        return out("translated", task=task, lang=lang)

    def test_source(task):
        return config["tasks"][task]["source"]

    # What every translate / translate_questions job is given (the split aside).
    TRANSLATE_PARAMS = dict(
        source=lambda wc: test_source(wc.task),
        reference=lambda wc: reference_dir(wc.task),
        backend=config["translation"],
        codes=MT_CODES,
        mt_model=lambda wc: mt_model_path(wc.task),
        languages=config["languages"],
        work_dir=lambda wc: out("translate_work", task=wc.task, lang=wc.lang),
        seed=config["seed"],
        src=SRC,
    )

    def reference_pairs(task, lang):
        """The authors' question-translation file of `lang`, or None (machine-translated questions)."""
        found = study.qt_file(task, lang, CHECKSUMS)
        if reference_dir(task) is None or found is None:
            return None
        return str(local_path(reference_dir(task), found))

    def question_input(wildcards):
        """The language's machine-translated training questions, unless the authors' pairs are used."""
        if reference_pairs(wildcards.task, wildcards.lang):
            return []
        return out("sp_questions", task=wildcards.task, lang=wildcards.lang)

    def mixture_qt_files(wildcards):
        """The question-translation records of each language of a mixture, named "qt/<lang>"."""
        return {
            rule_inputs.key("qt", lang): out("sp_qt", task=wildcards.task, lang=lang)
            for lang in MIXTURES[wildcards.mixture].languages
        }

    # ---- 5. what each analysis reads -----------------------------------------------------------
    def probe_runs(kind):
        """(model, task, mixture) of every run the `kind` probe reads (config analysis.<kind>)."""
        spec = config["analysis"][kind]
        task = spec.get("task", TASKS[0])
        return [
            (m, task, x)
            for m in spec.get("models", MODELS)
            for x in spec.get("mixtures", EVALUATED)
        ]

    def probe_reads_authors(kind):
        """Whether the `kind` probe reads the authors' prompts from their fetched files."""
        return config["analysis"][kind]["prompts"] == "authors"

    def probe_languages(kind):
        return config["analysis"][kind].get("languages", LANGS)

    def evaluated_languages():
        """The languages each evaluated mixture tunes on (none for the pretrained model)."""
        return {x: MIXTURE_LANGUAGES.get(x, []) for x in EVALUATED}

    def checkpoint_inputs(wildcards, languages, qt_languages=()):
        """What one evaluation or probe of a checkpoint reads, named: the model, the prompt wording,
        the test items of each language ("tests/<lang>") and the question-translation records of each
        of `qt_languages` ("qt/<lang>")."""
        return {
            "model": checkpoint_path(
                wildcards.model, wildcards.task, wildcards.mixture
            ),
            "prompts": PROMPTS,
            **{
                rule_inputs.key("tests", lang): test_file(wildcards.task, lang)
                for lang in languages
            },
            **{
                rule_inputs.key("qt", lang): out(
                    "sp_qt", task=wildcards.task, lang=lang
                )
                for lang in qt_languages
            },
        }

    def evaluate_inputs(wildcards):
        # held-out question-translation pairs of every tuned language: what tuning learned
        return checkpoint_inputs(wildcards, LANGS, QT_LANGS)

    def probe_inputs(kind):
        return lambda wildcards: checkpoint_inputs(wildcards, probe_languages(kind))

    def plot_models():
        return {m: config["models"][m] for m in MODELS}
