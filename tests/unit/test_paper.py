"""The LaTeX build: a clear message when no TeX engine is installed; with one, both studies' documents
compile from the tables and figures of a run (study A: paper/main.tex, study B: paper/spontaneous.tex)."""

import re
import shutil

import pytest

from mlpt import paper


def test_no_tex_engine_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="no TeX engine found.*apt-get install texlive"):
        paper.build("paper/main.tex", str(tmp_path), str(tmp_path / "main.pdf"), run="x")


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
def test_builds_with_tex(tmp_path, root):
    results = tmp_path / "results" / "x"
    (results / "tables").mkdir(parents=True)
    (results / "figures").mkdir()
    for name in ("headline_numbers", "table1_languages", "table2_win_rates", "table3_regression", "table4_datasets"):
        (results / "tables" / f"{name}.tex").write_text("\\begin{tabular}{l}a\\\\\\end{tabular}\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in ("fig2_accuracy_vs_languages", "fig3_median_change", "fig4_zero_shot_vs_direct", "fig7_heatmaps",
                 "fig8_scaling", "fig9_zero_shot_other_models"):
        plt.figure().savefig(results / "figures" / f"{name}.pdf")
    paper.build(str(root / "paper/main.tex"), str(results), str(results / "paper/main.pdf"), run="x")
    assert (results / "paper/main.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
def test_builds_study_b_with_tex(tmp_path, root):
    """Study B's document (paper/spontaneous.tex, the shared preamble) with its long tables as the
    workflow writes them (mlpt.spontaneous.results.write_latex) and placeholder figures."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlpt.spontaneous import results as sp

    out = tmp_path / "results" / "x_b"
    (out / "tables").mkdir(parents=True)
    (out / "figures").mkdir()
    rows = [{"model": "qwen15-1800m", "task": t, "condition": c, "languages": scope, "accuracy": 0.5,
             "change_over_base": 0.01} for t in ("snli", "paws") for c in ("base", "zh", "zh-de")
            for scope in ("all", "untuned")]
    sp.write_latex(sp.conditions_summary(pd.DataFrame(rows * 30)), str(out / "tables/accuracy_by_condition.tex"),
                   "Accuracy by condition.", "tab:conditions")  # long: breaks across pages
    control = pd.DataFrame([{"model": "m", "task": "snli", "condition": c, "lang": lang, "n": 10, "correct": 5,
                             "control_correct": 3, "irrelevant_rate": None if c == "zh" else 0.2, "chance": 1 / 3}
                            for c in ("base", "zh") for lang in ("en", "zh_x")])
    sp.write_latex(sp.label_control_summary(control, ["base", "zh"]), str(out / "tables/irrelevant_label_control.tex"),
                   "Control with 100% & under_scores.", "tab:label-control")
    tex = (root / "paper/spontaneous.tex").read_text()
    for name in re.findall(r"\\fig\{([^}]+)\}", tex):
        plt.figure().savefig(out / "figures" / f"{name}.pdf")
    paper.build(str(root / "paper/spontaneous.tex"), str(out), str(out / "paper/main.pdf"), run="x_b")
    assert (out / "paper/main.pdf").read_bytes().startswith(b"%PDF")
