# The paper build: LaTeX that inputs this run's generated tables and figures (`make paper`).


rule build_paper:
    input:
        tex="paper/main.tex",
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
    script:
        "../scripts/build_paper.py"
