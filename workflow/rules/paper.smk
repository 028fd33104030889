# Both studies: the LaTeX build (`make paper`) of the study's document (mlpt.study.Study.paper_tex),
# which inputs this run's generated tables and figures (FINAL_TABLES' LaTeX versions and
# FINAL_FIGURES, common.smk) and the shared preamble.


rule build_paper:
    input:
        tex=STUDY.paper_tex(),
        preamble="paper/preamble.tex",
        tables=[out(name) for name in FINAL_TABLES if name.endswith("_tex")],
        figures=[out(name) for name in FINAL_FIGURES],
    output:
        out("paper_pdf"),
    log:
        log_path("build_paper"),
    benchmark:
        bench_path("build_paper")
    conda:
        "../../envs/pipeline.yaml"
    params:
        code=code("build_paper.py"),
    script:
        "../scripts/build_paper.py"
