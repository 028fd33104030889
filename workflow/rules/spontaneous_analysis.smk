# Study B's results: the accuracy table (Wilson intervals), accuracy per mixture as a table and
# a bar chart, the irrelevant-label control as a table and a bar chart, the logit lens and the PCA
# of parallel prompts (each a probe job per checkpoint, then a table and a figure), and the
# training curves. Each output is its own target, and in the HTML report with its caption
# (workflow/report/spontaneous_*.rst).


if is_activated(SPONTANEOUS):

    rule sp_collect_results:
        input:
            **keyed(out("eval"), EVALUATIONS, RUN_WILDCARDS),
        output:
            accuracy=report(
                out("accuracy"),
                caption="../report/spontaneous_accuracy.rst",
                category="Accuracy",
                subcategory="per language",
                labels={"table": "accuracy"},
            ),
            qt=report(
                out("sp_qt_validation"),
                caption="../report/spontaneous_qt_validation.rst",
                category="Controls",
                subcategory="held-out question-translation loss",
                labels={"table": "question-translation validation loss"},
            ),
        log:
            log_path("collect_results"),
        benchmark:
            bench_path("collect_results")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_collect.py"),
            models=plot_models(),
            languages=config["languages"],
            mixture_languages=evaluated_languages(),
            mixture_directions=evaluated_directions(),
            qt_origins=qt_origins(),
            pretrained=PRETRAINED,
            pivot=SRC,
        script:
            "../scripts/spontaneous_collect.py"

    rule irrelevant_label_control:
        input:
            **keyed(out("eval"), EVALUATIONS, RUN_WILDCARDS),
        output:
            table=report(
                out("sp_label_control"),
                caption="../report/spontaneous_label_control.rst",
                category="Controls",
                subcategory="irrelevant labels",
                labels={"table": "irrelevant-label control"},
            ),
            pdf=report(
                out("sp_label_control_fig"),
                caption="../report/spontaneous_label_control.rst",
                category="Controls",
                subcategory="irrelevant labels",
                labels={"figure": "irrelevant-label control"},
            ),
            png=out("sp_label_control_fig_png"),
            tex=out("sp_label_control_tex"),
        log:
            log_path("irrelevant_label_control"),
        benchmark:
            bench_path("irrelevant_label_control")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_label_control.py"),
            models=plot_models(),
            mixtures=EVALUATED,
            mixture_languages=evaluated_languages(),
        script:
            "../scripts/spontaneous_label_control.py"

    rule plot_accuracy_by_mixture:
        input:
            out("accuracy"),
        output:
            table=report(
                out("sp_mixtures"),
                caption="../report/spontaneous_mixtures.rst",
                category="Accuracy",
                subcategory="by mixture",
                labels={"table": "accuracy by mixture"},
            ),
            pdf=report(
                out("sp_mixtures_fig"),
                caption="../report/spontaneous_mixtures.rst",
                category="Accuracy",
                subcategory="by mixture",
                labels={"figure": "accuracy by mixture"},
            ),
            png=out("sp_mixtures_fig_png"),
            tex=out("sp_mixtures_tex"),
        log:
            log_path("plot_accuracy_by_mixture"),
        benchmark:
            bench_path("plot_accuracy_by_mixture")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_plot_mixtures.py"),
            models=plot_models(),
            languages=LANGS,
            mixtures=EVALUATED,
            pretrained=PRETRAINED,
            pivot=SRC,
        script:
            "../scripts/spontaneous_plot_mixtures.py"

    rule probe_lens:
        input:
            unpack(probe_inputs("lens")),
            reference=lambda wc: (
                reference_input(wc) if probe_reads_authors("lens") else []
            ),
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
            code=code("spontaneous_probe.py"),
            kind="lens",
            probe=config["analysis"]["lens"],
            evaluation=config["evaluation"],
            seed=config["seed"],
        script:
            "../scripts/spontaneous_probe.py"

    rule probe_pca:
        input:
            unpack(probe_inputs("pca")),
            reference=lambda wc: (
                reference_input(wc) if probe_reads_authors("pca") else []
            ),
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
            code=code("spontaneous_probe.py"),
            kind="pca",
            probe=config["analysis"]["pca"],
            evaluation=config["evaluation"],
            seed=config["seed"],
        script:
            "../scripts/spontaneous_probe.py"

    rule plot_logit_lens:
        input:
            **keyed(out("sp_lens"), probe_runs("lens"), RUN_WILDCARDS),
        output:
            table=report(
                out("sp_lens_table"),
                caption="../report/spontaneous_lens.rst",
                category="Probes",
                subcategory="logit lens",
                labels={"table": "logit lens"},
            ),
            pdf=report(
                out("sp_lens_fig"),
                caption="../report/spontaneous_lens.rst",
                category="Probes",
                subcategory="logit lens",
                labels={"figure": "logit lens"},
            ),
            png=out("sp_lens_fig_png"),
        log:
            log_path("plot_logit_lens"),
        benchmark:
            bench_path("plot_logit_lens")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_plot_probe.py"),
            kind="lens",
            models=plot_models(),
        script:
            "../scripts/spontaneous_plot_probe.py"

    rule plot_pca_language:
        input:
            **keyed(out("sp_pca"), probe_runs("pca"), RUN_WILDCARDS),
        output:
            table=report(
                out("sp_pca_table"),
                caption="../report/spontaneous_pca.rst",
                category="Probes",
                subcategory="PCA by language",
                labels={"table": "PCA by language"},
            ),
            pdf=report(
                out("sp_pca_fig"),
                caption="../report/spontaneous_pca.rst",
                category="Probes",
                subcategory="PCA by language",
                labels={"figure": "PCA by language"},
            ),
            png=out("sp_pca_fig_png"),
        log:
            log_path("plot_pca_language"),
        benchmark:
            bench_path("plot_pca_language")
        conda:
            "../../envs/pipeline.yaml"
        params:
            code=code("spontaneous_plot_probe.py"),
            kind="pca",
            models=plot_models(),
        script:
            "../scripts/spontaneous_plot_probe.py"
