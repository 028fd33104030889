"""Every figure and table rule builds from the synthetic fixture results table alone.

The fixture (tests/fixtures/accuracy_fixture.csv) is a SYNTHETIC table of the paper's shape, not
results; it stands in for results/<run>/tables/accuracy.csv so the analysis rules run without any
training or evaluation (`--allowed-rules` keeps Snakemake from planning them)."""

import shutil

import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.workflow
RUN = "test-fixture"
ANALYSIS_RULES = ["fit_stats", "plot_fig3_median_change", "plot_fig4_zero_shot_vs_direct", "plot_fig7_heatmaps",
                  "plot_fig8_scaling", "plot_fig9_zero_shot_other_models", "plot_fig2_accuracy_vs_languages",
                  "plot_extra_languages", "make_table1_languages"]
TARGETS = ["figures/fig2_accuracy_vs_languages.pdf", "figures/fig3_median_change.pdf", "figures/fig4_zero_shot_vs_direct.pdf",
           "figures/fig7_heatmaps.pdf", "figures/fig8_scaling.pdf", "figures/fig9_zero_shot_other_models.pdf",
           "figures/extra_languages.pdf",
           "tables/table1_languages.tex", "tables/table2_win_rates.tex", "tables/table3_regression.tex",
           "tables/ttest_zero_shot_vs_direct.csv", "tables/median_changes.csv", "tables/headline_numbers.csv"]
# What carries a paper number: the statistics tables and the figures drawn from the accuracy table.
PAPER_OUTPUTS = ["tables/bilingual_changes.csv", "tables/median_changes.csv", "tables/table2_win_rates.csv",
                 "tables/table3_regression.csv", "tables/ttest_zero_shot_vs_direct.csv", "tables/headline_numbers.csv",
                 "figures/fig2_accuracy_vs_languages.png", "figures/fig7_heatmaps.png", "figures/fig8_scaling.png"]


@pytest.fixture(scope="module")
def fixture_run(root, tmp_path_factory):
    out = root / "results" / RUN
    shutil.rmtree(out, ignore_errors=True)
    (out / "tables").mkdir(parents=True)
    shutil.copy(root / "tests/fixtures/accuracy_fixture.csv", out / "tables/accuracy.csv")
    cfg = yaml.safe_load((root / "config/paper.yaml").read_text())
    cfg["run"] = RUN
    path = tmp_path_factory.mktemp("cfg") / "fixture.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    yield out, str(path)
    shutil.rmtree(out, ignore_errors=True)


def test_every_analysis_target_builds_from_the_fixture(fixture_run):
    out, cfg = fixture_run
    run_snakemake(*[f"results/{RUN}/{t}" for t in TARGETS], "--cores", "2", "--configfile", cfg,
                  "--allowed-rules", *ANALYSIS_RULES)
    for target in TARGETS:
        path = out / target
        assert path.exists() and path.stat().st_size > 200, target
    assert (out / "figures/fig3_median_change.png").stat().st_size > 1000
    assert "log10\\_params" in (out / "tables/table3_regression.tex").read_text()
    import pandas as pd

    headlines = pd.read_csv(out / "tables/headline_numbers.csv")
    assert len(headlines) == 16 and headlines["this_run"].notna().all()


def test_extra_language_rows_change_no_paper_output(fixture_run, root):
    """The rules pass the config's language roles: altering every extra-language row of the
    accuracy table rebuilds the paper's tables and figures byte for byte, but not the extra view."""
    import pandas as pd

    from fixtures.make_accuracy_fixture import alter_rows

    out, cfg = fixture_run
    acc = pd.read_csv(root / "tests/fixtures/accuracy_fixture.csv")
    targets = [f"results/{RUN}/{t}" for t in [*PAPER_OUTPUTS, "figures/extra_languages.png"]]

    def build(table: pd.DataFrame) -> dict[str, bytes]:
        table.to_csv(out / "tables/accuracy.csv", index=False)
        run_snakemake(*targets, "--cores", "2", "--configfile", cfg, "--allowed-rules", *ANALYSIS_RULES)
        return {t: (out / t).read_bytes() for t in [*PAPER_OUTPUTS, "figures/extra_languages.png"]}

    before = build(acc)
    after = build(alter_rows(acc, ["fr", "de", "ru", "zh", "th"]))
    for target in PAPER_OUTPUTS:
        assert before[target] == after[target], target
    assert before["figures/extra_languages.png"] != after["figures/extra_languages.png"]


def test_one_figure_plans_one_job(fixture_run):
    out, cfg = fixture_run
    proc = run_snakemake(f"results/{RUN}/figures/fig4_zero_shot_vs_direct.pdf", "-n", "--forcerun",
                         f"results/{RUN}/figures/fig4_zero_shot_vs_direct.pdf", "--configfile", cfg,
                         "--allowed-rules", *ANALYSIS_RULES)
    assert "plot_fig4_zero_shot_vs_direct" in proc.stdout and "sft" not in proc.stdout.replace("sft/", "")


def test_partial_results_plot_as_missing_not_a_crash(fixture_run, root):
    import pandas as pd

    out, cfg = fixture_run
    acc = pd.read_csv(out / "tables/accuracy.csv")
    part = acc[(acc.model != "qwen3-8b") & ~acc.mixture.str.startswith("core-minus-ja")]
    part.to_csv(out / "tables/accuracy.csv", index=False)
    targets = [f"results/{RUN}/figures/fig{n}.pdf" for n in
               ("3_median_change", "4_zero_shot_vs_direct", "7_heatmaps", "8_scaling", "9_zero_shot_other_models")]
    run_snakemake(*targets, "--cores", "2", "--configfile", cfg, "--allowed-rules", *ANALYSIS_RULES, "--forceall")
