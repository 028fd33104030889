"""Study B's data stages, offline: the authors' files fetched through a fake download and checked
against the shipped checksums (SHA-256 or git blob id), their question-translation files read
(small fixture files written here in their format, never their data), Amazon's English questions,
MT through a fake translator, the contamination guard, and a mixture's records."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from mlpt import io, translate
from mlpt.data.common import SourceError
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
    assert report["files"]["data/snli/x.json"]["status"] == "kept" and len(calls) == 1
    assert io.read_json(tmp_path / sources.MANIFEST) == report


def test_fetch_refuses_a_file_with_another_checksum(tmp_path):
    files = {"data/snli/x.json": "0" * 64}
    with pytest.raises(ValueError, match=r"data/snli/x.json\): SHA-256 .* expected 0000"):
        sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=lambda url: b"changed")
    assert not (tmp_path / "snli/x.json").exists()


def test_a_git_blob_id_verifies_the_right_bytes_only(tmp_path):
    """A file whose content was never seen here is listed by its git blob id: the download is checked
    against it (the id `git hash-object` gives), kept, and its SHA-256 recorded in the manifest."""
    content = json.dumps([{"input": 'Q: a\nTranslate the input from Thai to English:\n', "answer": "Q: b"}]).encode()
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # git's definition
    assert sources.git_blob_id(content) == blob
    assert sources.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
    files = {"data/paws/paws_th10k_train_question.json": blob}
    report = sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=lambda url: content)
    entry = report["files"]["data/paws/paws_th10k_train_question.json"]
    assert entry == {"status": "downloaded", "checked_by": "git blob id", "sha256": hashlib.sha256(content).hexdigest(),
                     "git_blob": blob, "bytes": len(content)}
    assert io.read_json(tmp_path / sources.MANIFEST)["files"] == report["files"]
    again = sources.fetch_reference(files, tmp_path, repo=REPO, commit=COMMIT, download=lambda url: 1 / 0)
    assert again["files"]["data/paws/paws_th10k_train_question.json"]["status"] == "kept"
    with pytest.raises(ValueError, match=r"\(data/paws/paws_th10k_train_question.json\): git blob id .* expected "
                                         + blob):
        sources.fetch_reference(files, tmp_path / "other", repo=REPO, commit=COMMIT,
                                download=lambda url: content + b" ")
    assert not (tmp_path / "other/paws/paws_th10k_train_question.json").exists()


def test_the_checksum_list_takes_both_digests(tmp_path):
    sums = study.read_checksums(ROOT / "resources/spontaneous/reference.sha256")
    assert sums["data/snli/snli_hi10k_train_question.json"] == "e78cc5256c4a7d8033b6634ca9f88931ec621de6"
    assert sums["data/ap_emotion/emotion_en10k_question.json"] == "b7526bea4c5fd66d6e987f43f64d81e44f54d81b"
    assert len(sums["data/snli/snli_zh10k_train_question.json"]) == 64  # seen here: its SHA-256
    published = {path for files in study.QT_FILES.values() for path in files}
    assert published <= set(sums) and len(published) == 45  # every question-translation file of the tree
    (tmp_path / "bad.sha256").write_text("abc123  data/x.json\n")
    with pytest.raises(ValueError, match="bad.sha256:1: expected '<sha256 or git blob id>  <path>'"):
        study.read_checksums(tmp_path / "bad.sha256")


@needs_shared
def test_the_authors_files_fetch_and_read(tmp_path):
    """Every SNLI file of the paper config, fetched (fake download) and verified, then read: 600
    English test items, training questions none of which is a test item, and the authors' pairs."""
    cfg = {"languages": dict.fromkeys(data.LANGUAGES), "source_language": "en", "tasks": {"snli": {}},
           "mixtures": [{"family": "single", "languages": ["zh", "hi"]}]}
    sums = study.read_checksums(ROOT / "resources/spontaneous/reference.sha256")
    assert study.reference_files(cfg, "snli", sums)["data/snli/snli_hi10k_train_question.json"] == (
        "e78cc5256c4a7d8033b6634ca9f88931ec621de6")  # never seen here: fetched and checked by its git blob id
    cfg["mixtures"] = [{"family": "single", "languages": ["zh"]}]
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
# Amazon's English questions: the authors' emotion_en10k_question.json (fixture in its assumed layout)
# --------------------------------------------------------------------------- #
def _amazon(tmp_path, questions) -> Path:
    tests = [{"input": f"test review {i}", "answer": "positive" if i % 2 else "negative"} for i in range(500)]
    (tmp_path / "ap_emotion").mkdir(exist_ok=True)
    (tmp_path / "ap_emotion/emotion_en500_test.json").write_text(json.dumps(tests))
    (tmp_path / "ap_emotion/emotion_en10k_question.json").write_text(json.dumps(questions, ensure_ascii=False))
    return tmp_path


def test_amazon_questions_are_the_authors(tmp_path):
    rows = [{"input": f"a review {i}", "answer": "positive"} for i in range(39)] + [{"input": "Test review 7!"}]
    rows.insert(3, {"input": "Test review 7!"})  # a test item: left out
    records, report = sources.english_records("amazon", "reference", ref_dir=_amazon(tmp_path, rows),
                                              resources=ROOT / "resources", n_train=19)
    train = [r for r in records if r["split"] == "train"]
    assert len(train) == 19 and [r["review"] for r in train[:4]] == [f"a review {i}" for i in (0, 1, 2, 3)]
    assert report["left_out"]["equals_a_test_item"] == 1 and len(records) - len(train) == 500
    assert "data/ap_emotion/emotion_en10k_question.json" in study.reference_files(
        {"languages": dict.fromkeys(["en"]), "source_language": "en", "tasks": {"amazon": {}},
         "mixtures": [{"family": "pretrained"}]}, "amazon", study.read_checksums(ROOT / "resources/spontaneous/reference.sha256"))


@pytest.mark.parametrize("rows", [
    [{"input": 'A review\nEmotion: "\nTranslate the input from English to Chinese:\n', "answer": "评论"}],
    [{"review": "a review"}],
    {"input": "not an array"},
])
def test_amazon_questions_in_another_layout_are_named(tmp_path, rows):
    with pytest.raises(SourceError, match="emotion_en10k_question.json"):
        sources.english_records("amazon", "reference", ref_dir=_amazon(tmp_path, rows), resources=ROOT / "resources",
                                n_train=5)


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


# --------------------------------------------------------------------------- #
# The authors' question-translation files: small fixtures written here in their format (a JSON
# array of {"input": question + "\nTranslate the input from <X> to <Y>:\n", "answer": question in Y})
# --------------------------------------------------------------------------- #
def _qt_file(path: Path, rows) -> str:
    """``rows``: (question, answer, language name, target name)."""
    path.write_text(json.dumps([{"input": data.qt_prompt(q, x, t), "answer": a} for q, a, x, t in rows],
                               ensure_ascii=False))
    return str(path)


def _snli_tests(tmp_path) -> dict[str, str]:
    items = {"en": ("A dog runs.", "An animal moves."), "zh": ("一只狗在跑。", "一只动物在动。"),
             "de": ("Ein Hund rennt.", "Ein Tier bewegt sich.")}
    files = {}
    for lang, (p, h) in items.items():
        files[lang] = str(tmp_path / f"{lang}.tests.jsonl")
        io.write_jsonl(files[lang], [{"id": "snli-0000", "split": "test", "origin": "source" if lang == "en" else
                                      "reference", "lang": lang, "premise": p, "hypothesis": h}])
    return files


def _zh(i):
    return f'前提: 句{i}\n假设: 假{i}\n答案: "', f'Premise: s{i}\nHypothesis: h{i}\nAnswer: "', "Chinese", "English"


def _de(i):
    return f'Prämisse: S{i}\nHypothese: H{i}\nAntwort: "', f'Premise: s{i}\nHypothesis: h{i}\nAnswer: "', "German", "English"


def test_a_condition_file_is_read_whole_and_its_pairs_held_out_elsewhere_stay_held_out(tmp_path):
    """The authors' zh+de file makes the zh-de mixture's records; a pair its zh or de direction set
    (read from their single-language files) holds out is held out here too, so the held-out loss every
    checkpoint is scored on never saw training."""
    tests = _snli_tests(tmp_path)
    common = dict(english_file=tests["en"], test_files=tests, spec=SPEC, n_pairs=100, seed=7)
    single = {}
    for lang, row in (("zh", _zh), ("de", _de)):
        path = _qt_file(tmp_path / f"snli_{lang}10k_train_question.json", [row(i) for i in range(20)])
        records, _ = sources.qt_records("snli", [lang], reference_pairs=path, **common)
        single[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(single[lang], records, schema="train_record")
    # their pair file: the same pairs in another order, one more de pair, and a zh pair that is a test item
    rows = [_de(i) for i in range(21)][::-1] + [_zh(i) for i in range(20)]
    rows.append(('前提: 一只狗在跑。\n假设: 一只动物在动。\n答案: "', 'Premise: x\nHypothesis: y\nAnswer: "', "Chinese", "English"))
    pair = _qt_file(tmp_path / "snli_zhde10k_question.json", rows)
    records, report = sources.qt_records("snli", ["zh", "de"], reference_pairs=pair, file_directions=["de", "zh"],
                                         held_files=single, **common)
    assert report["origin"] == "authors" and report["directions"]["zh"]["left_out_equal_to_a_test_item"] == 1
    assert report["directions"]["zh"]["held_out_elsewhere"] == report["directions"]["de"]["held_out_elsewhere"] == 1
    for lang in ("zh", "de"):
        held = {r["response"] for r in io.read_jsonl(single[lang]) if r["split"] == "val"}
        mine = {r["response"] for r in records if r["lang"] == lang and r["split"] == "val"}
        assert held and held <= mine, lang
    assert report["records"] == 41 and {r["lang"] for r in records} == {"zh", "de"}
    files = {"zh-de": str(tmp_path / "zh-de.jsonl")}
    io.write_jsonl(files["zh-de"], records, schema="train_record")
    joined, manifest = sources.mixture_records(files, {"zh-de": ["zh", "de"]})
    assert len(joined) == 41 and manifest["counts"]["zh-de"]["val"] == 2


def test_a_direction_is_read_from_the_file_of_a_condition_that_holds_it(tmp_path):
    """The authors' X->zh directions exist only in their condition files: ja->zh is read from the
    en+ja->zh file, its en->zh pairs skipped; a row of a direction the file's name does not spell,
    or a file in another format, stops the job, naming the file."""
    tests = {"en": str(tmp_path / "en.jsonl"), "ja": str(tmp_path / "ja.jsonl"), "zh": str(tmp_path / "zh.jsonl")}
    for lang, path in tests.items():
        io.write_jsonl(path, [{"id": "amazon-0000", "split": "test", "origin": "source" if lang == "en" else "reference",
                               "lang": lang, "review": f"test review in {lang}"}])
    rows = [(f'Review {i}\nEmotion: "', f'评论 {i}\n情感: "', "English", "Chinese") for i in range(6)]
    rows += [(f'レビュー {i}\n感情: "', f'评论 {i}\n情感: "', "Japanese", "Chinese") for i in range(5)]
    rows.append(('test review in ja\n感情: "', '评论 x\n情感: "', "Japanese", "Chinese"))  # a ja test item
    path = _qt_file(tmp_path / "emotion_en2zhja2zh10k_question.json", rows)
    common = dict(english_file=tests["en"], test_files=tests, spec=SPEC, n_pairs=100)
    records, report = sources.qt_records("amazon", ["ja2zh"], reference_pairs=path, file_directions=["en2zh", "ja2zh"],
                                         **common)
    assert report["other_directions_skipped"] == 6 and report["records"] == 5
    assert report["directions"]["ja2zh"]["left_out_equal_to_a_test_item"] == 1
    assert records[0]["prompt"] == 'レビュー 0\n感情: "\nTranslate the input from Japanese to Chinese:\n'
    assert records[0]["response"] == '评论 0\n情感: "' and records[0]["lang"] == "ja"
    bad = _qt_file(tmp_path / "emotion_ja2zhit2zh10k_question.json", rows[6:8] + [("x\nA: \"", "y\nB: \"", "Thai",
                                                                                     "Chinese")])
    with pytest.raises(ValueError, match=r"emotion_ja2zhit2zh10k_question.json: row 2 translates from Thai to Chinese, "
                                         r"not one of the directions its name spells"):
        sources.qt_records("amazon", ["ja2zh"], reference_pairs=bad, file_directions=["ja2zh", "it2zh"], **common)
    (tmp_path / "emotion_zh10k_question.json").write_text(json.dumps([{"text": "a review", "label": "积极"}]))
    with pytest.raises(ValueError, match="emotion_zh10k_question.json: row 0 is not a question-translation pair"):
        sources.qt_records("amazon", ["ja2zh"], reference_pairs=str(tmp_path / "emotion_zh10k_question.json"),
                           **common)
