"""Writes study B's shipped English SNLI and PAWS files (``snli/``, ``paws/`` beside this script)
from the upstream releases, so that every shipped row is a row of a licensed release.

    python resources/spontaneous/derive_upstream.py \\
        --snli-test snli_1.0_test.jsonl --snli-train snli_1.0_train.jsonl \\
        --paws-test final/dev.tsv --paws-train final/test.tsv

Inputs (a ``.gz`` is read decompressed):

- ``--snli-test``, ``--snli-train``: SNLI 1.0 JSON Lines (``snli_1.0_<split>.jsonl``: ``sentence1``,
  ``sentence2``, ``gold_label``, one object a line). The training file may be a prefix of the split:
  only its first rows are read.
- ``--paws-test``, ``--paws-train``: PAWS-Wiki labeled (final) TSV (``final/<split>.tsv``: ``id``,
  ``sentence1``, ``sentence2``, ``label``; the header line may be missing). The shipped files take
  the test items from ``dev.tsv``, the split the authors' English PAWS test items come from, and
  the training questions from ``test.tsv``, because no copy of ``train.tsv`` could be had and
  ``test.tsv`` is the split neither the authors nor this project test on (``PROVENANCE.md``).

Selection, in the file's own order:

- test items: the first ``PER_LABEL`` (20) items of each label; SNLI items without a gold label
  (``-``) are skipped; PAWS ``label`` 1 is written ``same``, 0 ``different``. The items keep the
  file's order, so the labels interleave as they come.
- training questions: the first ``TRAIN_ROWS`` (200) rows that share no text with a row taken
  before them, whatever their label, written without it. SNLI writes three or more hypotheses per
  premise and PAWS reuses a sentence in several pairs, so this takes one row per premise (SNLI) and
  leaves out a pair that repeats a sentence (PAWS): no held-out question-translation pair repeats a
  text the model was tuned on.

A training question with a text (premise, hypothesis or sentence; case and spaces ignored) of one
of its task's test items stops the script. Output: JSON arrays in the authors' keys
(``premise``/``hypothesis``, ``sentence1``/``sentence2``, and ``answer`` in the test files),
``json.dumps(rows, indent=1, ensure_ascii=False)`` and a final newline. The script prints the
SHA-256 of every input and output; ``PROVENANCE.md`` lists them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

PER_LABEL = 20
TRAIN_ROWS = 200
SNLI_LABELS = ("entailment", "neutral", "contradiction")
PAWS_LABELS = {"1": "same", "0": "different"}
PAWS_HEADER = ["id", "sentence1", "sentence2", "label"]
HERE = Path(__file__).resolve().parent


def _lines(path: Path) -> list[str]:
    """The lines of a UTF-8 file (LF or CRLF; only these end a line: a text may hold U+2028)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return [line.removesuffix("\r") for line in data.decode("utf-8").removesuffix("\n").split("\n")]


def snli_rows(path: Path) -> Iterator[dict]:
    """The rows of an SNLI 1.0 ``.jsonl`` file, read as they are asked for: ``{premise, hypothesis,
    label}`` (label ``-``: none)."""
    for n, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not all(isinstance(row.get(k), str) for k in ("sentence1", "sentence2", "gold_label")):
            raise SystemExit(f"{path}:{n}: not an SNLI 1.0 row (sentence1, sentence2, gold_label)")
        if row["gold_label"] not in (*SNLI_LABELS, "-"):
            raise SystemExit(f"{path}:{n}: gold_label {row['gold_label']!r}")
        yield {"premise": row["sentence1"], "hypothesis": row["sentence2"], "label": row["gold_label"]}


def paws_rows(path: Path) -> Iterator[dict]:
    """The rows of a PAWS-Wiki ``final/<split>.tsv`` file, read as they are asked for: ``{sentence1,
    sentence2, label}``, the label as ``same``/``different``."""
    lines = _lines(path)
    if lines and lines[0].split("\t") == PAWS_HEADER:
        lines = lines[1:]
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 4 or fields[3] not in PAWS_LABELS:
            raise SystemExit(f"{path}: data row {n}: not id<TAB>sentence1<TAB>sentence2<TAB>0|1")
        yield {"sentence1": fields[1], "sentence2": fields[2], "label": PAWS_LABELS[fields[3]]}


def select_tests(rows: Iterable[dict], labels, per_label: int = PER_LABEL) -> list[dict]:
    """The first ``per_label`` rows of each of ``labels``, in file order, the label as ``answer``."""
    taken = dict.fromkeys(labels, 0)
    out = []
    for row in rows:
        label = row["label"]
        if label in taken and taken[label] < per_label:
            taken[label] += 1
            out.append({**{k: v for k, v in row.items() if k != "label"}, "answer": label})
            if all(n == per_label for n in taken.values()):
                return out
    raise SystemExit(f"fewer than {per_label} items of each label: {taken}")


def select_train(rows: Iterable[dict], n: int = TRAIN_ROWS) -> list[dict]:
    """The first ``n`` rows that share no text with a row taken before them, without their labels."""
    seen: set[str] = set()
    out = []
    for row in rows:
        texts = [v for k, v in row.items() if k != "label"]
        if any(_norm(t) in seen for t in texts):
            continue
        seen.update(_norm(t) for t in texts)
        out.append({k: v for k, v in row.items() if k != "label"})
        if len(out) == n:
            return out
    raise SystemExit(f"{n} training rows asked for, the file has {len(out)} that share no text")


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def check_disjoint(task: str, tests: list[dict], train: list[dict]) -> None:
    """SystemExit if a training question has a text of a test item."""
    seen = {_norm(v) for item in tests for k, v in item.items() if k != "answer"}
    for i, row in enumerate(train):
        shared = [v for v in row.values() if _norm(v) in seen]
        if shared:
            raise SystemExit(f"{task}: training row {i} has a text of a test item: {shared[0]!r}")


def dumps(rows: list[dict]) -> str:
    return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"


def derive(snli_test: Path, snli_train: Path, paws_test: Path, paws_train: Path) -> dict[str, str]:
    """``{path below this folder: file content}`` of the four shipped files."""
    files = {}
    for task, read, labels, test_path, train_path in (
            ("snli", snli_rows, SNLI_LABELS, snli_test, snli_train),
            ("paws", paws_rows, tuple(PAWS_LABELS.values()), paws_test, paws_train)):
        tests = select_tests(read(test_path), labels)
        train = select_train(read(train_path))
        check_disjoint(task, tests, train)
        files[f"{task}/test.en.json"] = dumps(tests)
        files[f"{task}/train.en.json"] = dumps(train)
    return files


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("snli-test", "snli-train", "paws-test", "paws-train"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=HERE, help="the folder written (default: this script's)")
    args = parser.parse_args(argv)
    inputs = (args.snli_test, args.snli_train, args.paws_test, args.paws_train)
    for path in inputs:
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}  (input)")
    for rel, text in derive(*inputs).items():
        target = args.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        print(f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}  {rel}")


if __name__ == "__main__":
    main()
