# Study B ("Getting More from Less", config/spontaneous.yaml: `study: spontaneous`): its dimensions
# and input functions (the stages of spontaneous_data.smk, spontaneous_evaluate.smk and
# spontaneous_analysis.smk; training is sft.smk's, shared with study A).
#
#   fetch_reference -> sp_prepare_data -> sp_translate (task x language) -> build_qt_pairs
#   (task x set of question-translation pairs) -> sp_build_mixture -> sft (LoRA, merged)
#   -> sp_evaluate (one checkpoint) -> sp_collect_results -> tables and figures; probe_lens /
#   probe_pca -> their figures


if is_activated(SPONTANEOUS):

    from mlpt.spontaneous import study
    from mlpt.spontaneous.prompts import PROMPTS_FILE
    from mlpt.spontaneous.sources import local_path

    # Every evaluated mixture, the pretrained model where the config lists it (config order).
    EVALUATED = STUDY.evaluated
    PROMPTS = f"{RESOURCES}/{PROMPTS_FILE}"
    CHECKSUM_FILE = f"{RESOURCES}/{config['reference']['checksums']}"
    CHECKSUMS = (
        study.read_checksums(CHECKSUM_FILE) if Path(CHECKSUM_FILE).is_file() else {}
    )
    # Per task: the sets of question-translation pairs its mixtures are built from (each the
    # authors' or machine-translated; mlpt.spontaneous.study.QtSet), and the directions every
    # checkpoint's held-out pairs are scored on.
    QT_SETS = {task: study.qt_sets(config, task, CHECKSUMS) for task in TASKS}
    QT_DIRECTIONS = {task: study.qt_directions(config, task) for task in TASKS}

    wildcard_constraints:
        qt=alternatives(sorted({name for sets in QT_SETS.values() for name in sets})),

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

    def qt_set(wildcards):
        return QT_SETS[wildcards.task][wildcards.qt]

    def reference_pairs(wildcards):
        """The authors' file of a set of question-translation pairs, or None (machine-translated)."""
        found = qt_set(wildcards).file
        return (
            str(local_path(reference_dir(wildcards.task), found)) if found else None
        )

    def qt_pair_inputs(wildcards):
        """What one build_qt_pairs job reads, named: the test items of every language of its pairs
        ("tests/<lang>"); for a condition set the records of each of its directions, whose held-out
        pairs stay held out ("held/<direction>"); for pairs the authors did not publish the
        machine-translated training questions of each language but the pivot ("questions/<lang>").
        """
        task, languages = wildcards.task, qt_set(wildcards).languages(config)
        inputs = {
            rule_inputs.key("tests", x): test_file(task, x) for x in languages
        }
        if qt_set(wildcards).condition:
            inputs.update(
                {
                    rule_inputs.key("held", d): out("sp_qt", task=task, qt=d)
                    for d in qt_set(wildcards).directions
                }
            )
        if not qt_set(wildcards).file:
            inputs.update(
                {
                    rule_inputs.key("questions", x): out(
                        "sp_questions", task=task, lang=x
                    )
                    for x in languages
                    if x != SRC
                }
            )
        return inputs

    def mixture_qt_files(wildcards):
        """The question-translation records of each set of pairs of a mixture, named "qt/<set>"."""
        return {
            rule_inputs.key("qt", name): out("sp_qt", task=wildcards.task, qt=name)
            for name in study.mixture_qt_sets(
                config, wildcards.task, wildcards.mixture, CHECKSUMS
            )
        }

    def mixture_qt_languages(wildcards):
        """The languages the records of each set of pairs of a mixture are written in."""
        sets = QT_SETS[wildcards.task]
        return {
            name: [
                study.direction_languages(d, config)[0]
                for d in sets[name].directions
            ]
            for name in study.mixture_qt_sets(
                config, wildcards.task, wildcards.mixture, CHECKSUMS
            )
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
        """The languages each evaluated mixture tunes on (none for the pretrained model): those it
        translates from, and a target that is not the pivot."""
        return {x: MIXTURE_LANGUAGES.get(x, []) for x in EVALUATED}

    def evaluated_directions():
        """The question-translation directions each evaluated mixture tunes on."""
        return {
            x: list(STUDY.mixtures[x].directions) if x in STUDY.mixtures else []
            for x in EVALUATED
        }

    def qt_origins():
        """Per task: where the pairs of each set of pairs ("sets") and of each mixture tuned on the
        task ("mixtures") come from: the authors' files or machine translation."""
        return {
            task: {
                "sets": {name: s.origin for name, s in QT_SETS[task].items()},
                "mixtures": {
                    x: study.qt_origin(config, task, x, CHECKSUMS)
                    for x in study.task_mixtures(config, task)
                    if x != PRETRAINED
                },
            }
            for task in TASKS
        }

    def checkpoint_inputs(wildcards, languages, qt_directions=()):
        """What one evaluation or probe of a checkpoint reads, named: the model, the prompt wording,
        the test items of each language ("tests/<lang>") and the question-translation records of each
        of `qt_directions` ("qt/<direction>")."""
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
                rule_inputs.key("qt", d): out("sp_qt", task=wildcards.task, qt=d)
                for d in qt_directions
            },
        }

    def evaluate_inputs(wildcards):
        # held-out question-translation pairs of every direction tuned on the task: what tuning learned
        return checkpoint_inputs(wildcards, LANGS, QT_DIRECTIONS[wildcards.task])

    def probe_inputs(kind):
        return lambda wildcards: checkpoint_inputs(wildcards, probe_languages(kind))

    def plot_models():
        return {m: config["models"][m] for m in MODELS}
