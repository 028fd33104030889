"""What every adapter shares: the :class:`Prepared` result and :class:`SourceError`, the text hash
of the contamination guard, readers of the shipped files, the checksum check, and the split of a
training pool.

Bad input is a :class:`SourceError` naming the file, the line (or item) and the field: text that is
not UTF-8, malformed JSON or YAML, a missing or empty field, a non-numeric gold answer, an empty
test set, a duplicate item. Train and validation items are drawn with a seeded shuffle from the
training pool (:func:`split_pool`), disjoint, and never contain an item whose normalised text
equals a test item's.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import io

#: GSM8K's calculator annotations ``<<48/2=24>>``: the result follows each one in the text itself.
CALC_ANNOTATION = re.compile(r"<<[^>]*>>")
CHECKSUMS_FILE = "SHA256SUMS"  # in the resources folder: "<sha256>  <path relative to the folder>" per line
#: Where a language's test set comes from (:func:`mlpt.data.origin_of_test_sets`).
HUMAN, MACHINE_TRANSLATED = "human", "machine-translated"


@dataclass
class Prepared:
    """What an adapter returns (see :mod:`mlpt.data`): records, references, the guard's hashes, the report."""

    records: list[dict]
    references: list[dict] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    report: dict = field(default_factory=dict)


class SourceError(ValueError):
    """A malformed source file: names the file and the line or item."""


def normalise_text(text: str) -> str:
    """Case-, space- and punctuation-insensitive form of a text, for contamination checks."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode()).hexdigest()[:16]


# --- reading shipped files: every error names the file, the line or item, and the field ------


def read_text(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 are an error naming the line and column."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = raw.count(b"\n", 0, err.start) + 1, err.start - raw.rfind(b"\n", 0, err.start)
        raise SourceError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x} at column {column})") from None


def _lines(text: str) -> list[str]:
    """Lines split at line feeds only (JSON text may hold other Unicode line separators)."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def read_jsonl_raw(path: Path) -> list[tuple[str, dict]]:
    """(``file:line``, object) for every line of a JSON Lines file."""
    rows = []
    for lineno, line in enumerate(_lines(read_text(path)), start=1):
        where = f"{path}:{lineno}"
        rows.append((where, io.json_object(line, where, SourceError)))
    return rows


def read_json_items(path: Path) -> list[tuple[str, dict]]:
    """(``file: item i``, object) for every item of a JSON file holding a list of objects."""
    try:
        items = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise SourceError(f"{path}:{err.lineno}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(items, list):
        raise SourceError(f"{path}: expected a JSON list of items, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceError(f"{path}: item {i}: expected a JSON object, got {type(item).__name__}")
    return [(f"{path}: item {i}", item) for i, item in enumerate(items)]


def text_field(row: dict, key: str, where: str) -> str:
    """``row[key]``, which must be a non-empty string."""
    if key not in row:
        raise SourceError(f"{where}: field '{key}': missing")
    value = row[key]
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"{where}: field '{key}': expected non-empty text, got {value!r:.80}")
    return value


def check_unique(keyed: list[tuple[str, object]], field: str) -> None:
    """``keyed``: (where, key) pairs; two equal keys are an error naming both places."""
    first: dict = {}
    for where, key in keyed:
        if key in first:
            raise SourceError(f"{where}: field '{field}': duplicate of {first[key]}")
        first[key] = where


def check_not_empty(rows: list, path: Path) -> None:
    if not rows:
        raise SourceError(f"{path}: no items in the file")


def verify_checksums(resources: Path, files: list[Path]) -> None:
    """Every file of ``files`` must be listed in ``resources/SHA256SUMS`` with its SHA-256
    (:func:`mlpt.io.verify_checksums`): an altered file, or one that is read but not listed, stops
    the task before anything is prepared."""
    try:
        io.verify_checksums(resources / CHECKSUMS_FILE, files)
    except io.ChecksumError as err:
        raise SourceError(f"{err} (data.verify_checksums: false reads unverified data)") from None


def split_pool(pool: list[dict], n_train: int, n_val: int, seed: int, report: dict, source: Path | str) -> list[dict]:
    """Shuffle ``pool`` with the seed and deal it (:func:`deal`)."""
    pool = list(pool)
    random.Random(seed).shuffle(pool)
    report["pool"] = len(pool)
    return deal(pool, n_train, n_val, report, source)


def deal(ordered: list[dict], n_train: int, n_val: int, report: dict, source: Path | str) -> list[dict]:
    """The first ``n_val`` items of ``ordered`` are validation, the next ``n_train`` training (fewer:
    a warning in the report)."""
    if len(ordered) < n_val + 1:
        raise SourceError(f"{source}: the training pool has {len(ordered)} usable items, fewer than n_val={n_val} + 1")
    val, train = ordered[:n_val], ordered[n_val : n_val + n_train]
    report.update(train=len(train), val=len(val), n_train_requested=n_train)
    if len(train) < n_train:
        report["warning"] = f"n_train={n_train} requested but only {len(train)} training items are available"
    for rec in val:
        rec["split"] = "val"
    for rec in train:
        rec["split"] = "train"
    return sorted(val, key=lambda r: r["id"]) + sorted(train, key=lambda r: r["id"])


def require_english(source: str, source_lang: str) -> None:
    if source_lang != "en":
        raise SourceError(f"source {source} provides English training data; source_language is '{source_lang}'")


def strip_calculator_annotations(records: list[dict]) -> int:
    """Remove GSM8K's calculator annotations from every record's ``reasoning`` (in place): "sold
    48/2 = <<48/2=24>>24 clips" becomes "sold 48/2 = 24 clips", a whole sentence for MT and a
    plain chain of thought to learn. The final answer is a field of its own and is not touched.
    Returns how many records changed."""
    changed = 0
    for rec in records:
        if CALC_ANNOTATION.search(rec.get("reasoning", "")):
            rec["reasoning"] = CALC_ANNOTATION.sub("", rec["reasoning"])
            changed += 1
    return changed
