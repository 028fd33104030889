"""Study B's data stages, offline: the authors' files fetched through a fake download and checked
against the shipped checksums, the Amazon Hub adapter on a fake Hub, MT through a fake translator,
the contamination guard, and a mixture's records."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import datasets
import pytest

from mlpt import io, translate
from mlpt.spontaneous import data, prompts, sources, study

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"copies of the authors' files not at {SHARED}")
SPEC = prompts.load_prompt_spec(ROOT / "resources" / prompts.PROMPTS_FILE)
REPO, COMMIT = "Shimao-Zhang/LLM-Multilingual-Learner", "5605459cab2d9c2c170a30268c0ab84cf17bb66a"


def _authors_copy(url: str) -> bytes:
    """A download from the authors' repository, served from the local copies (gzipped ones unpacked)."""
    path = SHARED / url.split(f"/{COMMIT}/data/", 1)[1]
    return path.read_bytes() if path.exists() else gzip.decompress(path.with_name(path.name + ".gz").read_bytes())


# --------------------------------------------------------------------------- #
# fetch_reference
# --------------------------------------------------------------------------- #
def test_fetch_writes_verified_files_and_keeps_good_ones(tmp_path):
    content = b'[{"premise": "p", "hypothesis": "h", "answer": "neutral"}]'
    files = {"data/snli/x.json": hashlib.sha256(content).hexdigest()}
    calls = []

    def download(url):
        calls.append(url)
        return content

    sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=download)
    assert (tmp_path / "snli/x.json").read_bytes() == content
    assert calls == [f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/data/snli/x.json"]
    report = sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=download)
    assert report["files"] == {"data/snli/x.json": "kept"} and len(calls) == 1


def test_fetch_refuses_a_file_with_another_checksum(tmp_path):
    files = {"data/snli/x.json": "0" * 64}
    with pytest.raises(ValueError, match="SHA-256 .* expected 0000"):
        sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=lambda url: b"changed")
    assert not (tmp_path / "snli/x.json").exists()


@needs_shared
def test_the_authors_files_fetch_and_read(tmp_path):
    """Every SNLI file of the paper config, fetched (fake download) and verified, then read: 600
    English test items, training questions none of which is a test item, and the authors' pairs."""
    cfg = {"languages": dict.fromkeys(data.LANGUAGES), "source_language": "en", "tasks": {"snli": {}},
           "mixtures": [{"family": "single", "languages": ["zh", "hi"]}]}
    sums = study.read_checksums(ROOT / "resources/spontaneous/reference.sha256")
    files = study.reference_files(cfg, "snli", sums)
    assert "data/snli/snli_zh10k_train_question.json" in files and not [f for f in files if "hi10k" in f]
    sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=_authors_copy)
    records, report = sources.english_records("snli", "reference", ref_dir=tmp_path, resources=ROOT / "resources",
                                              n_train=200)
    tests = [r for r in records if r["split"] == "test"]
    train = [r for r in records if r["split"] == "train"]
    assert len(tests) == 600 and len(train) == 200 and report["left_out"]["no_text"] == 0
    assert not {sources.record_key("snli", r) for r in train} & {sources.record_key("snli", r) for r in tests}
    # the authors' zh pairs are question_pairs of the same English rows, rendered as the prompts render them
    pairs = data.read_qt_pairs(sources.local_path(tmp_path, "data/snli/snli_zh10k_train_question.json"))
    assert pairs[0]["answer"] == prompts.render_question(SPEC, "snli", train[0])
    assert pairs[0]["language"] == prompts.language_name(SPEC, "zh")


# --------------------------------------------------------------------------- #
# Amazon from the Hub (fake)
# --------------------------------------------------------------------------- #
def test_amazon_questions_come_from_the_hub(monkeypatch, tmp_path):
    tests = [{"input": f"test review {i}", "answer": "positive" if i % 2 else "negative"} for i in range(500)]
    (tmp_path / "ap_emotion").mkdir()
    (tmp_path / "ap_emotion/emotion_en500_test.json").write_text(json.dumps(tests))
    rows = {"label": [1] * 40, "title": ["t"] * 40, "content": [f"hub review {i}" for i in range(39)] + ["Test review 7!"]}
    loads = []

    def load_dataset(repo, data_files, revision, split):
        loads.append((repo, data_files, revision, split))
        return datasets.Dataset.from_dict(rows)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    records, report = sources.english_records("amazon", "reference", ref_dir=tmp_path, resources=ROOT / "resources",
                                              n_train=19, seed=3)
    assert loads == [("fancyzhx/amazon_polarity", "amazon_polarity/train-00000-of-00004.parquet",
                      sources.AMAZON.revision, "train")]
    assert report["hub"]["commit"] == sources.AMAZON.revision and report["sampled_from"]["sampled"] == 38
    train = [r for r in records if r["split"] == "train"]
    assert len(train) == 19 and all(r["review"].startswith("hub review") for r in train)
    assert len([r for r in records if r["split"] == "test"]) == 500


def test_the_demo_sources_are_shipped():
    records, report = sources.english_records("snli", "shipped", ref_dir=None, resources=ROOT / "resources",
                                              n_train=150, n_test=30)
    assert report["test"] == 30 and report["train"] == 150
    assert [r["label"] for r in records[:3]] == [r["label_local"] for r in records[:3]]


# --------------------------------------------------------------------------- #
# MT of one language (fake translator) and the guard
# --------------------------------------------------------------------------- #
class FakeMT:
    """Writes '<tgt>:' before each text, but maps every text containing 'collide' to one output."""

    def __call__(self, texts, src, tgt, progress=True):
        return ["collided text" if "collide" in t else f"{tgt}: {t}" for t in texts]


def _english(tmp_path) -> str:
    records, _ = sources.english_records("snli", "shipped", ref_dir=None, resources=ROOT / "resources", n_train=20,
                                         n_test=12)
    records[-1].update(premise="collide one", hypothesis="collide two")  # a training question
    records[0].update(premise="collide three", hypothesis="collide four")  # a test item
    path = tmp_path / "en.jsonl"
    io.write_jsonl(path, records)
    return str(path)


def _translate(tmp_path, english, split, policy="flag", lang="zh"):
    out, qc = tmp_path / f"{lang}.{split}.jsonl", tmp_path / f"{lang}.{split}.qc.json"
    backend = {"backend": "seq2seq", "qc": {"policy": policy}, "shard_size": 100}
    sources.translate_language(english, str(out), str(qc), task="snli", lang=lang, split=split, source="shipped",
                               ref_dir=None, backend=backend, codes={}, mt_model=None,
                               languages={"en": {}, lang: {}}, work_dir=str(tmp_path / "work" / lang))
    return list(io.read_jsonl(out)), io.read_json(qc)


@pytest.fixture
def fake_mt(monkeypatch):
    monkeypatch.setattr(translate, "make_translator", lambda *args, **kwargs: FakeMT())
    monkeypatch.setattr(translate.models, "fingerprint", lambda path: {"model": path})


def test_test_items_are_machine_translated_with_their_label_words(tmp_path, fake_mt):
    tests, qc = _translate(tmp_path, _english(tmp_path), "test")
    assert len(tests) == 12 and all(r["origin"] == "machine-translated" and r["lang"] == "zh" for r in tests)
    assert tests[1]["premise"].startswith("zh: ") and tests[1]["label_local"] == f"zh: {tests[1]['label']}"
    assert qc["splits"]["test"]["records"] == 12 and qc["splits"]["test"]["method"] == "mt:seq2seq"


def test_flagged_questions_are_dropped_under_drop(tmp_path, fake_mt):
    english = _english(tmp_path)
    questions, qc = _translate(tmp_path, english, "train", policy="drop")
    counts = qc["splits"]["train"]
    assert counts["checks"]["language"] == 19  # 'zh: <English>' is not Chinese; the short collision is not checked
    assert counts["dropped"] == counts["flagged"] == 19 and len(questions) == 1
    questions, _ = _translate(tmp_path, english, "train", policy="flag")
    assert len(questions) == 20


def test_the_guard_keeps_test_items_out_and_counts_mt_collisions(tmp_path, fake_mt):
    english = _english(tmp_path)
    tests, _ = _translate(tmp_path, english, "test")
    io.write_jsonl(tmp_path / "zh.tests.jsonl", tests)
    _translate(tmp_path, english, "train")
    # a training question that is an English test item is left out
    rows = list(io.read_jsonl(english))
    rows[-2].update(premise=rows[3]["premise"], hypothesis=rows[3]["hypothesis"])
    io.write_jsonl(english, rows)
    records, report = sources.qt_records("snli", ["zh"], english_file=english,
                                         test_files={"en": english, "zh": str(tmp_path / "zh.tests.jsonl")},
                                         spec=SPEC, n_pairs=100, question_files={"zh": str(tmp_path / "zh.train.jsonl")})
    assert report["origin"] == "machine-translated" and report["directions"]["zh"]["records"] == 19
    assert report["left_out_equal_to_a_test_item"] == 1 and report["mt_collisions_kept"] == 1
    assert report["records"] == 19 and report["train"] + report["val"] == 19 and report["val"] == 1
    assert records[0]["prompt"].endswith("\nTranslate the input from Chinese to English:\n")
    assert records[0]["prompt"].startswith("前提: zh: ") and records[0]["response"].startswith("Premise: ")


def test_the_authors_pairs_are_guarded_against_their_test_items(tmp_path):
    english = tmp_path / "en.jsonl"
    io.write_jsonl(english, [
        {"id": "snli-0000", "split": "test", "origin": "source", "premise": "A dog runs.", "hypothesis": "An animal moves."},
        {"id": "snli-0001", "split": "test", "origin": "source", "premise": "Ein Hund.", "hypothesis": "Ein Tier."},
    ])
    zh = tmp_path / "zh.jsonl"
    io.write_jsonl(zh, [{"id": "snli-0000", "split": "test", "origin": "reference", "premise": "一只狗在跑。",
                         "hypothesis": "一只动物在动。"}])
    pairs = [("前提: 一只狗在跑。\n假设: 一只动物在动。\n答案: \"", 'Premise: Other.\nHypothesis: Other.\nAnswer: "'),
             ("前提: 别的。\n假设: 别的。\n答案: \"", 'Premise: a dog runs\nHypothesis: An animal moves!\nAnswer: "'),
             ("前提: 好。\n假设: 好。\n答案: \"", 'Premise: Fine.\nHypothesis: Fine.\nAnswer: "')]
    ref = tmp_path / "pairs.json"
    ref.write_text(json.dumps([{"input": data.qt_prompt(q, "Chinese"), "answer": e} for q, e in pairs],
                              ensure_ascii=False))
    records, report = sources.qt_records("snli", ["zh"], english_file=str(english),
                                         test_files={"en": str(english), "zh": str(zh)}, spec=SPEC, n_pairs=10,
                                         reference_pairs=str(ref))
    assert report["left_out_equal_to_a_test_item"] == 2 and [r["response"] for r in records] == [pairs[2][1]]
    assert report["origin"] == "authors" and report["file"] == str(ref)


def test_pairs_into_another_target_are_machine_translated_on_both_sides(tmp_path, fake_mt):
    """X->zh: the question side is English (en2zh) or this run's MT of it (de2zh), the answer side
    the Chinese MT of the same question; test items are kept out on both sides."""
    english = _english(tmp_path)
    for lang in ("zh", "de"):
        tests, _ = _translate(tmp_path, english, "test", lang=lang)
        io.write_jsonl(tmp_path / f"{lang}.tests.jsonl", tests)
        _translate(tmp_path, english, "train", lang=lang)
    zh_tests = list(io.read_jsonl(tmp_path / "zh.tests.jsonl"))
    zh_train = list(io.read_jsonl(tmp_path / "zh.train.jsonl"))
    zh_tests[5] = dict(zh_tests[5], origin="reference", premise=zh_train[2]["premise"],
                       hypothesis=zh_train[2]["hypothesis"])  # an authors' zh test item equal to a zh question
    io.write_jsonl(tmp_path / "zh.tests.jsonl", zh_tests)
    io.write_jsonl(tmp_path / "zh.train.jsonl", zh_train[:-3])  # the QC policy dropped three zh questions
    tests = {x: str(tmp_path / f"{x}.tests.jsonl") for x in ("zh", "de")} | {"en": english}
    questions = {x: str(tmp_path / f"{x}.train.jsonl") for x in ("zh", "de")}
    records, report = sources.qt_records("snli", ["en2zh", "de2zh"], english_file=english, test_files=tests,
                                         spec=SPEC, n_pairs=100, question_files=questions)
    en2zh, de2zh = report["directions"]["en2zh"], report["directions"]["de2zh"]
    assert en2zh["no_counterpart"] == de2zh["no_counterpart"] == 3 and en2zh["pairs"] == 17
    assert en2zh["left_out_equal_to_a_test_item"] == de2zh["left_out_equal_to_a_test_item"] == 1  # the zh side
    first = next(r for r in records if r["id"].startswith("snli-qt-en2zh"))
    assert first["lang"] == "en" and first["prompt"].startswith("Premise: ")
    assert first["prompt"].endswith("\nTranslate the input from English to Chinese:\n")
    assert first["response"].startswith("前提: zh: ")
    assert {r["lang"] for r in records} == {"en", "de"} and report["records"] == 32


def test_a_mixture_joins_its_languages(tmp_path):
    files = {}
    for lang in ("zh", "de"):
        recs = data.build_qt_records([(f"q{i} {lang}", f"e{i}") for i in range(20)], lang, lang, id_prefix=f"x-{lang}")
        files[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(files[lang], recs, schema="train_record")
    records, manifest = sources.mixture_records(files, {"zh": ["zh"], "de": ["de"]})
    assert len(records) == 40 and manifest["counts"] == {"zh": {"train": 19, "val": 1}, "de": {"train": 19, "val": 1}}
    with pytest.raises(ValueError, match="another language"):
        sources.mixture_records({"zh": files["de"]}, {"zh": ["zh"]})

