# The LaTeX build of the selected study (`make paper`): its document inputs this run's generated
# tables and figures (FINAL_TABLES' LaTeX versions and FINAL_FIGURES, of common.smk for study A or
# spontaneous.smk for study B) and the shared preamble.
PAPER_TEX = {"spontaneous": "paper/spontaneous.tex"}.get(
    config.get("study"), "paper/main.tex"
)


rule build_paper:
    input:
        tex=PAPER_TEX,
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
