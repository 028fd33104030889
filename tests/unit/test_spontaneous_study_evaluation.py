"""Study B's evaluation of one checkpoint (constrained scores, free-generation control, per-example
records), its probes, and the tables and figures built from them, on a tiny model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpt import io, models, stats, tiny
from mlpt import prompts as chat
from mlpt.spontaneous import evaluation, labels, prompts, results

ROOT = Path(__file__).resolve().parents[2]
PROMPT_FILE = str(ROOT / "resources" / prompts.PROMPTS_FILE)
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 1, "head_dim": 16}
LABELS = ["entailment", "neutral", "contradiction"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A tiny Qwen3-style model and parallel English / Chinese SNLI test files of 9 items."""
    d = tmp_path_factory.mktemp("spontaneous_eval")
    en = [{"id": f"snli-{i:04d}", "task": "snli", "lang": "en", "split": "test", "origin": "source",
           "premise": f"A man number {i} walks.", "hypothesis": f"Someone {i} moves.", "label": LABELS[i % 3],
           "label_local": LABELS[i % 3]} for i in range(9)]
    zh = [dict(r, lang="zh", origin="reference", premise=f"第{i}个男人在走。", hypothesis=f"有人{i}在动。",
               label_local=["蕴含", "中立", "矛盾"][i % 3]) for i, r in enumerate(en)]
    files = {"en": str(d / "en.jsonl"), "zh": str(d / "zh.jsonl")}
    io.write_jsonl(files["en"], en)
    io.write_jsonl(files["zh"], zh)
    texts = [r["premise"] + r["hypothesis"] for r in en + zh] * 5 + LABELS * 5 + ['Answer: "', '答案: "']
    tiny.build_lm_tokenizer(texts, 400, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", TINY, d / "tok", d / "model", seed=0, resources_dir=ROOT / "resources")
    return d, files


def test_one_process_scores_every_language(setup):
    d, files = setup
    summary = evaluation.evaluate_checkpoint(str(d / "model"), files, task="snli", prompt_file=PROMPT_FILE,
                                             summary_file=str(d / "eval.json"), samples_file=str(d / "samples.jsonl"),
                                             batch_size=4, limit=6, seed=0, meta={"model": "m", "mixture": "pretrained"})
    samples = list(io.read_jsonl(d / "samples.jsonl"))
    assert len(samples) == 12 and [s["lang"] for s in samples] == ["en"] * 6 + ["zh"] * 6
    for lang in ("en", "zh"):
        res = summary["languages"][lang]
        mine = [s for s in samples if s["lang"] == lang]
        assert res["n"] == 6 and res["correct"] == sum(s["correct"] for s in mine)
        assert res["irrelevant_rate"] == 1 - np.mean([s["free_relevant"] for s in mine])
        assert all(set(s["scores"]) == set(LABELS) and s["prediction"] in LABELS for s in mine)
    assert summary["languages"]["zh"]["origin"] == "reference" and summary["mixture"] == "pretrained"
    # the precision used, recorded per result: unquantized fp32 on the CPU (evaluation.quantization none)
    assert summary["precision"] == "fp32" and summary["precision_detail"]["requested"] == "none"
    assert {s["precision"] for s in samples} == {"fp32"}
    assert {res["precision"] for res in summary["languages"].values()} == {"fp32"}
    # the irrelevant-label control, scored in the same process: irrelevant words read as the labels
    assert summary["control_words"] == ["ox", "horse", "goat"]
    meaning = dict(zip(summary["control_words"], LABELS))
    for lang in ("en", "zh"):
        mine = [s for s in samples if s["lang"] == lang]
        assert all(set(s["control_scores"]) == {"ox", "horse", "goat"} for s in mine)
        assert all(s["control_label"] == meaning[s["control_prediction"]] for s in mine)
        assert all(s["control_correct"] == (s["control_label"] == s["label"]) for s in mine)
        res = summary["languages"][lang]
        assert res["control_correct"] == sum(s["control_correct"] for s in mine)
        assert res["control_accuracy"] == pytest.approx(res["control_correct"] / 6)
    # the same predictions as the scorer on the same prompts, whatever the batch size
    model, tok = models.load_causal_lm(d / "model"), chat.load_tokenizer(str(d / "model"))
    records, _ = evaluation.test_records(files["zh"])
    texts = evaluation.item_prompts(prompts.load_prompt_spec(PROMPT_FILE), "snli", records, 6, 0)
    direct = labels.score_labels(model, tok, texts, LABELS, seed=0, keys=[r["id"] for r in records[:6]], batch_size=1)
    assert direct.predictions == [s["prediction"] for s in samples if s["lang"] == "zh"]


def test_control_prompts_replace_every_label_word(setup):
    """The control's prompts are the real prompts with the label words swapped, position by position,
    in the instruction and in every exemplar answer; nothing else changes."""
    _, files = setup
    spec = prompts.load_prompt_spec(PROMPT_FILE)
    records = evaluation.test_records(files["en"])[0]
    words = labels.control_words(3)
    real = evaluation.item_prompts(spec, "snli", records, 9, 0)
    control = evaluation.item_prompts(spec, "snli", records, 9, 0, label_words=words)
    for r, c in zip(real, control):
        swapped = r
        for label, word in zip(LABELS, words):
            swapped = swapped.replace(f'"{label}"', f'"{word}"')
        assert c == swapped and not any(f'"{label}"' in c for label in LABELS)


def test_prompts_of_an_item_are_parallel(setup):
    _, files = setup
    spec = prompts.load_prompt_spec(PROMPT_FILE)
    en, zh = (evaluation.item_prompts(spec, "snli", evaluation.test_records(files[x])[0], 9, 0) for x in ("en", "zh"))
    for e, z in zip(en, zh):  # same exemplar rows, same label words, in each language
        assert [line for line in e.split("\n") if line.startswith("Answer:")] == \
            [line.replace("答案:", "Answer:") for line in z.split("\n") if line.startswith("答案:")]


def test_probes(setup):
    d, files = setup
    lens = evaluation.probe("lens", str(d / "model"), files, str(d / "lens.json"), task="snli", prompt_file=PROMPT_FILE,
                            languages=["en", "zh"], limit=4, meta={"model": "m", "mixture": "pretrained"})
    assert lens["layers"] == 2 and set(lens["languages"]) == {"en", "zh"} and lens["skipped"] == {}
    assert lens["measure"] == "authors" and lens["entropy_unit"] == "bits" and lens["prompts"] == "evaluation"
    assert lens["precision"] == "fp32" and lens["precision_detail"]["requested"] == "none"
    for per in lens["languages"].values():  # one row per decoder layer, no embedding row
        assert per["n"] + sum(per["dropped"].values()) == per["n_items"] == 4
        assert all(len(per[k]) == 2 for k in ("english", "target", "entropy_bits", "english_ci",
                                               "extra_english_first", "extra_target_first"))
    assert lens["languages"]["en"]["dropped"]["overlap"] == 0  # English is never filtered (the authors' rule)
    pca = evaluation.probe("pca", str(d / "model"), files, str(d / "pca.json"), task="snli", prompt_file=PROMPT_FILE,
                           languages=["en", "zh"], limit=4)
    assert pca["languages"] == ["en"] * 4 + ["zh"] * 4 and len(pca["extra_eta"]) == 3 and pca["layer"] == 2
    assert pca["pairs"] == ["en-zh"] and len(pca["pearson"]["en-zh"]) == 3 and pca["precision"] == "fp32"
    assert all(-1 - 1e-9 <= r <= 1 + 1e-9 for r in pca["pearson"]["en-zh"])
    assert np.asarray(pca["coords"]).shape == (8, 2) and all(0 <= e <= 1 for e in pca["extra_eta"])


def _summary(path, correct: dict[str, int], n=10):
    io.write_json(path, {"languages": {lang: {"n": n, "correct": c, "ties": 0, "irrelevant_rate": 0.5,
                                              "origin": "source" if lang == "en" else "reference"}
                                       for lang, c in correct.items()},
                         "prompt_style": "instruction", "precision": "fp32"})
    return str(path)


def test_tables_and_figures(tmp_path, setup):
    files = {("m", "snli", "pretrained"): _summary(tmp_path / "b.json", {"en": 6, "zh": 3, "sw": 2}),
             ("m", "snli", "zh"): _summary(tmp_path / "z.json", {"en": 7, "zh": 8, "sw": 5})}
    models_ = {"m": {"family": "qwen1.5", "params_b": 1.8, "label": "M"}}
    languages = {"en": {"resource": "high"}, "zh": {"resource": "high"}, "sw": {"resource": "low"}}
    acc = results.collect(files, models_, languages, {"pretrained": [], "zh": ["zh"]})
    assert list(acc.columns) == results.ACCURACY_COLUMNS and len(acc) == 6
    assert set(acc["precision"]) == {"fp32"} and set(acc["prompt_style"]) == {"instruction"}
    low, high = stats.wilson_ci(acc["correct"].to_numpy(), acc["n"].to_numpy())
    assert np.allclose(acc["ci_low"], low) and np.allclose(acc["ci_high"], high)
    assert acc.set_index(["mixture", "lang"])["tuned_on"].to_dict() == {
        ("pretrained", "en"): False, ("pretrained", "zh"): False, ("pretrained", "sw"): False,
        ("zh", "en"): False, ("zh", "zh"): True, ("zh", "sw"): False}
    table = results.by_mixture(acc, "pretrained", "en").set_index(["mixture", "languages"])
    assert table.loc[("zh", "all"), "accuracy"] == pytest.approx(20 / 30)
    assert table.loc[("zh", "all"), "change_over_pretrained"] == pytest.approx(20 / 30 - 11 / 30)
    assert table.loc[("zh", "untuned"), "n_languages"] == 1  # sw only: not zh (tuned), not en (pivot)
    assert table.loc[("zh", "untuned"), "change_over_pretrained"] == pytest.approx(0.3)
    summary = results.mixtures_summary(table.reset_index()).set_index("mixture")  # the LaTeX table, in %
    assert summary.loc["zh"].tolist() == ["m", "snli", pytest.approx(200 / 3), pytest.approx(50.0), pytest.approx(30.0)]
    results.plot_mixtures(acc, models_, ["en", "zh", "sw"], ["pretrained", "zh"], str(tmp_path / "c.pdf"),
                            str(tmp_path / "c.png"))
    d, _ = setup
    probes = {("m", "snli", "pretrained"): str(d / "lens.json")}
    lens = results.probe_outputs("lens", probes, models_, str(tmp_path / "l.csv"), str(tmp_path / "l.pdf"),
                                 str(tmp_path / "l.png"))
    assert list(lens.columns) == results.LENS_COLUMNS and len(lens) == 2 * 2 and set(lens["layer"]) == {1, 2}
    assert set(lens["precision"]) == {"fp32"} and set(lens["skipped"]) == {""}
    pca = results.probe_outputs("pca", {("m", "snli", "pretrained"): str(d / "pca.json")}, models_, str(tmp_path / "p.csv"),
                                str(tmp_path / "p.pdf"), str(tmp_path / "p.png"))
    assert list(pca.columns) == results.PCA_COLUMNS and list(pca["layer"]) == [0, 1, 2]
    assert list(pca["authors_layer"]) == [False, False, True] and set(pca["pair"]) == {"en-zh"}
    assert pd.read_csv(tmp_path / "p.csv").shape[0] == 3
    for name in ("c", "l", "p"):
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000 and (tmp_path / f"{name}.png").stat().st_size > 1000


def _control_summary(path, labels_: list[str], per_lang: dict[str, tuple[int, int, float | None]], n=10):
    """An evaluate summary with the control: per language (correct, control_correct, irrelevant rate)."""
    io.write_json(path, {"labels": labels_, "control_words": list(labels.control_words(len(labels_))),
                         "languages": {lang: {"n": n, "correct": c, "ties": 0, "irrelevant_rate": rate,
                                              "control_correct": cc, "control_ties": 1, "origin": "source"}
                                       for lang, (c, cc, rate) in per_lang.items()}})
    return str(path)


def test_irrelevant_label_control_table(tmp_path):
    """The table builder on synthetic summaries: both accuracies with their Wilson intervals, the
    change, chance, the irrelevant-output rate, and a clear error for a summary without the control."""
    files = {("m", "snli", "pretrained"): _control_summary(tmp_path / "b.json", LABELS, {"en": (6, 3, 0.2), "zh": (4, 4, 0.5)}),
             ("m", "snli", "zh"): _control_summary(tmp_path / "z.json", LABELS, {"en": (7, 2, None), "zh": (9, 1, None)}),
             ("m", "paws", "pretrained"): _control_summary(tmp_path / "p.json", ["same", "different"], {"en": (5, 5, 0.0)})}
    models_ = {"m": {"family": "qwen1.5", "params_b": 1.8, "label": "M"}}
    table = results.label_control(files, models_, {"pretrained": [], "zh": ["zh"]})
    assert list(table.columns) == results.CONTROL_COLUMNS and len(table) == 5
    row = table.set_index(["task", "mixture", "lang"]).loc[("snli", "pretrained", "en")]
    assert (row["accuracy"], row["control_accuracy"], row["change"]) == pytest.approx((0.6, 0.3, -0.3))
    assert row["control_words"] == "ox horse goat" and row["chance"] == pytest.approx(1 / 3)
    assert row["irrelevant_rate"] == pytest.approx(0.2) and not row["tuned_on"]
    low, high = stats.wilson_ci(table["control_correct"].to_numpy(), table["n"].to_numpy())
    assert np.allclose(table["control_ci_low"], low) and np.allclose(table["control_ci_high"], high)
    assert table.set_index(["mixture", "lang"]).loc[("zh", "zh"), "tuned_on"].all()
    assert table.loc[table.task == "paws", "chance"].tolist() == [0.5]
    assert table.loc[table.mixture == "zh", "irrelevant_rate"].isna().all()  # no free generation: empty
    table.to_csv(tmp_path / "t.csv", index=False)
    assert results.read_accuracy(str(tmp_path / "t.csv"))["irrelevant_rate"].isna().sum() == 2
    pooled = results.label_control_summary(table, ["pretrained", "zh"]).set_index(["task", "mixture"])
    assert pooled.loc[("snli", "pretrained")].tolist()[1:] == pytest.approx([20, 50.0, 35.0, -15.0, 35.0])  # (6+4)/20, (3+4)/20
    assert np.isnan(pooled.loc[("snli", "zh"), "irrelevant outputs (%)"]) and len(pooled) == 3
    results.plot_label_control(table, models_, ["pretrained", "zh"], str(tmp_path / "c.pdf"), str(tmp_path / "c.png"))
    assert (tmp_path / "c.pdf").stat().st_size > 1000 and (tmp_path / "c.png").stat().st_size > 1000
    old = tmp_path / "old.json"
    io.write_json(old, {"labels": LABELS, "languages": {}})
    with pytest.raises(ValueError, match="no irrelevant-label control.*rerun its evaluate job"):
        results.label_control({("m", "snli", "pretrained"): str(old)}, models_, {"pretrained": []})


def _synthetic_snli_script(fields: dict[str, tuple[str, str, str]], first: dict[str, tuple[str, str]]) -> str:
    """A SYNTHETIC script with the structure of the authors' snli_eval_6shot_enout.py (made-up texts):
    six exemplars E N C E N C per language, the first one given by ``first``."""
    labels6 = ["entailment", "neutral", "contradiction"] * 2
    prefixes, queries = {}, []
    for lang, (p, h, a) in fields.items():
        blocks = [(first[lang] if k == 0 else (f"x{k}", f"y{k}")) for k in range(6)]
        prefixes[lang] = "\n".join(f'{p}: {s}\n{h}: {t}\n{a}: "{w}"' for (s, t), w in zip(blocks, labels6))
        queries.append(f"if target_lang == {lang!r}:\n    input = [prompt_prefix[{lang!r}] + '\\n' + {p + ': '!r} + pr"
                       f" + {chr(10) + h + ': '!r} + hy + {chr(10) + a + ': ' + chr(34)!r} for pr, hy in "
                       "zip(inputs['premise'], inputs['hypothesis'])]")
    dicts = "".join(f"{name} = {{'en': {en!r}, 'zh': {zh!r}}}\n" for name, en, zh in
                    (("positive_answers", "entailment", "蕴含"), ("neutral_answers", "neutral", "中立"),
                     ("negative_answers", "contradiction", "矛盾")))
    checks = "".join(f"if (inputs['answer'][i] == {n}[target_lang]):\n    pass\n"
                     for n in ("positive_answers", "neutral_answers", "negative_answers"))
    return f"prompt_prefix = {prefixes!r}\n{dicts}" + "\n".join(queries) + "\n" + checks


def test_authors_prompt_style_flags_exemplar_items(setup, tmp_path):
    d, files = setup
    script = _synthetic_snli_script({"en": ("Premise", "Hypothesis", "Answer"), "zh": ("前提", "假设", "答案")},
                                    {"en": ("A man number 0 walks.", "Someone 0 moves."), "zh": ("别的。", "别的。")})
    (tmp_path / prompts.EVAL_SCRIPTS["snli"]).write_text(script, encoding="utf-8")
    summary = evaluation.evaluate_checkpoint(str(d / "model"), files, task="snli", prompt_file=PROMPT_FILE,
                                             summary_file=str(tmp_path / "eval.json"),
                                             samples_file=str(tmp_path / "samples.jsonl"), batch_size=4, limit=6,
                                             free_generation=False, prompt_style="authors", reference_dir=str(tmp_path))
    samples = list(io.read_jsonl(tmp_path / "samples.jsonl"))
    assert summary["prompt_style"] == "authors" and summary["label_tokens"] == "authors"
    assert summary["prompt_source"].endswith("snli_eval_6shot_enout.py")
    en = [s for s in samples if s["lang"] == "en"]
    assert [s["exemplar_answer"] for s in en] == ["entailment"] + [None] * 5  # item 0 is an exemplar: flagged
    assert summary["languages"]["en"]["exemplar_items"] == 1 and summary["languages"]["zh"]["exemplar_items"] == 0
    assert summary["languages"]["en"]["exemplar_items_correct"] == int(en[0]["correct"])
    assert all(s["authors_gold_match"] for s in samples)  # the fixture's gold words are the dictionaries'
    acc = results.collect({("m", "snli", "base"): str(tmp_path / "eval.json")},
                          {"m": {"family": "qwen3", "params_b": 0.001}},
                          {"en": {"resource": "high"}, "zh": {"resource": "high"}}, {"base": []})
    assert acc.set_index("lang").loc["en", "exemplar_items"] == 1  # counted in the accuracy table


def test_authors_prompt_style_without_the_script_names_it(setup, tmp_path):
    d, files = setup
    with pytest.raises(FileNotFoundError, match="snli_eval_6shot_enout.py"):
        evaluation.evaluate_checkpoint(str(d / "model"), files, task="snli", prompt_file=PROMPT_FILE,
                                       summary_file=str(tmp_path / "e.json"), samples_file=str(tmp_path / "s.jsonl"),
                                       prompt_style="authors", reference_dir=str(tmp_path))
