"""Tests for mlpt.spontaneous.data: the study's test sets and question-translation records."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from mlpt import io
from mlpt.spontaneous import data

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
needs_shared = pytest.mark.skipif(not (SHARED / "ap_emotion").is_dir(),
                                  reason=f"study B's test sets are not beside the repository ({SHARED})")

#: Label counts per task, as the files' provenance states them.
BALANCE = {"amazon": {"positive": 250, "negative": 250},
           "snli": {"entailment": 200, "neutral": 200, "contradiction": 200},
           "paws": {"same": 250, "different": 250}}


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(rows, ensure_ascii=False)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- #
# The shipped-beside-the-repo test sets
# --------------------------------------------------------------------------- #
@needs_shared
@pytest.mark.parametrize("task", sorted(data.TASKS))
def test_test_sets_are_parallel_balanced_and_mapped_to_english(task):
    spec = data.TASKS[task]
    en = data.read_test_set(SHARED, task, "en")
    assert Counter(r["label"] for r in en) == BALANCE[task]
    for lang in data.LANGUAGES:
        recs = data.read_test_set(SHARED, task, lang)
        assert len(recs) == spec.n_test, lang
        assert [r["id"] for r in recs] == [r["id"] for r in en], lang
        assert [r["label"] for r in recs] == [r["label"] for r in en], lang
        assert all(r["lang"] == lang and r["task"] == task for r in recs)
        assert all(r[f].strip() for r in recs for f in spec.text_fields)
        # one localized word per English label
        pairs = {(r["label_local"], r["label"]) for r in recs}
        assert len(pairs) == len(spec.labels) == len({loc for loc, _ in pairs}), (lang, pairs)


@needs_shared
def test_localized_answers_are_kept():
    zh = data.read_test_set(SHARED, "amazon", "zh")
    assert {(r["label_local"], r["label"]) for r in zh} == {("积极", "positive"), ("消极", "negative")}
    de = data.read_test_set(SHARED, "snli", "de")
    assert ("Widerspruch", "contradiction") in {(r["label_local"], r["label"]) for r in de}


@needs_shared
def test_question_translation_files():
    pairs = data.read_qt_pairs(SHARED / "snli" / "snli_sw10k_train_question.json.gz")
    assert len(pairs) == 10_000 and {p["language"] for p in pairs} == {"Swahili"}
    assert {p["target"] for p in pairs} == {"English"}
    recs = data.build_qt_records([(p["question"], p["answer"]) for p in pairs], "sw", "Swahili", id_prefix="snli-qt-sw")
    raw = data.read_json_array(SHARED / "snli" / "snli_sw10k_train_question.json.gz")
    assert [r["prompt"] for r in recs] == [row["input"] for row in raw]  # the paper's prompts, rebuilt exactly
    assert [r["response"] for r in recs] == [row["answer"] for row in raw]


# --------------------------------------------------------------------------- #
# Synthetic files
# --------------------------------------------------------------------------- #
def test_labels_mapped_by_row_alignment(tmp_path):
    _write(tmp_path / "ap_emotion" / "emotion_en500_test.json",
           [{"input": f"r{i}", "answer": "positive" if i % 2 else "negative"} for i in range(500)])
    _write(tmp_path / "ap_emotion" / "emotion_fr500_test.json.gz",
           [{"input": f"a{i}", "answer": "positif" if i % 2 else "négatif"} for i in range(500)])
    fr = data.read_test_set(tmp_path, "amazon", "fr")
    assert data.test_set_path(tmp_path, "amazon", "fr").name == "emotion_fr500_test.json.gz"
    assert fr[3] == {"id": "amazon-0003", "task": "amazon", "lang": "fr", "review": "a3", "label_local": "positif",
                     "label": "positive"}


def test_misaligned_rows_are_an_error(tmp_path):
    _write(tmp_path / "ap_emotion" / "emotion_en500_test.json",
           [{"input": f"r{i}", "answer": "positive" if i % 2 else "negative"} for i in range(500)])
    shifted = [{"input": f"a{i}", "answer": "positif" if (i + (i > 100)) % 2 else "négatif"} for i in range(500)]
    _write(tmp_path / "ap_emotion" / "emotion_fr500_test.json", shifted)
    with pytest.raises(ValueError, match="row 101 answers"):
        data.read_test_set(tmp_path, "amazon", "fr")
    with pytest.raises(ValueError, match="also stands for"):
        data.english_labels(["a", "a"], ["positive", "negative"], "x")
    with pytest.raises(ValueError, match="also written"):
        data.english_labels(["a", "b"], ["positive", "positive"], "x")


def test_wrong_size_unknown_label_and_missing_text(tmp_path):
    _write(tmp_path / "paws" / "paws_en500_test.json", [{"sentence1": "a", "sentence2": "b", "answer": "same"}] * 499)
    with pytest.raises(ValueError, match="499 rows, the paper's test set has 500"):
        data.read_test_set(tmp_path, "paws", "en")
    _write(tmp_path / "paws" / "paws_en500_test.json", [{"sentence1": "a", "sentence2": "b", "answer": "yes"}] * 500)
    with pytest.raises(ValueError, match=r"\['yes'\] are not labels of 'paws'"):
        data.read_test_set(tmp_path, "paws", "en")
    _write(tmp_path / "paws" / "paws_en500_test.json", [{"sentence1": "a", "answer": "same"}])
    with pytest.raises(ValueError, match="row 0 has no text under 'sentence2'"):
        data.read_items(tmp_path / "paws" / "paws_en500_test.json", "paws", "en")
    with pytest.raises(ValueError, match="unknown task"):
        data.read_items(tmp_path / "paws" / "paws_en500_test.json", "xnli", "en")
    _write(tmp_path / "obj.json", {"a": 1})
    with pytest.raises(ValueError, match="one JSON array"):
        data.read_json_array(tmp_path / "obj.json")


def test_qt_records_are_train_records():
    pairs = [(f"前提: 句{i}\n答案: \"", f"Premise: s{i}\nAnswer: \"") for i in range(40)]
    recs = data.build_qt_records(pairs, "zh", "Chinese", id_prefix="snli-qt-zh", val_fraction=0.05, seed=1)
    for rec in recs:
        io.check_record(rec, "train_record", rec["id"])
    assert recs[3] == {"id": "snli-qt-zh-00003", "lang": "zh", "split": recs[3]["split"],
                       "prompt": '前提: 句3\n答案: "\nTranslate the input from Chinese to English:\n',
                       "response": 'Premise: s3\nAnswer: "', "answer": 'Premise: s3\nAnswer: "'}
    assert Counter(r["split"] for r in recs) == {"train": 38, "val": 2}
    again = data.build_qt_records(pairs, "zh", "Chinese", id_prefix="snli-qt-zh", val_fraction=0.05, seed=1)
    assert [r["split"] for r in again] == [r["split"] for r in recs]
    other = data.build_qt_records(pairs, "zh", "Chinese", id_prefix="snli-qt-zh", val_fraction=0.25, seed=2)
    assert Counter(r["split"] for r in other)["val"] == 10
    with pytest.raises(ValueError, match="empty side"):
        data.build_qt_records([("x", " ")], "zh", "Chinese", id_prefix="p")


def test_qt_pairs_reader(tmp_path):
    good = {"input": 'Q: a\nTranslate the input from Thai to English:\n', "answer": "Q: b"}
    into_zh = {"input": data.qt_prompt("Q: c", "Japanese", "Chinese"), "answer": "问: c"}  # an X->zh pair
    _write(tmp_path / "qt.json.gz", [good, into_zh])
    assert data.read_qt_pairs(tmp_path / "qt.json.gz") == [
        {"question": "Q: a", "answer": "Q: b", "language": "Thai", "target": "English"},
        {"question": "Q: c", "answer": "问: c", "language": "Japanese", "target": "Chinese"}]
    for i, row in enumerate([{"input": "Q: a", "answer": "Q: b"}, {"input": good["input"], "answer": " "},
                             {"input": "\nTranslate the input from Thai to English:\n", "answer": "Q: b"}]):
        _write(tmp_path / f"bad{i}.json", [good, row])
        with pytest.raises(ValueError, match=f"bad{i}.json: row 1 is not a question-translation pair"):
            data.read_qt_pairs(tmp_path / f"bad{i}.json")
    _write(tmp_path / "object.json", {"input": "x"})  # not the authors' format at all: named
    with pytest.raises(ValueError, match="object.json: not a question-translation file in the authors' format"):
        data.read_qt_pairs(tmp_path / "object.json")


def test_held_out_rows_stay_held_out():
    pairs = [(f"q{i}", f"a{i}") for i in range(40)]
    plain = data.build_qt_records(pairs, "zh", "Chinese", id_prefix="p", seed=3)
    held = data.build_qt_records(pairs, "zh", "Chinese", id_prefix="p", seed=3, held_out=[5, 7])
    assert [i for i, r in enumerate(held) if r["split"] == "val"] == [5, 7]  # the share: 2 of 40
    assert sum(r["split"] == "val" for r in plain) == 2
    into_zh = data.build_qt_records(pairs, "en", "English", target="Chinese", id_prefix="p")
    assert into_zh[0]["prompt"] == "q0\nTranslate the input from English to Chinese:\n"
