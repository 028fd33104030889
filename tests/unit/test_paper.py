"""The paper build says clearly what is missing when no TeX engine is installed."""

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
