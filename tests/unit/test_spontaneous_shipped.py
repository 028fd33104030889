"""Study B's shipped English SNLI and PAWS files (resources/spontaneous/<task>/): the files are those
resources/spontaneous/PROVENANCE.md lists, in the authors' keys and layout, balanced, with training
questions that share no text with a test item or with each other; and the rule of
derive_upstream.py, which takes them from the upstream releases, on small files written here in the
releases' formats (the releases themselves are not shipped)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "resources" / "spontaneous"
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
FILES = ("snli/test.en.json", "snli/train.en.json", "paws/test.en.json", "paws/train.en.json")
KEYS = {"snli": ("premise", "hypothesis"), "paws": ("sentence1", "sentence2")}
LABELS = {"snli": ("entailment", "neutral", "contradiction"), "paws": ("same", "different")}


def _derive_module():
    spec = importlib.util.spec_from_file_location("derive_upstream", FOLDER / "derive_upstream.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


derive = _derive_module()


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _rows(rel: str) -> list[dict]:
    return json.loads((FOLDER / rel).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- #
# The shipped files
# --------------------------------------------------------------------------- #
def test_the_shipped_files_are_those_provenance_lists():
    """PROVENANCE.md's checksum block names each of the four files once, with its SHA-256."""
    text = (FOLDER / "PROVENANCE.md").read_text(encoding="utf-8")
    listed = dict((path, digest) for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.M))
    assert sorted(listed) == sorted(FILES)
    for rel in FILES:
        assert hashlib.sha256((FOLDER / rel).read_bytes()).hexdigest() == listed[rel], rel


@pytest.mark.parametrize("task", ["snli", "paws"])
def test_the_shipped_files_have_the_authors_keys_layout_and_balance(task):
    tests, train = _rows(f"{task}/test.en.json"), _rows(f"{task}/train.en.json")
    assert all(list(r) == [*KEYS[task], "answer"] for r in tests)
    assert all(list(r) == list(KEYS[task]) for r in train)
    assert Counter(r["answer"] for r in tests) == dict.fromkeys(LABELS[task], 20)
    assert len(train) == 200
    for rel, rows in ((f"{task}/test.en.json", tests), (f"{task}/train.en.json", train)):
        assert (FOLDER / rel).read_text(encoding="utf-8") == derive.dumps(rows), rel  # indent 1, UTF-8, final newline


@pytest.mark.parametrize("task", ["snli", "paws"])
def test_no_training_question_shares_a_text_with_a_test_item_or_another_question(task):
    test_texts = {_norm(r[k]) for r in _rows(f"{task}/test.en.json") for k in KEYS[task]}
    seen: set[str] = set()
    for row in _rows(f"{task}/train.en.json"):
        texts = {_norm(row[k]) for k in KEYS[task]}
        assert not texts & test_texts, row
        assert not texts & seen, row
        seen |= texts


@pytest.mark.skipif(not (SHARED / "snli").is_dir(), reason=f"copies of the authors' files not at {SHARED}")
def test_the_snli_test_items_are_also_the_authors_first_twenty_per_label():
    """The authors' 600 English SNLI test items are the test split's first 200 per label, so the
    split's first 20 per label, shipped, are their first 20 per label too (PROVENANCE.md)."""
    theirs = json.loads((SHARED / "snli/snli_en600_test.json").read_text(encoding="utf-8"))
    picked = derive.select_tests(({**r, "label": r["answer"]} for r in theirs), LABELS["snli"])
    assert picked == _rows("snli/test.en.json")


@pytest.mark.skipif(not (SHARED / "paws").is_dir(), reason=f"copies of the authors' files not at {SHARED}")
def test_no_shipped_paws_training_question_is_one_of_the_authors_test_items():
    theirs = json.loads((SHARED / "paws/paws_en500_test.json").read_text(encoding="utf-8"))
    texts = {_norm(r[k]) for r in theirs for k in KEYS["paws"]}
    assert not any(_norm(r[k]) in texts for r in _rows("paws/train.en.json") for k in KEYS["paws"])


# --------------------------------------------------------------------------- #
# derive_upstream.py on small files in the releases' formats
# --------------------------------------------------------------------------- #
def _snli_line(premise: str, hypothesis: str, label: str) -> str:
    return json.dumps({"annotator_labels": [label], "captionID": "1.jpg#0", "gold_label": label,
                       "pairID": "1.jpg#0r1n", "sentence1": premise, "sentence1_binary_parse": "( x )",
                       "sentence1_parse": "(ROOT x)", "sentence2": hypothesis,
                       "sentence2_binary_parse": "( y )", "sentence2_parse": "(ROOT y)"})


def _write_release(tmp_path: Path, *, clash: bool = False, dev_rows: int = 100) -> tuple[Path, Path, Path, Path]:
    """SNLI test/train as .jsonl (train gzipped), PAWS dev/test as TSV with the header and CRLF line
    ends. SNLI: every 7th test item has no gold label, three hypotheses per training premise; PAWS:
    every 4th dev row is a paraphrase (label 1), each test sentence1 is in two rows."""
    labels = LABELS["snli"]
    test = [_snli_line(f"test premise {i}", f"test hypothesis {i}", "-" if i % 7 == 0 else labels[i % 3])
            for i in range(90)]
    train = [_snli_line(f"premise {i // 3}", f"hypothesis {i}", labels[i % 3]) for i in range(700)]
    if clash:
        train[3] = _snli_line("Test premise  5", "hypothesis 3", "neutral")  # case and spaces ignored
    snli_test, snli_train = tmp_path / "snli_1.0_test.jsonl", tmp_path / "snli_1.0_train.jsonl.gz"
    snli_test.write_text("\n".join(test) + "\n", encoding="utf-8")
    snli_train.write_bytes(gzip.compress(("\n".join(train) + "\n").encode("utf-8")))

    def tsv(path: Path, prefix: str, n: int, label_of) -> Path:
        rows = ["id\tsentence1\tsentence2\tlabel"]
        rows += [f"{i + 1}\t{prefix} a {i // 2}\t{prefix} b {i}\u2028x\t{label_of(i)}" for i in range(n)]
        path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8"))
        return path

    paws_dev = tsv(tmp_path / "dev.tsv", "dev", dev_rows, lambda i: "1" if i % 4 == 0 else "0")
    paws_test = tsv(tmp_path / "test.tsv", "test", 500, lambda i: str(i % 2))
    return snli_test, snli_train, paws_dev, paws_test


def test_the_derivation_takes_the_first_items_per_label_and_the_first_distinct_questions(tmp_path):
    files = derive.derive(*_write_release(tmp_path))
    assert sorted(files) == sorted(FILES)
    # SNLI test: the first 20 of each label in file order, items without a gold label skipped
    taken, expected = Counter(), []
    for i in range(90):
        label = LABELS["snli"][i % 3]
        if i % 7 and taken[label] < 20:
            taken[label] += 1
            expected.append((f"test premise {i}", label))
    assert [(r["premise"], r["answer"]) for r in json.loads(files["snli/test.en.json"])] == expected
    # SNLI training questions: one row per premise, the first 200 premises, no label
    snli_train = json.loads(files["snli/train.en.json"])
    assert snli_train == [{"premise": f"premise {p}", "hypothesis": f"hypothesis {3 * p}"} for p in range(200)]
    # PAWS test items: header skipped, CRLF ends, U+2028 inside a sentence kept, 1 = same, 0 = different
    paws_test = json.loads(files["paws/test.en.json"])
    assert paws_test[:2] == [{"sentence1": "dev a 0", "sentence2": "dev b 0\u2028x", "answer": "same"},
                             {"sentence1": "dev a 0", "sentence2": "dev b 1\u2028x", "answer": "different"}]
    assert Counter(r["answer"] for r in paws_test) == {"same": 20, "different": 20}
    assert [r["sentence2"] for r in paws_test][-1] == "dev b 76\u2028x"  # the 20th 'same' (rows 0, 4, ..., 76)
    # PAWS training questions: a row repeating a sentence of an earlier one taken is left out
    paws_train = json.loads(files["paws/train.en.json"])
    assert paws_train[:2] == [{"sentence1": "test a 0", "sentence2": "test b 0\u2028x"},
                              {"sentence1": "test a 1", "sentence2": "test b 2\u2028x"}]
    assert len(paws_train) == 200
    assert all(text == derive.dumps(json.loads(text)) for text in files.values())


def test_the_derivation_stops_on_a_training_question_with_a_test_text(tmp_path):
    with pytest.raises(SystemExit, match="snli: training row 1 has a text of a test item: 'Test premise  5'"):
        derive.derive(*_write_release(tmp_path, clash=True))


def test_the_derivation_stops_when_a_label_has_too_few_items(tmp_path):
    with pytest.raises(SystemExit, match="fewer than 20 items of each label"):
        derive.derive(*_write_release(tmp_path, dev_rows=60))  # 15 paraphrases


def test_the_derivation_stops_on_rows_of_another_format(tmp_path):
    snli_test, snli_train, paws_dev, paws_test = _write_release(tmp_path)
    paws_dev.write_text("id\tsentence1\tsentence2\tlabel\n1\ta\tb\tyes\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="dev.tsv: data row 1"):
        derive.derive(snli_test, snli_train, paws_dev, paws_test)
    snli_test.write_text(_snli_line("a", "b", "maybe") + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="snli_1.0_test.jsonl:1: gold_label 'maybe'"):
        derive.derive(snli_test, snli_train, paws_dev, paws_test)


def test_the_script_writes_the_files_and_prints_their_checksums(tmp_path, capsys):
    inputs = _write_release(tmp_path)
    out = tmp_path / "out"
    derive.main(["--snli-test", str(inputs[0]), "--snli-train", str(inputs[1]), "--paws-test", str(inputs[2]),
                 "--paws-train", str(inputs[3]), "--out", str(out)])
    printed = capsys.readouterr().out
    for rel in FILES:
        assert f"{hashlib.sha256((out / rel).read_bytes()).hexdigest()}  {rel}" in printed
