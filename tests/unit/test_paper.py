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


def _placeholders(root, results, with_control: bool) -> None:
    """A placeholder for every table (``\\input{tables/...}``) and figure (``\\fig{...}``) that
    paper/main.tex reads; the control's tables only ``with_control``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tex = (root / "paper/main.tex").read_text()
    for name in re.findall(r"\\input\{(tables/[^}]+)\}", tex):
        if with_control or not name.startswith("tables/control/"):
            (results / name).parent.mkdir(parents=True, exist_ok=True)
            (results / name).write_text("\\begin{tabular}{l}a\\\\\\end{tabular}\n")
    (results / "figures").mkdir(exist_ok=True)
    for name in re.findall(r"\\fig\{([^}]+)\}", tex):
        plt.figure().savefig(results / "figures" / f"{name}.pdf")
        plt.close("all")


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
@pytest.mark.parametrize("with_control", [False, True])
def test_builds_with_tex(tmp_path, root, with_control):
    """main.tex builds from a run's tables and figures, with or without the positive control's
    tables (config/paper.yaml has no control task, config/demo.yaml has one)."""
    results = tmp_path / "results" / "x"
    (results / "tables").mkdir(parents=True)
    _placeholders(root, results, with_control)
    assert "tables/zero_shot_vs_direct_shares.tex" in (root / "paper/main.tex").read_text()
    paper.build(str(root / "paper/main.tex"), str(results), str(results / "paper/main.pdf"), run="x")
    assert (results / "paper/main.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
def test_builds_with_the_statistics_tables_as_the_rules_write_them(tmp_path, root, paper_config):
    """The LaTeX of Tables 2 and 3, the zero-shot shares and the control's overview, written by
    mlpt.analysis from real statistics (percent signs, intervals, underscores), compiles."""
    import pandas as pd

    from fixtures import make_accuracy_fixture as FIX
    from fixtures import make_samples_fixture as SAMPLES
    from mlpt import analysis, stats

    results = tmp_path / "results" / "x"
    (results / "tables").mkdir(parents=True)
    _placeholders(root, results, with_control=True)
    acc = pd.read_csv(root / "tests/fixtures/accuracy_fixture.csv")
    acc = acc[acc["model"].isin(["qwen3-8b", "gemma3-4b"])]
    result = stats.paper_statistics(acc, FIX.fixture_mixture_languages(), paper_config["languages"], n_boot=100,
                                    items=SAMPLES.item_scores(acc, langs=["en", "es", "ja", "bn", "sw"]),
                                    n_boot_regression=100)
    for folder in ("tables", "tables/control"):
        out = results / folder
        analysis.write_table(result.win_table, str(out / "t2.csv"), str(out / "table2_win_rates.tex"),
                             "Table 2, 95% intervals.", f"tab:{folder}-2", tex=analysis.table2_latex(result.win_table))
        analysis.write_table(result.coef, str(out / "t3.csv"), str(out / "table3_regression.tex"), "Table 3.",
                             f"tab:{folder}-3", tex=analysis.table3_latex(result.coef))
        analysis.write_table(result.case_shares, str(out / "zs.csv"), str(out / "zero_shot_vs_direct_shares.tex"),
                             "Shares.", f"tab:{folder}-zs", tex=analysis.case_shares_latex(result.case_shares))
    overview = analysis.statistics_overview(result, analysis.CONTROL_LABEL)
    analysis.write_table(overview, str(results / "tables/control/h.csv"),
                         str(results / "tables/control/headline_numbers.tex"), "Control.", "tab:control-h")
    assert "\\%" in (results / "tables/table2_win_rates.tex").read_text()
    paper.build(str(root / "paper/main.tex"), str(results), str(results / "paper/main.pdf"), run="x")
    assert (results / "paper/main.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
def test_builds_study_b_with_tex(tmp_path, root):
    """Study B's document (paper/spontaneous.tex, the shared preamble) with its long tables as the
    workflow writes them (mlpt.latex.write_table) and placeholder figures."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlpt import latex
    from mlpt.spontaneous import results as sp

    out = tmp_path / "results" / "x_b"
    (out / "tables").mkdir(parents=True)
    (out / "figures").mkdir()
    rows = [{"model": "qwen15-1800m", "task": t, "mixture": c, "languages": scope, "accuracy": 0.5,
             "change_over_pretrained": 0.01} for t in ("snli", "paws") for c in ("pretrained", "zh", "zh-de")
            for scope in ("all", "untuned")]
    latex.write_table(sp.mixtures_summary(pd.DataFrame(rows * 30)), str(out / "tables/accuracy_by_mixture.tex"),
                      "Accuracy by mixture.", "tab:mixtures", decimals=1)  # long: breaks across pages
    control = pd.DataFrame([{"model": "m", "task": "snli", "mixture": c, "lang": lang, "n": 10, "correct": 5,
                             "control_correct": 3, "irrelevant_rate": None if c == "zh" else 0.2, "chance": 1 / 3}
                            for c in ("pretrained", "zh") for lang in ("en", "zh_x")])
    latex.write_table(sp.label_control_summary(control, ["pretrained", "zh"]),
                      str(out / "tables/irrelevant_label_control.tex"), "Control with 100% & under_scores.",
                      "tab:label-control", decimals=1)
    tex = (root / "paper/spontaneous.tex").read_text()
    for name in re.findall(r"\\fig\{([^}]+)\}", tex):
        plt.figure().savefig(out / "figures" / f"{name}.pdf")
    paper.build(str(root / "paper/spontaneous.tex"), str(out), str(out / "paper/main.pdf"), run="x_b")
    assert (out / "paper/main.pdf").read_bytes().startswith(b"%PDF")
