"""build_paper: the study's LaTeX document (paper/main.tex or paper/spontaneous.tex) with the shared
preamble + this run's tables and figures -> results/<run>/paper/main.pdf."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from pathlib import Path

from mlpt import logs, paper

logs.setup(snakemake)
results = Path(snakemake.output[0]).parents[1]  # results/<run>
paper.build(snakemake.input.tex, str(results), snakemake.output[0], run=results.name,
            includes=[snakemake.input.preamble])
