# Evaluation summaries -> tidy accuracy table -> paper tables and figures (each its own target).
# The paper's numbers come from its evaluation languages (roles core and eval); the extra
# (train-only) languages have their own figure. The study's tasks carry the paper's statistics;
# positive-control tasks (CONTROL_TASKS, common.smk) get the same statistics in their own tables.


if is_activated(MULTILINGUAL):

    STUDY_TASKS = [t for t in TASKS if t not in CONTROL_TASKS]
    # The per-item scores (samples.jsonl) of every trained checkpoint of a task, named
    # samples/<model>/<task>/<mixture> (mlpt.rule_inputs): the zero-shot vs direct tests read them.
    ITEM_SCORES = {
        (t, rule_inputs.key("samples", m, t, x)): out(
            "eval_samples", model=m, task=t, mixture=x
        )
        for m, t, x in EVALUATIONS
        if x != PRETRAINED
    }
    STUDY_ITEM_SCORES = {k: v for (t, k), v in ITEM_SCORES.items() if t in STUDY_TASKS}
    CONTROL_ITEM_SCORES = {
        k: v for (t, k), v in ITEM_SCORES.items() if t in CONTROL_TASKS
    }
    # What fit_stats and fit_stats_control need of the study besides their tasks (see fit_stats.py).
    STATS_PARAMS = {
        "mixture_languages": MIXTURE_LANGUAGES,
        "languages": config["languages"],
        "source_lang": SRC,
        "seed": config["seed"],
    }

    rule collect_results:
        input:
            all_eval_files(),
        output:
            report(
                out("accuracy"),
                caption="../report/tables.rst",
                category="Tables",
                labels={"table": "accuracy"},
            ),
        log:
            log_path("collect_results"),
        benchmark:
            bench_path("collect_results")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("collect_results.py"),
            models=config["models"],
            languages=config["languages"],
            mixture_languages=MIXTURE_LANGUAGES,
            test_sets=test_set_origins(),
        script:
            "../scripts/collect_results.py"

    rule make_table1_languages:
        input:
            phrases=PHRASES,
        output:
            csv=report(
                out("table1"),
                caption="../report/tables.rst",
                category="Tables",
                labels={"table": "1 languages"},
            ),
            tex=out("table1_tex"),
        log:
            log_path("make_table1_languages"),
        benchmark:
            bench_path("make_table1_languages")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("make_table1_languages.py"),
            languages=config["languages"],
            test_sets=test_set_origins(),
        script:
            "../scripts/make_table1_languages.py"

    rule plot_fig2_accuracy_vs_languages:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig2"),
                caption="../report/fig2.rst",
                category="Paper figures",
                labels={"figure": "2"},
            ),
            png=out("fig2_png"),
        log:
            log_path("plot_fig2_accuracy_vs_languages"),
        benchmark:
            bench_path("plot_fig2_accuracy_vs_languages")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig2",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_fig2_by_exposure:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig2_by_exposure"),
                caption="../report/fig2_by_exposure.rst",
                category="Extra views",
                labels={"figure": "2, split by exposure"},
            ),
            png=out("fig2_by_exposure_png"),
        log:
            log_path("plot_fig2_by_exposure"),
        benchmark:
            bench_path("plot_fig2_by_exposure")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig2_by_exposure",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule fit_stats:
        input:
            **STUDY_ITEM_SCORES,
            accuracy=out("accuracy"),
            headlines=f"{RESOURCES}/paper/headline_numbers.yaml",
        output:
            changes=report(
                out("bilingual_changes"),
                caption="../report/bilingual_changes.rst",
                category="Tables",
                labels={"table": "bilingual changes"},
            ),
            summary=report(
                out("median_changes"),
                caption="../report/bilingual_changes.rst",
                category="Tables",
                labels={"table": "median changes"},
            ),
            table2=report(
                out("table2"),
                caption="../report/paper_statistics.rst",
                category="Tables",
                labels={"table": "2 win rates"},
            ),
            table2_tex=out("table2_tex"),
            table3=report(
                out("table3"),
                caption="../report/paper_statistics.rst",
                category="Tables",
                labels={"table": "3 regression"},
            ),
            table3_tex=out("table3_tex"),
            ttests=report(
                out("ttests"),
                caption="../report/paper_statistics.rst",
                category="Tables",
                labels={"table": "zero-shot vs direct: Welch t-tests (extra)"},
            ),
            cases=report(
                out("zs_cases"),
                caption="../report/zero_shot_vs_direct.rst",
                category="Tables",
                labels={"table": "zero-shot vs direct: cases"},
            ),
            shares=report(
                out("zs_shares"),
                caption="../report/zero_shot_vs_direct.rst",
                category="Tables",
                labels={"table": "zero-shot vs direct"},
            ),
            shares_tex=out("zs_shares_tex"),
            headlines=report(
                out("headlines"),
                caption="../report/paper_statistics.rst",
                category="Tables",
                labels={"table": "headline numbers"},
            ),
            headlines_tex=out("headlines_tex"),
        log:
            log_path("fit_stats"),
        benchmark:
            bench_path("fit_stats")
        conda:
            "../../envs/pipeline.yaml"
        params:
            **STATS_PARAMS,
            code=code("fit_stats.py"),
            scope="paper",
            tasks=STUDY_TASKS,
        script:
            "../scripts/fit_stats.py"

    if CONTROL_TASKS:

        rule fit_stats_control:
            input:
                **CONTROL_ITEM_SCORES,
                accuracy=out("accuracy"),
            output:
                changes=report(
                    out("control_bilingual_changes"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "bilingual changes"},
                ),
                summary=report(
                    out("control_median_changes"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "median changes"},
                ),
                table2=report(
                    out("control_table2"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "2 win rates"},
                ),
                table2_tex=out("control_table2_tex"),
                table3=report(
                    out("control_table3"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "3 regression"},
                ),
                table3_tex=out("control_table3_tex"),
                ttests=report(
                    out("control_ttests"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "zero-shot vs direct: Welch t-tests (extra)"},
                ),
                cases=report(
                    out("control_zs_cases"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "zero-shot vs direct: cases"},
                ),
                shares=report(
                    out("control_zs_shares"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "zero-shot vs direct"},
                ),
                shares_tex=out("control_zs_shares_tex"),
                headlines=report(
                    out("control_headlines"),
                    caption="../report/control_statistics.rst",
                    category="Positive control (synthetic, not the paper's numbers)",
                    labels={"table": "headline numbers"},
                ),
                headlines_tex=out("control_headlines_tex"),
            log:
                log_path("fit_stats_control"),
            benchmark:
                bench_path("fit_stats_control")
            conda:
                "../../envs/pipeline.yaml"
            params:
                **STATS_PARAMS,
                scope="control",
                tasks=CONTROL_TASKS,
            script:
                "../scripts/fit_stats.py"

    rule make_table4_datasets:
        input:
            **keyed(out("translated"), TRANSLATIONS, TRANSLATION_WILDCARDS),
        output:
            csv=report(
                out("table4"),
                caption="../report/tables.rst",
                category="Tables",
                labels={"table": "4 datasets"},
            ),
            tex=out("table4_tex"),
        log:
            log_path("make_table4_datasets"),
        benchmark:
            bench_path("make_table4_datasets")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("make_table4_datasets.py"),
            tasks=config["tasks"],
        script:
            "../scripts/make_table4_datasets.py"

    rule plot_fig3_median_change:
        input:
            out("median_changes"),
        output:
            pdf=report(
                out("fig3"),
                caption="../report/fig3.rst",
                category="Paper figures",
                labels={"figure": "3"},
            ),
            png=out("fig3_png"),
        log:
            log_path("plot_fig3_median_change"),
        benchmark:
            bench_path("plot_fig3_median_change")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig3",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_fig4_zero_shot_vs_direct:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig4"),
                caption="../report/fig4.rst",
                category="Paper figures",
                labels={"figure": "4"},
            ),
            png=out("fig4_png"),
        log:
            log_path("plot_fig4_zero_shot_vs_direct"),
        benchmark:
            bench_path("plot_fig4_zero_shot_vs_direct")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig4",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_fig7_heatmaps:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig7"),
                caption="../report/fig7.rst",
                category="Paper figures",
                labels={"figure": "7"},
            ),
            png=out("fig7_png"),
        log:
            log_path("plot_fig7_heatmaps"),
        benchmark:
            bench_path("plot_fig7_heatmaps")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig7",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_fig8_scaling:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig8"),
                caption="../report/fig8.rst",
                category="Paper figures",
                labels={"figure": "8"},
            ),
            png=out("fig8_png"),
        log:
            log_path("plot_fig8_scaling"),
        benchmark:
            bench_path("plot_fig8_scaling")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig8",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_fig9_zero_shot_other_models:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("fig9"),
                caption="../report/fig9.rst",
                category="Paper figures",
                labels={"figure": "9"},
            ),
            png=out("fig9_png"),
        log:
            log_path("plot_fig9_zero_shot_other_models"),
        benchmark:
            bench_path("plot_fig9_zero_shot_other_models")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="fig9",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule plot_extra_languages:
        input:
            out("accuracy"),
        output:
            pdf=report(
                out("extra_languages"),
                caption="../report/extra_languages.rst",
                category="Extra languages (not in the paper's statistics)",
                labels={"figure": "extra languages"},
            ),
            png=out("extra_languages_png"),
        log:
            log_path("plot_extra_languages"),
        benchmark:
            bench_path("plot_extra_languages")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("plot_figure.py"),
            figure="extra_languages",
            plotting=plotting_params(),
        script:
            "../scripts/plot_figure.py"

    rule collect_translation_qc:
        input:
            **keyed(out("translation_qc"), TRANSLATIONS, TRANSLATION_WILDCARDS),
        output:
            table=report(
                out("translation_qc_table"),
                caption="../report/translation_qc.rst",
                category="Translation",
            ),
            pdf=report(
                out("translation_qc_fig"),
                caption="../report/translation_qc_flags.rst",
                category="Translation",
            ),
            png=out("translation_qc_fig_png"),
        log:
            log_path("collect_translation_qc"),
        benchmark:
            bench_path("collect_translation_qc")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("collect_translation_qc.py"),
            languages=LANGS,
        script:
            "../scripts/collect_translation_qc.py"

    rule summarise_benchmarks:
        input:
            compute_benchmarks(),
        output:
            report(
                out("benchmark_table"),
                caption="../report/benchmarks.rst",
                category="Benchmarks",
            ),
        log:
            log_path("summarise_benchmarks"),
        benchmark:
            bench_path("summarise_benchmarks")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("summarise_benchmarks.py"),
        script:
            "../scripts/summarise_benchmarks.py"
