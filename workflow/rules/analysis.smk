# Evaluation summaries -> tidy accuracy table -> paper tables and figures (each its own target).


rule collect_results:
    input:
        all_eval_files(),
    output:
        out("accuracy"),
    log:
        log_path("collect_results"),
    benchmark:
        bench_path("collect_results")
    conda:
        "../../envs/pipeline.yaml"
    params:
        models=config["models"],
        languages=config["languages"],
        mixture_languages={name: list(m.languages) for name, m in MIXTURES.items()},
    script:
        "../scripts/collect_results.py"


rule make_table1_languages:
    output:
        csv=out("table1"),
        tex=out("table1_tex"),
    log:
        log_path("make_table1_languages"),
    benchmark:
        bench_path("make_table1_languages")
    conda:
        "../../envs/pipeline.yaml"
    params:
        languages=config["languages"],
    script:
        "../scripts/make_table1_languages.py"


rule plot_fig2_accuracy_vs_languages:
    input:
        out("accuracy"),
    output:
        pdf=out("fig2"),
        png=out("fig2_png"),
    log:
        log_path("plot_fig2_accuracy_vs_languages"),
    benchmark:
        bench_path("plot_fig2_accuracy_vs_languages")
    conda:
        "../../envs/pipeline.yaml"
    params:
        models={m: config["models"][m] for m in MODELS},
        tasks={t: {"label": config["tasks"][t].get("label", t)} for t in TASKS},
        run=RUN,
    script:
        "../scripts/plot_fig2_accuracy_vs_languages.py"
