"""Every figure and table rule builds from the synthetic fixture results table alone.

The fixture (tests/fixtures/accuracy_fixture.csv) is a SYNTHETIC table of the paper's shape, not
results; it stands in for results/<run>/tables/accuracy.csv, and per-item scores made from it
(tests/fixtures/make_samples_fixture.py) for the evaluations' samples.jsonl, so the analysis rules
run without any training or evaluation (`--allowed-rules` keeps Snakemake from planning them)."""

import shutil

import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.workflow
RUN = "test-fixture"
ANALYSIS_RULES = ["fit_stats", "fit_stats_control", "plot_fig3_median_change", "plot_fig4_zero_shot_vs_direct",
                  "plot_fig7_heatmaps", "plot_fig8_scaling", "plot_fig9_zero_shot_other_models",
                  "plot_fig2_accuracy_vs_languages", "plot_fig2_by_exposure", "plot_extra_languages",
                  "make_table1_languages"]
TARGETS = ["figures/fig2_accuracy_vs_languages.pdf", "figures/fig2_by_exposure.pdf", "figures/fig3_median_change.pdf",
           "figures/fig4_zero_shot_vs_direct.pdf", "figures/fig7_heatmaps.pdf", "figures/fig8_scaling.pdf",
           "figures/fig9_zero_shot_other_models.pdf", "figures/extra_languages.pdf",
           "tables/table1_languages.tex", "tables/table2_win_rates.tex", "tables/table3_regression.tex",
           "tables/ttest_zero_shot_vs_direct.csv", "tables/median_changes.csv", "tables/headline_numbers.csv",
           "tables/zero_shot_vs_direct_cases.csv", "tables/zero_shot_vs_direct_shares.tex"]
# What carries a paper number: the statistics tables and the figures drawn from the accuracy table.
PAPER_OUTPUTS = ["tables/bilingual_changes.csv", "tables/median_changes.csv", "tables/table2_win_rates.csv",
                 "tables/table3_regression.csv", "tables/ttest_zero_shot_vs_direct.csv", "tables/headline_numbers.csv",
                 "tables/zero_shot_vs_direct_cases.csv", "tables/zero_shot_vs_direct_shares.csv",
                 "figures/fig2_accuracy_vs_languages.png", "figures/fig7_heatmaps.png", "figures/fig8_scaling.png"]
CORE = ["en", "es", "ja", "bn", "sw"]


def write_fixture_samples(out, acc) -> None:
    """The per-item scores of every trained checkpoint of the fixture (core languages), where the
    evaluate rule writes them: eval/<model>/<task>/<mixture>.samples.jsonl."""
    from fixtures.make_samples_fixture import item_scores, write_samples

    trained = acc[acc["mixture"] != "pretrained"]
    write_samples(item_scores(trained, langs=CORE), lambda m, t, x: out / "eval" / m / t / f"{x}.samples.jsonl")


@pytest.fixture(scope="module")
def fixture_run(root, tmp_path_factory):
    out = root / "results" / RUN
    shutil.rmtree(out, ignore_errors=True)
    (out / "tables").mkdir(parents=True)
    shutil.copy(root / "tests/fixtures/accuracy_fixture.csv", out / "tables/accuracy.csv")
    import pandas as pd

    write_fixture_samples(out, pd.read_csv(out / "tables/accuracy.csv"))
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
    table2 = pd.read_csv(out / "tables/table2_win_rates.csv")
    assert table2[["wins", "n", "ci_low", "ci_high"]].notna().all().all()
    assert set(table2["task"]) == {"math", "api", "all"}
    cases = pd.read_csv(out / "tables/zero_shot_vs_direct_cases.csv")
    assert len(cases) == 5 * 2 * 5 * 3 and "en" in set(cases["lang"])
    shares = pd.read_csv(out / "tables/zero_shot_vs_direct_shares.csv").set_index(["task", "train_size", "models",
                                                                                   "languages"])
    every = shares.loc[("math", 9, "all", "all core")]
    assert every["cases"] == 25 == every["better"] + every["not_different"] + every["worse"]
    assert every["worse"] == (cases.query("task == 'math' and train_size == 9")["outcome"] == "worse").sum()
    largest = shares.loc[("math", 9, "largest per family", "all core")]  # Qwen3-8B and Gemma3-4B, 5 languages each
    assert largest["cases"] == 10
    assert f"{int(largest['worse'])}/10 (" in (out / "tables/zero_shot_vs_direct_shares.tex").read_text()
    assert "95\\% CI (bootstrap)" in (out / "tables/table3_regression.tex").read_text()
    assert not (out / "tables/control").exists()  # paper.yaml has no positive-control task


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


def test_control_statistics_have_their_own_labelled_tables(fixture_run, root, tmp_path):
    """With a positive-control task (here the fixture's api task marked as one), fit_stats keeps to
    the study's tasks and fit_stats_control writes the same statistics for the control alone,
    every row labelled; changing the control's rows changes none of the paper's tables."""
    import pandas as pd

    out, cfg_path = fixture_run
    cfg = yaml.safe_load(open(cfg_path))
    cfg["tasks"]["api"]["positive_control"] = True
    path = tmp_path / "control.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    acc = pd.read_csv(root / "tests/fixtures/accuracy_fixture.csv")
    paper = [f"tables/{name}" for name in ("table2_win_rates.csv", "table3_regression.csv", "median_changes.csv",
                                           "zero_shot_vs_direct_cases.csv", "headline_numbers.csv")]
    control = [f"tables/control/{name}" for name in ("table2_win_rates.csv", "table3_regression.csv",
                                                     "median_changes.csv", "zero_shot_vs_direct_cases.csv",
                                                     "zero_shot_vs_direct_shares.csv", "headline_numbers.csv")]

    def build(table: pd.DataFrame) -> dict[str, bytes]:
        table.to_csv(out / "tables/accuracy.csv", index=False)
        write_fixture_samples(out, table)
        run_snakemake(*[f"results/{RUN}/{t}" for t in [*paper, *control]], "--cores", "2", "--configfile", str(path),
                      "--allowed-rules", *ANALYSIS_RULES, "--forceall")
        return {t: (out / t).read_bytes() for t in [*paper, *control]}

    before = build(acc)
    for name in control:
        table = pd.read_csv(out / name)
        assert set(table["scope"]) == {"control (synthetic), not the paper's numbers"}, name
        if "task" in table:
            assert set(table["task"]) <= {"api", "all"}, name
    assert set(pd.read_csv(out / "tables/median_changes.csv")["task"]) == {"math"}
    assert set(pd.read_csv(out / "tables/zero_shot_vs_direct_cases.csv")["task"]) == {"math"}
    headline = pd.read_csv(out / "tables/control/headline_numbers.csv").set_index("metric")
    assert headline.loc["win rate, direct (api)", "count"] == "20/20" and headline["value"].abs().sum() > 0
    assert "Control (synthetic)" in (out / "tables/control/table2_win_rates.tex").read_text()
    # the control's rows (and per-item scores) change: the paper's tables stay byte for byte
    shifted = acc.copy()
    api = shifted["task"] == "api"
    shifted.loc[api, "correct"] = (shifted.loc[api, "n"] - shifted.loc[api, "correct"])
    shifted.loc[api, "accuracy"] = shifted.loc[api, "correct"] / shifted.loc[api, "n"]
    after = build(shifted)
    for name in paper:
        assert before[name] == after[name], name
    for name in control:
        assert before[name] != after[name], name


def _demo_shaped_table(cfg: dict) -> "pd.DataFrame":
    """A SYNTHETIC accuracy table of config/demo.yaml's shape (2 tiny models, 3 tasks, the base model
    and 4 mixtures, 11 languages), not results: MGSM and API at 0 (as the demo's random models
    score), the control task high on languages in the mixture and low on the others, as the
    demo's measured control runs are."""
    import numpy as np
    import pandas as pd

    from mlpt import config as study_config
    from mlpt import mixture_grammar

    cfg = study_config.validate(cfg)
    mixes = {"pretrained": [], **{name: list(m.languages) for name, m in mixture_grammar.by_name(cfg).items()}}
    rng = np.random.default_rng(5)
    rows = []
    for model, spec in cfg["models"].items():
        for task, tspec in cfg["tasks"].items():
            n = tspec["n_test"]
            for mixture, langs in mixes.items():
                for lang, lspec in cfg["languages"].items():
                    level = 0.0 if not tspec["positive_control"] else (
                        0.05 if not langs else 0.9 if lang in langs else 0.35 + 0.1 * (lang == "es"))
                    correct = int(np.clip(round(n * (level + rng.normal(0, 0.05) * (level > 0))), 0, n))
                    rows.append({"model": model, "family": spec["family"], "params_b": spec["params_b"], "task": task,
                                 "mixture": mixture, "n_train_langs": len(langs), "lang": lang,
                                 "resource": lspec["resource"], "in_training": lang in langs, "n": n,
                                 "correct": correct, "accuracy": correct / n, "ci_low": 0.0, "ci_high": 1.0})
    return pd.DataFrame(rows)


def test_the_demo_config_gives_the_control_non_zero_statistics(root, tmp_path):
    """config/demo.yaml as it is: its MGSM and API statistics are all zero (random tiny models),
    while fit_stats_control gives the control task non-zero medians, win rates with intervals and a
    regression fit, labelled as not the paper's numbers."""
    import pandas as pd

    from conftest import config_for_run

    run = "test-demo-control"
    out = root / "results" / run
    shutil.rmtree(out, ignore_errors=True)
    try:
        cfg_path = config_for_run("config/demo.yaml", run, tmp_path)
        acc = _demo_shaped_table(yaml.safe_load(open(cfg_path)))
        (out / "tables").mkdir(parents=True)
        acc.to_csv(out / "tables/accuracy.csv", index=False)
        write_fixture_samples(out, acc)
        run_snakemake(f"results/{run}/tables/control/headline_numbers.csv",
                      f"results/{run}/tables/headline_numbers.csv", "--cores", "2", "--configfile", cfg_path,
                      "--allowed-rules", "fit_stats", "fit_stats_control")
        paper = pd.read_csv(out / "tables/headline_numbers.csv")
        assert (paper["this_run"].fillna(0) == 0).all()  # the demo's paper statistics: all zero
        control = pd.read_csv(out / "tables/control/headline_numbers.csv").set_index("metric")
        assert set(control["scope"]) == {"control (synthetic), not the paper's numbers"}
        assert control.loc["median change, direct (control), points", "value"] > 20
        win = control.loc["win rate, direct (all)"]
        assert win["count"] == "2/2" and 0 < win["ci_low"] < win["value"] == 1.0
        assert control.loc["regression coefficient lang_in_training", "value"] > 0.3
        assert pd.isna(control.loc["regression coefficient log10_params", "value"])  # both tiny models: one size
        assert pd.read_csv(out / "tables/control/zero_shot_vs_direct_cases.csv").empty  # no en-ja in the demo
    finally:
        shutil.rmtree(out, ignore_errors=True)
