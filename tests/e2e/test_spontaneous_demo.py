"""Study B's demo end to end (tiny model, shipped English data, tiny MT, CPU): every stage runs, and
a positive control tells a working pipeline from a broken one.

The control: a tuned checkpoint must have learned its question-translation data, i.e. lower the
loss of its own languages' held-out pairs (never trained on) below the base model's. A tiny random
model cannot learn the tasks, so accuracies sit at chance; but what tuning learns is measurable,
and a run whose LoRA training, merge or hand-over to evaluation is broken leaves that loss exactly
the base model's. What it does not show: which languages were tuned on (the loss is the English
side's, and the demo's other-language text is the output of a random MT model, so what is learned is
not specific to a language), nor anything about the tasks. Runs under its own run name, never
touching a user's results.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import config_for_run, run_snakemake
from mlpt import paper
from mlpt.spontaneous import evaluation, results

pytestmark = pytest.mark.e2e
RUN = "test-e2e-spontaneous"
MARGIN = 0.05  # nats per token; a broken hand-over changes the loss by exactly 0


@pytest.fixture(scope="module")
def demo_run(root, tmp_path_factory):
    path = config_for_run("config/spontaneous-demo.yaml", RUN, tmp_path_factory.mktemp("cfg"))
    shutil.rmtree(root / "results" / RUN, ignore_errors=True)
    run_snakemake("--configfile", path, "--cores", "2")
    return root / "results" / RUN, yaml.safe_load(Path(path).read_text(encoding="utf-8")), path


def test_accuracy_table(demo_run):
    out, _, _ = demo_run
    acc = pd.read_csv(out / "tables/accuracy.csv")
    assert len(acc) == 1 * 2 * 3 * 5  # model x tasks (snli, paws) x mixtures (base, zh, zh-de) x languages
    assert set(acc["mixture"]) == {"pretrained", "zh", "zh-de"}
    assert (acc.loc[acc.task == "snli", "n"] == 30).all() and (acc.loc[acc.task == "paws", "n"] == 20).all()
    assert (acc["ci_low"] <= acc["accuracy"]).all() and (acc["accuracy"] <= acc["ci_high"]).all()
    assert set(acc.loc[acc.lang == "en", "test_set"]) == {"source"}
    assert set(acc.loc[acc.lang != "en", "test_set"]) == {"machine-translated"}
    tuned = acc[acc.tuned_on]
    assert set(zip(tuned.mixture, tuned.lang)) == {("zh", "zh"), ("zh-de", "zh"), ("zh-de", "de")}
    assert acc["irrelevant_rate"].between(0, 1).all()


def test_scores_are_the_recorded_predictions(demo_run):
    """Every accuracy is recomputed from the per-example records, and every prediction is a label
    with the highest recorded score (the constrained scorer's decision)."""
    out, _, _ = demo_run
    acc = pd.read_csv(out / "tables/accuracy.csv")
    for (model, task, mixture), rows in acc.groupby(["model", "task", "mixture"]):
        samples = [json.loads(line) for line in (out / f"eval/{model}/{task}/{mixture}.samples.jsonl").open()]
        for row in rows.itertuples():
            mine = [s for s in samples if s["lang"] == row.lang]
            assert len(mine) == row.n and sum(s["prediction"] == s["label"] for s in mine) == row.correct
        for s in samples:
            assert s["scores"][s["prediction"]] == max(s["scores"].values())


def test_every_mixture_really_trains(demo_run):
    out, cfg, _ = demo_run
    logs = sorted(out.glob("sft/*/*/*/train_log.json"))
    assert len(logs) == 4  # 2 tasks x (zh, zh-de)
    for path in logs:
        log = json.loads(path.read_text())
        assert log["config"]["method"] == "lora" and log["selected"]["criterion"] == "val_loss"
        val = log["val_curve"]  # the held-out loss after every epoch; the lowest (first of equal ones) is kept
        best = min(val, key=lambda p: p["val_loss"])
        assert log["selected"]["global_step"] == best["step"] and log["selected"]["val_loss"] == best["val_loss"]
        curve = [p["loss"] for p in log["loss_curve"]]
        assert curve[-1] < curve[0], (path, curve)
    manifest = json.loads((out / "mixtures/snli/zh-de.manifest.json").read_text())
    n = cfg["tasks"]["snli"]["qt_pairs_per_language"]
    assert manifest["counts"] == {lang: {"train": n - n // 20, "val": n // 20} for lang in ("zh", "de")}


def _qt(out) -> pd.DataFrame:
    return pd.read_csv(out / "tables/qt_validation.csv")


def test_positive_control_the_tuned_models_learned_their_pairs(demo_run):
    out, _, _ = demo_run
    table = _qt(out)
    assert results.qt_control_failures(table, MARGIN) == []
    assert (table.loc[table.mixture == "pretrained", "change"] == 0).all()


def test_positive_control_fails_when_evaluation_reads_the_base_model(demo_run):
    """A broken hand-over (evaluation loads the base weights instead of the tuned checkpoint) leaves
    the held-out loss the base model's: recomputed here with the base model, the check fails."""
    out, cfg, _ = demo_run
    table = _qt(out)
    (name,) = cfg["models"]  # the demo's one tiny model
    model, tok = evaluation.load(str(out / f"models/base/{name}"))
    for i, row in table[table.mixture != "pretrained"].iterrows():
        qt = str(out / f"qt/{row['task']}/{row['direction']}.jsonl")
        res = evaluation.qt_validation_loss(model, tok, {row["direction"]: qt}, max_length=512)
        table.loc[i, "loss"] = res[row["direction"]]["loss"]
    table["change"] = table["loss"] - table["pretrained_loss"]
    assert table["change"].abs().max() < 1e-6  # faithful: the base model's own numbers
    assert len(results.qt_control_failures(table, MARGIN)) == 6  # every tuned (mixture, language)


def test_irrelevant_label_control(demo_run):
    """The control table: the real-label numbers are the accuracy table's, the irrelevant-label ones
    are recomputed from the per-item records (each irrelevant word read as the label in its
    position), and every rate is a rate."""
    out, _, _ = demo_run
    control = pd.read_csv(out / "tables/irrelevant_label_control.csv")
    acc = pd.read_csv(out / "tables/accuracy.csv")
    key = ["model", "task", "mixture", "lang"]
    assert len(control) == len(acc) == 1 * 2 * 3 * 5
    both = control.merge(acc, on=key, suffixes=("", "_acc"))
    assert (both["correct"] == both["correct_acc"]).all() and (both["n"] == both["n_acc"]).all()
    assert (both["irrelevant_rate"] == both["irrelevant_rate_acc"]).all()
    assert set(control.loc[control.task == "snli", "control_words"]) == {"ox horse goat"}
    assert set(control.loc[control.task == "paws", "control_words"]) == {"ox horse"}
    assert control["control_accuracy"].between(0, 1).all() and control["irrelevant_rate"].between(0, 1).all()
    assert ((control["control_ci_low"] <= control["control_accuracy"])
            & (control["control_accuracy"] <= control["control_ci_high"])).all()
    assert (control["change"] - (control["control_accuracy"] - control["accuracy"])).abs().max() < 1e-12
    labels = {"snli": ["entailment", "neutral", "contradiction"], "paws": ["same", "different"]}
    for (model, task, mixture), rows in control.groupby(["model", "task", "mixture"]):
        samples = [json.loads(line) for line in (out / f"eval/{model}/{task}/{mixture}.samples.jsonl").open()]
        meaning = dict(zip(rows["control_words"].iloc[0].split(), labels[task]))
        for s in samples:
            assert s["control_label"] == meaning[s["control_prediction"]]
            assert s["control_scores"][s["control_prediction"]] == max(s["control_scores"].values())
        for row in rows.itertuples():
            mine = [s for s in samples if s["lang"] == row.lang]
            assert sum(s["control_label"] == s["label"] for s in mine) == row.control_correct
    assert "longtable" in (out / "tables/irrelevant_label_control.tex").read_text()


def test_every_table_and_figure_exists(demo_run):
    out, _, _ = demo_run
    for name in ("accuracy_by_mixture.csv", "logit_lens.csv", "pca_language.csv", "qt_validation.csv",
                 "irrelevant_label_control.csv", "accuracy_by_mixture.tex", "irrelevant_label_control.tex"):
        assert (out / "tables" / name).stat().st_size > 100, name
    for fig in ("accuracy_by_mixture", "irrelevant_label_control", "logit_lens", "pca_language", "training_curves"):
        assert (out / "figures" / f"{fig}.pdf").read_bytes().startswith(b"%PDF"), fig
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000, fig
    lens = pd.read_csv(out / "tables/logit_lens.csv")
    assert set(lens["lang"]) == {"en", "zh", "sw"} and set(lens["layer"]) == {1, 2}  # decoder layers, as the authors'
    pca = pd.read_csv(out / "tables/pca_language.csv")
    # 3 mixtures x (embeddings + 2 layers) x every pair of the 5 PCA languages; the statistic marked at one layer
    assert len(pca) == 3 * 3 * 10 and pca["pair"].nunique() == 10
    assert pca["pearson_pc1"].between(-1 - 1e-9, 1 + 1e-9).all() and pca["extra_eta_language"].between(0, 1).all()
    assert (pca.groupby(["mixture", "pair"])["authors_layer"].sum() == 1).all()


def test_one_figure_rebuilds_without_training(demo_run):
    out, _, path = demo_run
    target = f"results/{RUN}/figures/logit_lens.pdf"
    jobs = run_snakemake(target, "-n", "--forcerun", target, "--configfile", path).stdout
    assert "plot_logit_lens" in jobs
    for upstream in ("rule sft", "rule sp_evaluate", "rule sp_translate", "rule probe_lens"):
        assert upstream not in jobs


def test_html_report(demo_run, tmp_path):
    _, _, path = demo_run
    report = tmp_path / "report.html"
    run_snakemake("--report", str(report), "--configfile", path)
    html = report.read_text(errors="replace")
    assert len(html) > 100_000 and "accuracy_by_mixture" in html and "logit_lens" in html
    assert "irrelevant_label_control" in html and "Getting More from Less" in html  # study B's front page
    assert "English is Not All You Need" not in html
    for caption in ("irrelevant-label control. Each checkpoint", "Logit lens as the authors compute it", "What tuning learned"):
        assert caption in html, caption  # the captions of workflow/report/spontaneous_*.rst


@pytest.mark.skipif(paper.engine() is None, reason="no TeX engine installed (make paper installs one)")
def test_latex_build(demo_run):
    """make paper CONFIG=config/spontaneous-demo.yaml: study B's document from this run's tables and figures."""
    out, _, path = demo_run
    run_snakemake(f"results/{RUN}/paper/main.pdf", "--configfile", path, "--cores", "1")
    assert (out / "paper/main.pdf").read_bytes().startswith(b"%PDF")
