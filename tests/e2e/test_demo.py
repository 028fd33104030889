"""The demo end to end (tiny models, real data, CPU): every stage really runs.

Runs the demo config under its own run name so it never touches a user's results/demo.
"""

import json
import shutil

import pandas as pd
import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.e2e
RUN = "test-e2e"


@pytest.fixture(scope="module")
def demo_run(root, tmp_path_factory):
    cfg = yaml.safe_load((root / "config/demo.yaml").read_text())
    cfg["run"] = RUN
    path = tmp_path_factory.mktemp("cfg") / "e2e.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    shutil.rmtree(root / "results" / RUN, ignore_errors=True)
    run_snakemake("--configfile", str(path), "--cores", "2")
    return root / "results" / RUN, cfg


def test_accuracy_table(demo_run):
    out, cfg = demo_run
    acc = pd.read_csv(out / "tables/accuracy.csv")
    assert len(acc) == 2 * 2 * 5 * 11  # models x tasks x (4 mixtures + pretrained) x languages
    assert set(acc["mixture"]) == {"pretrained", "en", "en-es", "core-minus-ja", "core"}
    assert (acc["n"] == 12).all() and acc["accuracy"].between(0, 1).all()
    assert (acc["ci_low"] <= acc["accuracy"]).all() and (acc["accuracy"] <= acc["ci_high"]).all()
    ja = acc[(acc.mixture == "core-minus-ja") & (acc.lang == "ja")]
    assert not ja["in_training"].any()


def test_figures_and_tables(demo_run):
    out, _ = demo_run
    pdf = (out / "figures/fig2_accuracy_vs_languages.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    assert "Telugu" in (out / "tables/table1_languages.tex").read_text()


def test_sft_really_trains(demo_run):
    out, _ = demo_run
    logs = list(out.glob("sft/*/*/*/train_log.json"))
    assert len(logs) == 16
    for path in logs:
        curve = [p["loss"] for p in json.loads(path.read_text())["loss_curve"]]
        assert len(curve) >= 4 and curve[-1] < curve[0], (path, curve)


def test_translation_ran_the_mt_model(demo_run):
    out, _ = demo_run
    qc = json.loads((out / "translated/api/sw.qc.json").read_text())
    assert qc["splits"]["train"]["method"] == "mt:seq2seq" and qc["splits"]["train"]["segments"] > 0
    math_te = json.loads((out / "translated/math/te.qc.json").read_text())
    assert math_te["splits"] == {"test": {"records": 12, "method": "reference"}}  # MGSM human translation
    sw = [json.loads(line) for line in (out / "translated/math/sw.jsonl").open()]
    assert all("<<" not in r["reasoning"] or ">>" in r["reasoning"] for r in sw)


def test_evaluation_prompt_matches_training_format(demo_run):
    """The text the model is tested on is the chat-templated prompt it was trained with."""
    out, _ = demo_run
    from transformers import AutoTokenizer

    from mlpt import prompts

    tok = AutoTokenizer.from_pretrained(out / "sft/qwen3-tiny/math/en/model")
    sample = json.loads((out / "eval/qwen3-tiny/math/en.samples.jsonl").open().readline())
    doc = json.loads((out / f"tasks/math/{sample['lang']}.jsonl").open().readline())
    assert sample["prompt"] == prompts.chat_prompt(tok, doc["prompt"])


def test_every_job_logged_and_benchmarked(demo_run):
    out, _ = demo_run
    assert len(list(out.glob("logs/**/*.log"))) == len(list(out.glob("benchmarks/**/*.tsv"))) >= 70
