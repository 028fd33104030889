"""The plotting scripts (workflow/scripts) as Snakemake runs them: each figure carries the run named
in the config snakemake passes, and the note that its models are tiny random-initialised copies
where they are; study B's LaTeX captions carry the same label. One subprocess runs every script
with a stand-in ``snakemake`` object (the scripts redirect output and logging: never in pytest's
process) and records the texts of every figure it saves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures import make_accuracy_fixture as FIX  # tests/ is on sys.path (conftest.py)
from mlpt import config as study_config
from mlpt import io

ROOT = Path(__file__).resolve().parents[2]

DRIVER = r'''
import json, runpy, sys
from pathlib import Path

sys.path.insert(0, sys.argv[2])  # workflow/scripts: where Snakemake runs them from (_bootstrap)
from mlpt import figures

write = figures._write


def record(fig, pdf, png):
    """Keep the figure's texts and legend labels next to it, then write it as the rule would."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    texts = {"figure": [t.get_text() for t in fig.texts],
             "legends": [t.get_text() for legend in legends for t in legend.get_texts()]}
    Path(pdf + ".texts.json").write_text(json.dumps(texts))
    write(fig, pdf, png)


figures._write = record


class Named(list):
    """Snakemake's named lists, as far as the scripts use them: by position, by name, items()."""

    def __init__(self, entries):
        super().__init__(entries.values())
        self._names = list(entries)
        for name, value in entries.items():
            setattr(self, name, value)

    def items(self):
        return zip(self._names, self)


class Job:
    def __init__(self, job):
        self.input, self.output, self.params = Named(job["input"]), Named(job["output"]), Named(job["params"])
        self.log, self.config, self.threads = Named({"log": job["log"]}), job["config"], 1


for job in json.loads(Path(sys.argv[1]).read_text()):
    runpy.run_path(job["script"], init_globals={"snakemake": Job(job)}, run_name="__main__")
'''


def _outputs(out: Path, name: str, table: bool = False, tex: bool = False) -> dict:
    files = {"pdf": str(out / f"{name}.pdf"), "png": str(out / f"{name}.png")}
    if table:
        files["table"] = str(out / f"{name}.csv")
    if tex:
        files["tex"] = str(out / f"{name}.tex")
    return files


@pytest.fixture(scope="module")
def ran(tmp_path_factory, paper_config_module) -> Path:
    """Every plotting script run once on synthetic inputs: study A's as for config/demo.yaml (tiny
    models, run "demo"), study B's as for config/spontaneous-demo.yaml (run "spontaneous-demo")."""
    d = tmp_path_factory.mktemp("scripts")
    out = d / "out"
    out.mkdir()
    demo = study_config.load(ROOT / "config/demo.yaml")
    b = study_config.load(ROOT / "config/spontaneous-demo.yaml")
    scripts = ROOT / "workflow/scripts"
    jobs = []
    # study A: a figure of the accuracy table, the training curves, the translation QC
    paper = paper_config_module
    mixes = FIX.fixture_mixture_languages()
    models = {m: {**paper["models"][m], "tiny": {"like": "Qwen/Qwen3-0.6B-Base"}} for m in ("qwen3-600m", "gemma3-4b")}
    acc = pd.read_csv(ROOT / "tests/fixtures/accuracy_fixture.csv")
    acc[acc["model"].isin(models)].to_csv(d / "accuracy.csv", index=False)
    plotting = {"models": models, "tasks": {"math": {"label": "MGSM"}, "api": {"label": "API-Bank"}},
                "languages": paper["languages"], "mixtures": ["pretrained", *mixes], "mixture_languages": mixes,
                "source_lang": "en", "run": "demo"}
    config_a = {**demo, "models": models}
    jobs.append({"script": str(scripts / "plot_figure.py"), "input": {"accuracy": str(d / "accuracy.csv")},
                 "output": _outputs(out, "fig4"), "params": {"figure": "fig4", "plotting": plotting},
                 "log": str(d / "fig4.log"), "config": config_a})
    curve = [{"step": s, "epoch": s / 4, "loss": 3.0 - s / 10} for s in range(1, 9)]
    log = {"loss_curve": curve, "val_curve": [{"step": 8, "epoch": 2.0, "val_loss": 1.0}],
           "selected": {"global_step": 8}}
    for name in ("a", "b"):
        io.write_json(d / f"log_{name}.json", log)
    jobs.append({"script": str(scripts / "plot_loss_curves.py"),
                 "input": {"qwen3-600m/math/en": str(d / "log_a.json"), "gemma3-4b/math/core": str(d / "log_b.json")},
                 "output": _outputs(out, "training_curves"), "params": {"plotting": plotting},
                 "log": str(d / "curves.log"), "config": config_a})
    io.write_json(d / "es.qc.json", {"lang": "es", "splits": {"train": {
        "records": 4, "segments": 4, "method": "mt:seq2seq", "policy": "flag", "flagged": 2, "dropped": 0,
        "dropped_ids": [], "checks": {"numbers": 2, "language": 1}}}})
    jobs.append({"script": str(scripts / "collect_translation_qc.py"), "input": {"math/es": str(d / "es.qc.json")},
                 "output": _outputs(out, "translation_qc", table=True), "params": {"languages": ["en", "es"]},
                 "log": str(d / "qc.log"), "config": config_a})
    # study B: accuracy by mixture, the label control, the probes, the training curves
    mixtures = {c: [] if c == "pretrained" else c.split("-") for c in ("pretrained", "zh", "zh-de")}
    rng = np.random.default_rng(0)
    summaries = {}
    for model in b["models"]:
        for task in b["tasks"]:
            for mixture in mixtures:
                path = d / f"eval_{model}_{task}_{mixture}.json"
                io.write_json(path, {"labels": ["a", "b"], "control_words": ["ox", "horse"], "languages": {
                    lang: {"n": 10, "correct": int(rng.integers(2, 9)), "ties": 0, "irrelevant_rate": None,
                           "control_correct": int(rng.integers(2, 9)), "control_ties": 0, "origin": "source"}
                    for lang in b["languages"]}, "prompt_style": "instruction", "precision": "fp32"})
                summaries[f"{model}/{task}/{mixture}"] = str(path)
    from mlpt.spontaneous import results

    accuracy_b = results.collect({tuple(k.split("/")): v for k, v in summaries.items()}, b["models"], b["languages"],
                                 mixtures)
    accuracy_b.to_csv(d / "accuracy_b.csv", index=False)
    params_b = {"models": b["models"], "languages": list(b["languages"]), "mixtures": list(mixtures),
                "pretrained": "pretrained", "pivot": "en", "mixture_languages": mixtures}
    jobs.append({"script": str(scripts / "spontaneous_plot_mixtures.py"), "input": {"acc": str(d / "accuracy_b.csv")},
                 "output": _outputs(out, "mixtures", table=True, tex=True), "params": params_b,
                 "log": str(d / "mixtures.log"), "config": b})
    jobs.append({"script": str(scripts / "spontaneous_label_control.py"), "input": summaries,
                 "output": _outputs(out, "label_control", table=True, tex=True), "params": params_b,
                 "log": str(d / "control.log"), "config": b})
    langs = list(b["languages"])
    model = next(iter(b["models"]))
    per_layer = {"english": [0.1, 0.2, 0.3], "target": [0.3, 0.2, 0.1], "english_any": [0.2, 0.3, 0.4],
                 "target_any": [0.4, 0.3, 0.2], "entropy_bits": [9.0, 7.0, 6.0], "extra_english_first": [0.1] * 3,
                 "extra_target_first": [0.1] * 3, **{k: [0.05] * 3 for k in ("english_ci", "target_ci",
                                                                              "entropy_bits_ci")}}
    io.write_json(d / "lens.json", {"order": langs, "precision": "fp32", "prompts": "evaluation", "skipped": {},
                                    "languages": {lang: {"n": 4, "n_items": 5, "dropped": {"overlap": 1},
                                                         **per_layer} for lang in langs}})
    io.write_json(d / "pca.json", {"order": langs, "languages": [lang for lang in langs for _ in range(3)],
                                   "n_items": 3, "layer": 2, "precision": "fp32", "prompts": "evaluation",
                                   "pearson": {f"{langs[0]}-{x}": [0.1, 0.5, 0.8] for x in langs[1:]},
                                   "extra_eta": [0.2, 0.5, 0.9], "explained": [[0.4, 0.2]] * 3,
                                   "coords": rng.normal(size=(3 * len(langs), 2)).round(4).tolist()})
    for kind in ("lens", "pca"):
        jobs.append({"script": str(scripts / "spontaneous_plot_probe.py"),
                     "input": {f"{model}/snli/zh": str(d / f"{kind}.json")},
                     "output": _outputs(out, kind, table=True), "params": {"kind": kind, "models": b["models"]},
                     "log": str(d / f"{kind}.log"), "config": b})
    jobs.append({"script": str(scripts / "plot_loss_curves.py"),
                 "input": {f"{model}/snli/zh": str(d / "log_a.json"), f"{model}/snli/zh-de": str(d / "log_b.json")},
                 "output": _outputs(out, "training_curves_b"),
                 "params": {"plotting": {"models": b["models"], "tasks": {"snli": {"label": "snli"}}}},
                 "log": str(d / "curves_b.log"), "config": b})
    (d / "jobs.json").write_text(json.dumps(jobs))
    (d / "driver.py").write_text(DRIVER)
    proc = subprocess.run([sys.executable, str(d / "driver.py"), str(d / "jobs.json"), str(scripts)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr + "".join(p.read_text() for p in d.glob("*.log"))
    return out


@pytest.fixture(scope="module")
def paper_config_module() -> dict:
    return study_config.load(ROOT / "config/paper.yaml")


def _texts(out: Path, name: str) -> dict:
    assert (out / f"{name}.png").stat().st_size > 1000 and (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    return json.loads((out / f"{name}.pdf.texts.json").read_text())


A_LABEL = "run: demo; tiny random-initialised models (Qwen3-0.6B, Gemma3-4B), not the paper's numbers"
B_LABEL = "run: spontaneous-demo; tiny random-initialised model (Qwen1.5-tiny), not the paper's numbers"


@pytest.mark.parametrize("name, label", [
    ("fig4", A_LABEL), ("training_curves", A_LABEL),
    ("translation_qc", "run: demo; tiny random-initialised model (MT model), not the paper's numbers"),
    ("mixtures", B_LABEL), ("label_control", B_LABEL), ("lens", B_LABEL), ("pca", B_LABEL),
    ("training_curves_b", B_LABEL),
])
def test_every_script_labels_its_figure_with_the_run(ran, name, label):
    assert label in _texts(ran, name)["figure"]


def test_study_b_curves_are_labelled_per_mixture(ran):
    assert _texts(ran, "training_curves_b")["legends"] == ["zh", "zh-de", "Qwen1.5-tiny"]
    assert _texts(ran, "training_curves")["legends"] == ["en", "core", "Qwen3-0.6B", "Gemma3-4B"]


@pytest.mark.parametrize("name", ["mixtures", "label_control"])
def test_study_b_latex_captions_carry_the_run(ran, name):
    caption = next(line for line in (ran / f"{name}.tex").read_text().splitlines() if line.startswith("\\caption"))
    assert B_LABEL.replace("_", "\\_") in caption, caption


def test_the_label_control_lists_no_free_generation_it_lacks(ran):
    """No free generation (irrelevant_rate empty): no grey bars and no legend entry for them."""
    assert _texts(ran, "label_control")["legends"] == ["real labels", "irrelevant labels"]
