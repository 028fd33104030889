"""Build the LaTeX report of a run (paper/main.tex, or study B's paper/spontaneous.tex, with
paper/preamble.tex) into a PDF, when a TeX engine is installed."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

NO_TEX = ("no TeX engine found (latexmk or pdflatex). Install one, e.g. on Debian: "
          "apt-get install texlive-latex-recommended texlive-latex-extra latexmk, or run `make paper`, which does.")

#: The preamble the studies' documents share, beside them (paper/preamble.tex).
PREAMBLE = "preamble.tex"


def engine() -> list[str] | None:
    if shutil.which("latexmk"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "main.tex"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"]
    return None


def build(tex: str, results_dir: str, pdf_out: str, run: str, includes: Sequence[str] | None = None) -> None:
    """Compile ``tex`` (as main.tex) with the ``tables/`` and ``figures/`` of ``results_dir`` into
    ``pdf_out``. ``includes``: files the document inputs, copied beside it (default: the
    :data:`PREAMBLE` in its folder, if there is one)."""
    command = engine()
    if command is None:
        raise RuntimeError(NO_TEX)
    if includes is None:
        includes = [str(p) for p in [Path(tex).parent / PREAMBLE] if p.is_file()]
    if any(Path(path).name == "main.tex" for path in includes):
        raise ValueError(f"an include named main.tex would replace the document: {list(includes)}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(tex, work / "main.tex")
        for path in includes:
            shutil.copy(path, work / Path(path).name)
        (work / "run.tex").write_text("\\newcommand{\\runname}{" + run.replace("_", "\\_") + "}\n")
        for part in ("tables", "figures"):
            shutil.copytree(Path(results_dir) / part, work / part)
        for _ in range(1 if command[0] == "latexmk" else 2):  # pdflatex twice for references
            proc = subprocess.run(command, cwd=work, capture_output=True, text=True)
            log.info(proc.stdout[-5000:])
            if proc.returncode != 0:
                raise RuntimeError(f"LaTeX failed ({proc.returncode}); see the log above")
        Path(pdf_out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(work / "main.pdf", pdf_out)
