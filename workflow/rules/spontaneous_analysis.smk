# Study B's results: the accuracy table (Wilson intervals), accuracy per condition as a table and
# a bar chart, the logit lens and the PCA of parallel prompts (each a probe job per checkpoint,
# then a table and a figure), and the training curves. Each output is its own target.


rule collect_results:
    input:
        [out("eval", model=m, task=t, mixture=x) for m, t, x in eval_runs()],
    output:
        accuracy=report(
            out("accuracy"), category="Study B", labels={"table": "accuracy"}
        ),
        qt=report(
            out("sp_qt_validation"),
            category="Study B",
            labels={"table": "question-translation validation loss"},
        ),
    log:
        log_path("collect_results"),
    benchmark:
        bench_path("collect_results")
    conda:
        "../../envs/pipeline.yaml"
    params:
        runs=eval_runs(),
        models=plot_models(),
        languages=config["languages"],
        condition_languages={x: list(c.languages) for x, c in CONDITIONS.items()},
        base=BASE,
    script:
        "../scripts/spontaneous_collect.py"


rule plot_accuracy_by_condition:
    input:
        out("accuracy"),
    output:
        table=report(
            out("sp_conditions"),
            category="Study B",
            labels={"table": "accuracy by condition"},
        ),
        pdf=report(
            out("sp_conditions_fig"),
            category="Study B",
            labels={"figure": "accuracy by condition"},
        ),
        png=out("sp_conditions_fig_png"),
    log:
        log_path("plot_accuracy_by_condition"),
    benchmark:
        bench_path("plot_accuracy_by_condition")
    conda:
        "../../envs/pipeline.yaml"
    params:
        models=plot_models(),
        languages=LANGS,
        conditions=list(CONDITIONS),
        base=BASE,
        pivot=SRC,
    script:
        "../scripts/spontaneous_plot_conditions.py"


rule probe_lens:
    input:
        tests=lambda wc: test_files(wc.task, probe_languages("lens")),
        model=checkpoint_path,
        prompts=PROMPTS,
    output:
        out("sp_lens"),
    log:
        log_path("probe_lens/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("probe_lens/{model}/{task}/{mixture}")
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **EVALUATE_RESOURCES,
    params:
        kind="lens",
        model_path=checkpoint_path,
        languages=probe_languages("lens"),
        limit=config["analysis"]["lens"]["limit"],
        batch_size=config["evaluation"]["batch_size"],
        seed=config["seed"],
    script:
        "../scripts/spontaneous_probe.py"


rule probe_pca:
    input:
        tests=lambda wc: test_files(wc.task, probe_languages("pca")),
        model=checkpoint_path,
        prompts=PROMPTS,
    output:
        out("sp_pca"),
    log:
        log_path("probe_pca/{model}/{task}/{mixture}"),
    benchmark:
        bench_path("probe_pca/{model}/{task}/{mixture}")
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        **EVALUATE_RESOURCES,
    params:
        kind="pca",
        model_path=checkpoint_path,
        languages=probe_languages("pca"),
        limit=config["analysis"]["pca"]["limit"],
        batch_size=config["evaluation"]["batch_size"],
        seed=config["seed"],
    script:
        "../scripts/spontaneous_probe.py"


rule plot_logit_lens:
    input:
        [out("sp_lens", model=m, task=t, mixture=x) for m, t, x in probe_runs("lens")],
    output:
        table=report(
            out("sp_lens_table"), category="Study B", labels={"table": "logit lens"}
        ),
        pdf=report(
            out("sp_lens_fig"), category="Study B", labels={"figure": "logit lens"}
        ),
        png=out("sp_lens_fig_png"),
    log:
        log_path("plot_logit_lens"),
    benchmark:
        bench_path("plot_logit_lens")
    conda:
        "../../envs/pipeline.yaml"
    params:
        kind="lens",
        runs=probe_runs("lens"),
        models=plot_models(),
    script:
        "../scripts/spontaneous_plot_probe.py"


rule plot_pca_language:
    input:
        [out("sp_pca", model=m, task=t, mixture=x) for m, t, x in probe_runs("pca")],
    output:
        table=report(
            out("sp_pca_table"),
            category="Study B",
            labels={"table": "PCA by language"},
        ),
        pdf=report(
            out("sp_pca_fig"), category="Study B", labels={"figure": "PCA by language"}
        ),
        png=out("sp_pca_fig_png"),
    log:
        log_path("plot_pca_language"),
    benchmark:
        bench_path("plot_pca_language")
    conda:
        "../../envs/pipeline.yaml"
    params:
        kind="pca",
        runs=probe_runs("pca"),
        models=plot_models(),
    script:
        "../scripts/spontaneous_plot_probe.py"


rule plot_loss_curves:
    input:
        # named "<model>/<task>/<condition>" (the shared script reads the inputs by name), in order
        **{
            f"{m}/{t}/{x}": out("sft_log", model=m, task=t, mixture=x)
            for m in MODELS
            for t in TASKS
            for x in TRAINED
        },
    output:
        pdf=report(
            out("training_curves"),
            category="Study B",
            labels={"figure": "training curves"},
        ),
        png=out("training_curves_png"),
    log:
        log_path("plot_loss_curves"),
    benchmark:
        bench_path("plot_loss_curves")
    conda:
        "../../envs/pipeline.yaml"
    params:
        runs=[(m, t, x) for m in MODELS for t in TASKS for x in TRAINED],
        plotting={
            "models": plot_models(),
            "tasks": {t: {"label": t} for t in TASKS},
        },
    script:
        "../scripts/plot_loss_curves.py"
