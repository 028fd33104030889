"""Source adapters: raw data → normalised English records (and existing translations).

Each adapter reads its files under ``resources/`` and returns a :class:`Prepared`:

- ``records``: source-language records of every split (train, val, test), schema ``example``;
- ``references``: existing translations of the same items, aligned by item id: MGSM's human
  translations for the math test split, and with ``mcot_math`` the dataset's own translations of
  the training items; the translation stage uses them instead of MT;
- ``forbidden``: normalised-text hashes of every test item the study must never train on
  (the contamination guard in the mixture stage checks against them);
- ``report``: counts of what was read, dropped and why, and ``test_sets``: per language whether
  its test set is ``human`` or ``machine-translated`` (:func:`origin_of_test_sets`; MGSM test
  sets exist for the languages with a file ``resources/mgsm/mgsm_<code>.tsv``, and the translate
  stage machine-translates the English items for any other language).

Train and validation items are drawn with a seeded shuffle from the training pool, disjoint, and
never contain an item whose normalised text equals a test item's.

Before an adapter runs, every file it reads that ``resources/SHA256SUMS`` lists is checked
against its checksum (``verify_checksums=False`` for a deliberate edit of the shipped data). Bad
input is a :class:`SourceError` naming the file, the line (or item) and the field: text that is
not UTF-8, malformed JSON or YAML, a missing or empty field, a non-numeric gold answer, an empty
test set, a duplicate item, or an MGSM gold answer that differs between languages.

The Hub adapters (``mcot_math``, ``api_bank_hub``; :data:`SOURCES`) read the paper's training
data from the Hugging Face Hub (test sets and the guard stay the shipped files), at a pinned or
resolved commit that the report names. A file without a column the adapter reads is a
:class:`SourceError` naming the column. API-Bank's items (two small JSON files, read with
``datasets``) are checked like the shipped ones, and their pool must be the paper's 3,174 queries
over 1,535 APIs unless the config accepts another (``expect_pool``). mCoT-MATH's file (about
12 GB) is downloaded once and read as a stream (:func:`iter_json_rows`), so memory holds its item
ids, not its text, whether the file is one JSON array or JSON Lines; in its millions of rows, an
item whose content is unusable (an empty text, an answer that is not one number, a translation
whose answer the scorer does not read) is left out in every language and counted instead.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import logging
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from . import io, prompts, scoring
from .yaml_files import safe_load_yaml

log = logging.getLogger(__name__)

#: GSM8K's calculator annotations ``<<48/2=24>>``: the result follows each one in the text itself.
CALC_ANNOTATION = re.compile(r"<<[^>]*>>")
CHECKSUMS_FILE = "SHA256SUMS"  # in the resources folder: "<sha256>  <path relative to the folder>" per line
#: Where a language's test set comes from (:func:`origin_of_test_sets`).
HUMAN, MACHINE_TRANSLATED = "human", "machine-translated"


@dataclass
class Prepared:
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


def _read_text(path: Path) -> str:
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


def _read_jsonl_raw(path: Path) -> list[tuple[str, dict]]:
    """(``file:line``, object) for every line of a JSON Lines file."""
    rows = []
    for lineno, line in enumerate(_lines(_read_text(path)), start=1):
        where = f"{path}:{lineno}"
        rows.append((where, io.json_object(line, where, SourceError)))
    return rows


def _read_json_items(path: Path) -> list[tuple[str, dict]]:
    """(``file: item i``, object) for every item of a JSON file holding a list of objects."""
    try:
        items = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        raise SourceError(f"{path}:{err.lineno}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(items, list):
        raise SourceError(f"{path}: expected a JSON list of items, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceError(f"{path}: item {i}: expected a JSON object, got {type(item).__name__}")
    return [(f"{path}: item {i}", item) for i, item in enumerate(items)]


def _text_field(row: dict, key: str, where: str) -> str:
    """``row[key]``, which must be a non-empty string."""
    if key not in row:
        raise SourceError(f"{where}: field '{key}': missing")
    value = row[key]
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"{where}: field '{key}': expected non-empty text, got {value!r:.80}")
    return value


def _check_unique(keyed: list[tuple[str, object]], field: str) -> None:
    """``keyed``: (where, key) pairs; two equal keys are an error naming both places."""
    first: dict = {}
    for where, key in keyed:
        if key in first:
            raise SourceError(f"{where}: field '{field}': duplicate of {first[key]}")
        first[key] = where


def _check_not_empty(rows: list, path: Path) -> None:
    if not rows:
        raise SourceError(f"{path}: no items in the file")


def _verify_checksums(resources: Path, files: list[Path]) -> None:
    """Every file of ``files`` must be listed in ``resources/SHA256SUMS`` with its SHA-256
    (:func:`mlpt.io.verify_checksums`): an altered file, or one that is read but not listed, stops
    the task before anything is prepared."""
    try:
        io.verify_checksums(resources / CHECKSUMS_FILE, files)
    except io.ChecksumError as err:
        raise SourceError(f"{err} (data.verify_checksums: false reads unverified data)") from None


def _split_pool(pool: list[dict], n_train: int, n_val: int, seed: int, report: dict, source: Path | str) -> list[dict]:
    """Shuffle ``pool`` with the seed and deal it (:func:`_deal`)."""
    pool = list(pool)
    random.Random(seed).shuffle(pool)
    report["pool"] = len(pool)
    return _deal(pool, n_train, n_val, report, source)


def _deal(ordered: list[dict], n_train: int, n_val: int, report: dict, source: Path | str) -> list[dict]:
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


def _require_english(source: str, source_lang: str) -> None:
    if source_lang != "en":
        raise SourceError(f"source {source} provides English training data; source_language is '{source_lang}'")


# --- the Hugging Face Hub: training data read where the Hub can be reached -------------------


@dataclass(frozen=True)
class HubDataset:
    """Files of a dataset repository on the Hugging Face Hub.

    ``revision`` is read unless the config pins another (``hub.revisions``); a branch, tag or short
    commit is resolved to its full commit first, so the report names the exact commit read.
    ``columns`` are the fields the adapter reads: a file without one of them is an error naming it.
    Small files are read with ``datasets.load_dataset`` (:func:`_hub_files`), a large one is
    downloaded and streamed (:func:`_hub_download`, :func:`iter_json_rows`)."""

    repo: str
    revision: str
    data_files: tuple[str, ...]
    columns: tuple[str, ...]


def _hub_commit(hub: HubDataset, revision: str) -> str:
    """The commit ``revision`` (a commit, short commit, branch or tag) of ``hub.repo`` names."""
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    from huggingface_hub import HfApi

    try:
        return HfApi().dataset_info(hub.repo, revision=revision).sha
    except Exception as err:  # the Hub client's network and HTTP errors share no base class
        raise SourceError(_hub_unreachable(hub.repo, err)) from err


def _hub_unreachable(repo: str, err: Exception) -> str:
    return (f"hf://datasets/{repo}: could not be read ({type(err).__name__}: {err}). This source reads the Hugging "
            "Face Hub: run Snakemake where the Hub can be reached (prepare_data runs there, as a local rule), or use "
            "the shipped sources (config/paper-offline.yaml)")


def _hub_resolve(hub: HubDataset, spec: dict, report: dict) -> str:
    """The commit of ``hub`` to read (the configured revision, else the adapter's own), recorded
    with the repository, revision and files in ``report["hub"]``."""
    revision = spec.get("hub_revision") or hub.revision
    commit = _hub_commit(hub, revision)
    report["hub"] = {"repo": hub.repo, "revision": revision, "commit": commit, "data_files": list(hub.data_files)}
    return commit


def _hub_files(hub: HubDataset, spec: dict, report: dict) -> list[tuple[str, object]]:
    """(``hf://`` address, rows) of every data file of ``hub`` at the configured revision, each read
    whole with ``datasets`` (for small files); what was read goes into ``report["hub"]``."""
    import datasets

    commit = _hub_resolve(hub, spec, report)
    files = []
    for data_file in hub.data_files:
        where = f"hf://datasets/{hub.repo}@{commit}/{data_file}"
        try:
            rows = datasets.load_dataset(hub.repo, data_files=data_file, revision=commit, split="train")
        except Exception as err:  # as in _hub_commit
            raise SourceError(_hub_unreachable(hub.repo, err)) from err
        missing = [c for c in hub.columns if c not in rows.column_names]
        if missing:
            raise SourceError(f"{where}: column(s) {missing} missing (the file has {rows.column_names}); "
                              "the adapter reads the schema documented in mlpt.data")
        if not len(rows):
            raise SourceError(f"{where}: no items in the file")
        files.append((where, rows))
    return files


def _hub_download(hub: HubDataset, data_file: str, spec: dict, report: dict) -> tuple[Path, str]:
    """(local path, ``hf://`` address) of one data file of ``hub`` at the configured revision: the
    file is downloaded into the Hugging Face cache once (not converted, not loaded) and read from
    there by the caller; what was read goes into ``report["hub"]``."""
    import huggingface_hub

    commit = _hub_resolve(hub, spec, report)
    try:
        path = huggingface_hub.hf_hub_download(hub.repo, data_file, repo_type="dataset", revision=commit)
    except Exception as err:  # as in _hub_commit
        raise SourceError(_hub_unreachable(hub.repo, err)) from err
    return Path(path), f"hf://datasets/{hub.repo}@{commit}/{data_file}"


# --- reading a large JSON file as a stream, whatever its shape ---------------------------------

#: The longest line a JSON Lines file may have. No row of a math dataset comes near it; a longer
#: line means the file is neither shape :func:`iter_json_rows` reads (one object spanning the
#: whole file, say), and reading on would hold all of it in memory.
MAX_ROW_BYTES = 16 * 2**20
_JSON_SPACE = b" \t\r\n"


def _first_byte(fh) -> bytes:
    """The first byte of an open binary file that is not JSON white space (b"" for none), the file
    left positioned at its start, after a UTF-8 byte-order mark if it has one."""
    start = len(codecs.BOM_UTF8) if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
    fh.seek(start)
    while True:
        byte = fh.read(1)
        if not byte or byte not in _JSON_SPACE:
            break
    fh.seek(start)
    return byte


def _row_object(obj: object, where: str) -> dict:
    if not isinstance(obj, dict):
        raise SourceError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _array_rows(fh, where: str) -> Iterator[tuple[str, dict]]:
    """The objects of a file holding one JSON array, item by item (``ijson``'s C parser)."""
    import ijson

    row = -1
    try:
        for row, obj in enumerate(ijson.items(fh, "item", use_float=True)):
            yield f"{where}: row {row}", _row_object(obj, f"{where}: row {row}")
    except ijson.JSONError as err:
        raise SourceError(f"{where}: not valid JSON after row {row} ({err})") from None


def _json_lines_rows(fh, where: str) -> Iterator[tuple[str, dict]]:
    """The objects of a JSON Lines file, line by line (blank lines skipped), no line longer than
    :data:`MAX_ROW_BYTES`."""
    row = 0
    for lineno, line in enumerate(iter(lambda: fh.readline(MAX_ROW_BYTES + 1), b""), start=1):
        if len(line) > MAX_ROW_BYTES:
            raise SourceError(f"{where}:{lineno}: a line longer than {MAX_ROW_BYTES:,} bytes: the file is neither one "
                              "JSON array nor JSON Lines (one object per line)")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SourceError(f"{where}:{lineno}: not valid JSON ({err}); the file is read as one JSON array or as "
                              "JSON Lines (one object per line)") from None
        yield f"{where}: row {row}", _row_object(obj, f"{where}:{lineno}")
        row += 1


def iter_json_rows(path: str | Path, where: str | None = None) -> Iterator[tuple[str, dict]]:
    """(``<where>: row <i>``, object) for every row of a JSON file, read as a stream whatever its
    shape: one JSON array of objects (read item by item with ``ijson``), or JSON Lines (one object
    per line). Memory holds one row and a read buffer at a time, never the file: ``datasets`` would
    read an array whole, and mCoT-MATH's file is about 12 GB of text. ``where`` names the file in
    messages (default: its path); rows count from 0 in either shape."""
    where = where or str(path)
    with open(path, "rb") as fh:
        if _first_byte(fh) == b"[":
            yield from _array_rows(fh, where)
        else:
            yield from _json_lines_rows(fh, where)


# --- math: English CoT training data (GSM8K or mCoT-MATH) + MGSM test ------------------------

MGSM_SOURCE = "en"  # the language every MGSM version is translated from (GSM8K's test rows 0-249)


def _math_test_files(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "gsm8k/test.jsonl"] + [_mgsm_path(resources, lang) for lang in mgsm_languages(resources, languages)]


def files_gsm8k_mgsm(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "gsm8k/train.jsonl"] + _math_test_files(resources, languages)


def _read_mgsm(path: Path) -> list[tuple[str, str, str]]:
    """(``file:line``, question, canonical answer) per row of an MGSM ``question<TAB>answer`` file."""
    rows = []
    lines = csv.reader(StringIO(_read_text(path), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    for lineno, row in enumerate(lines, start=1):
        where = f"{path}:{lineno}"
        if len(row) != 2:
            raise SourceError(f"{where}: expected 2 tab-separated columns (question, answer), got {len(row)}")
        question, answer = row
        if not question.strip():
            raise SourceError(f"{where}: field 'question' (column 1): empty")
        gold = scoring.normalize_number(answer)
        if gold is None:
            raise SourceError(f"{where}: field 'answer' (column 2): {answer!r:.40} is not a number")
        rows.append((where, question.strip(), gold))
    _check_not_empty(rows, path)
    _check_unique([(where, text_hash(q)) for where, q, _ in rows], "question")
    return rows


def _mgsm_path(resources: Path, lang: str) -> Path:
    return resources / f"mgsm/mgsm_{lang}.tsv"


def mgsm_languages(resources: Path, languages: list[str]) -> list[str]:
    """The languages of ``languages`` whose MGSM test set is read from a human file
    ``mgsm/mgsm_<code>.tsv``: English always (the source of every other version; a missing file is
    an error), any other language when its file exists. A language without one gets no reference,
    so the translate stage machine-translates the English test items for it, and its test set is
    flagged (:func:`origin_of_test_sets`)."""
    return [lang for lang in languages if lang == MGSM_SOURCE or _mgsm_path(resources, lang).exists()]


def _check_mgsm_parallel(resources: Path, mgsm: dict[str, list[tuple[str, str, str]]]) -> None:
    """Every language file has the same items (row-aligned) with the same gold answers."""
    (first_lang, first), *others = mgsm.items()
    for lang, rows in others:
        if len(rows) != len(first):
            raise SourceError(f"{_mgsm_path(resources, lang)}: {len(rows)} items, but {_mgsm_path(resources, first_lang)} "
                              f"has {len(first)} (the language files must be row-aligned)")
        for i, ((where_a, _, gold_a), (where_b, _, gold_b)) in enumerate(zip(first, rows)):
            if gold_a != gold_b:
                raise SourceError(f"MGSM item mgsm-{i:03d}: field 'answer' differs between languages: "
                                  f"{first_lang}={gold_a} ({where_a}), {lang}={gold_b} ({where_b})")


def _mgsm_test(resources: Path, task: str, n_test: int, languages: list[str], source_lang: str,
               report: dict) -> tuple[list[dict], list[dict], set[str]]:
    """The math test split, whatever the training source: MGSM's first ``n_test`` items (the source
    language's as records, the other languages with a human file (:func:`mgsm_languages`) as
    references), and the guard: the hashes of every GSM8K test question (rows 0-249 are MGSM's) and
    every MGSM question in every language read. A language without a human file gets no reference
    (a warning names it): the translate stage machine-translates the English test items for it."""
    forbidden = {text_hash(row["question"]) for _, row in _read_gsm8k(resources / "gsm8k/test.jsonl")}
    mgsm = {lang: _read_mgsm(_mgsm_path(resources, lang)) for lang in mgsm_languages(resources, languages)}
    by_mt = [lang for lang in languages if lang not in mgsm]
    if by_mt:
        log.warning("no human MGSM file (mgsm/mgsm_<code>.tsv) for %s: their test sets are machine-translated from "
                    "English, flagged '%s' in accuracy.csv and Table 1", by_mt, MACHINE_TRANSLATED)
    _check_mgsm_parallel(resources, mgsm)
    forbidden |= {text_hash(q) for rows in mgsm.values() for _, q, _ in rows}
    test, references = [], []
    for lang, rows in mgsm.items():
        for i, (_, question, answer) in enumerate(rows[:n_test]):
            rec = {"id": f"mgsm-{i:03d}", "task": task, "lang": lang, "split": "test", "question": question,
                   "answer": answer, "source": "mgsm"}
            (test if lang == source_lang else references).append(rec)
    report["test"] = min(n_test, len(mgsm[source_lang]))
    return test, references, forbidden


def _gsm8k_record(row: dict, rid: str, where: str, task: str) -> dict:
    question = _text_field(row, "question", where)
    try:
        reasoning, final = _text_field(row, "answer", where).rsplit("####", 1)
    except ValueError:
        raise SourceError(f"{where}: field 'answer': no '#### N' final line") from None
    answer = scoring.normalize_number(final.strip())
    if answer is None:
        raise SourceError(f"{where}: field 'answer': final answer '{final.strip()}' is not a number")
    return {
        "id": rid, "task": task, "lang": "en", "split": "train", "question": question.strip(),
        "reasoning": reasoning.strip(), "answer": answer, "source": "gsm8k",
    }


def _read_gsm8k(path: Path) -> list[tuple[str, dict]]:
    rows = _read_jsonl_raw(path)
    _check_not_empty(rows, path)
    _check_unique([(where, text_hash(_text_field(row, "question", where))) for where, row in rows], "question")
    return rows


def prepare_gsm8k_mgsm(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    _require_english("gsm8k_mgsm", source_lang)
    report: dict = {}
    test, references, forbidden = _mgsm_test(resources, task, spec["n_test"], languages, source_lang, report)
    train_path = resources / "gsm8k/train.jsonl"
    pool, dropped = [], 0
    for i, (where, row) in enumerate(_read_gsm8k(train_path)):
        rec = _gsm8k_record(row, f"gsm8k-train-{i:05d}", where, task)
        if text_hash(rec["question"]) in forbidden:
            dropped += 1
            continue
        pool.append(rec)
    report["dropped_overlapping_test"] = dropped
    records = _split_pool(pool, spec["n_train"], spec["n_val"], seed, report, train_path) + test
    return Prepared(records, references, forbidden, report)


#: mCoT-MATH (Lai & Nissim, ACL 2024): MetaMathQA and MathInstruct chains of thought in 11 languages,
#: machine-translated by the authors; the paper's math training data. Schema (assumed: the dataset
#: card lists no columns; taken from public code that reads the file; the adapter stops, naming the
#: column, if the file differs): one row per item and language, ``lang-id`` = "<language>-<item id>"
#: (the item id is shared by the translations of one item), ``question``, ``answer`` = the solution:
#: a chain of thought that ends by stating the final answer ("The answer is: 18" in English, on its
#: own line; translated in the other languages, where the authors' model writes it at the end of a
#: one-paragraph solution, "La respuesta es 18."). The file is read as a stream, JSON Lines or one
#: JSON array (:func:`iter_json_rows`). Revision: the commit that added ``lang-id/`` ("Upload
#: mcot-math.json"); the Hub resolves the short commit and the report names the full one.
MCOT_MATH = HubDataset("laihuiyuan/mCoT-MATH", "722a05f", ("lang-id/mcot-math.json",), ("lang-id", "question", "answer"))
#: Study language -> mCoT-MATH's language prefix in ``lang-id`` (the ISO 639-1 codes of its card).
#: A study language not listed here gets machine translation (the translate stage finds no reference).
MCOT_MATH_LANGUAGES = {code: code for code in ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")}
ITEM_ID = re.compile(r"[A-Za-z0-9_.:-]+")
#: Where an English mCoT-MATH solution states its answer: the last "The answer is" of its last line.
ENGLISH_ANSWER = re.compile(r"the answer is", re.IGNORECASE)
USABLE = "usable"
#: Why an item's English solution is left out, in the order they are checked (:func:`_english_answer`).
ENGLISH_ANSWER_CHECKS = ("empty_field", "no_answer_line", "no_reasoning", "non_numeric_answer")
#: A language whose solutions the scorer cannot read this often (share of the items checked) is
#: logged: its answer statements are probably not among the answer phrases.
UNREAD_WARNING_SHARE = 0.02


def files_mcot_math(resources: Path, languages: list[str]) -> list[Path]:
    """MGSM and GSM8K test (the test split and the guard), and the prompt phrases: the adapter
    checks that the scorer reads every kept solution's answer with their answer phrases."""
    return _math_test_files(resources, languages) + [resources / prompts.PHRASES_FILE]


def _lang_item(key: object, where: str) -> tuple[str, str]:
    """(language prefix, item id) of an mCoT-MATH ``lang-id`` such as "es-12"."""
    lang, sep, item = key.partition("-") if isinstance(key, str) else ("", "", "")
    if not (lang and sep and ITEM_ID.fullmatch(item)):
        raise SourceError(f"{where}: field 'lang-id': expected '<language>-<item id>', got {key!r:.60}")
    return lang, item


def _english_answer(question: object, solution: object) -> tuple[str, str]:
    """(gold answer, "") of an English mCoT-MATH item, or ("", why it is left out): both texts must
    be non-empty, and the solution's last line must state "The answer is[:] <one number>" after
    some reasoning. So answers in LaTeX (MATH), choices ("(A)", AQuA) and solutions without the
    statement (MathInstruct's programs) are left out: MGSM's answers, and the scorer, are numbers."""
    if not all(isinstance(text, str) and text.strip() for text in (question, solution)):
        return "", "empty_field"
    text = solution.strip()
    statements = list(ENGLISH_ANSWER.finditer(text, text.rfind("\n") + 1))
    if not statements:
        return "", "no_answer_line"
    if not text[: statements[-1].start()].strip():
        return "", "no_reasoning"
    answer = scoring.normalize_number(text[statements[-1].end() :].strip().lstrip(":").strip())
    return (answer, "") if answer is not None else ("", "non_numeric_answer")


@dataclass
class _McotIndex:
    """One read of mCoT-MATH's file, in memory that grows with its number of items, not with their
    text: the bit of each language prefix, and per item id the bits of the languages that have a
    row and the check of its English solution (:data:`USABLE` or why it is left out)."""

    bits: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    english: dict[str, str] = field(default_factory=dict)

    def items_in(self, prefixes: Iterable[str]) -> list[str]:
        """The item ids with a row in every one of ``prefixes``, sorted."""
        wanted = sum(self.bits[prefix] for prefix in set(prefixes))
        return sorted(item for item, have in self.languages.items() if have & wanted == wanted)


def _index_mcot(rows: Iterable[tuple[str, dict]], source_prefix: str) -> _McotIndex:
    """Read every row once: check its columns and ``lang-id`` (a repeated one is an error), and
    check each English solution (:func:`_english_answer`)."""
    index = _McotIndex()
    for where, row in rows:
        missing = [column for column in MCOT_MATH.columns if column not in row]
        if missing:
            raise SourceError(f"{where}: column(s) {missing} missing (the row has {sorted(row)}); the adapter reads "
                              "the schema documented in mlpt.data")
        lang, item = _lang_item(row["lang-id"], where)
        bit = index.bits.setdefault(lang, 1 << len(index.bits))
        have = index.languages.get(item, 0)
        if have & bit:
            raise SourceError(f"{where}: field 'lang-id': {row['lang-id']!r} repeats an earlier row")
        index.languages[item] = have | bit
        if lang == source_prefix:
            index.english[item] = _english_answer(row["question"], row["answer"])[1] or USABLE
    return index


def _answer_filter(pool: list[str], english: dict[str, str]) -> dict:
    """What the numeric-answer check does to the whole pool: its items counted by the check of their
    English solution, and the share it keeps (the paper states no such filter; see PROVENANCE.md)."""
    counts = Counter(english[item] for item in pool)
    found = {reason: counts[reason] for reason in (USABLE, *ENGLISH_ANSWER_CHECKS)}
    return {"pool": len(pool), **found, "usable_share": round(found[USABLE] / len(pool), 4) if pool else 0.0}


def _mcot_texts(rows: Iterable[tuple[str, dict]], items: set[str], prefixes: set[str]) -> dict[str, dict[str, tuple]]:
    """{item id: {language prefix: (question, answer)}} of ``items`` in ``prefixes``: one more read
    of the file, keeping only those rows."""
    found: dict[str, dict[str, tuple]] = {}
    for _, row in rows:
        lang, _, item = row["lang-id"].partition("-")
        if item in items and lang in prefixes:
            found.setdefault(item, {})[lang] = (row["question"], row["answer"])
    return found


def _mcot_versions(texts: dict[str, tuple], codes: dict[str, str], source_lang: str, forbidden: set[str],
                   answer_phrases: list[str], unread: Counter) -> tuple[str, dict[str, tuple[str, str]]] | str:
    """(gold answer, {study language: (question, solution)}) of one mCoT-MATH item whose English
    solution is usable, or why it is left out: a text is empty, a question (in any language) is a
    test question, or the scorer, reading a solution as it reads a model's answer (the answer
    phrases of every language, then the last number), does not find the gold answer in it (counted
    per language in ``unread``). The solutions are kept as the dataset writes them, final answer
    statement included."""
    answer, _ = _english_answer(*texts[codes[source_lang]])
    versions = {}
    for lang, code in codes.items():
        question, solution = texts[code]
        if not all(isinstance(text, str) and text.strip() for text in (question, solution)):
            return "empty_field"
        if text_hash(question) in forbidden:
            return "overlapping_test"
        if not scoring.numbers_equal(scoring.extract_number(solution, answer_phrases, lang), answer):
            unread[lang] += 1
            return "answer_not_read"
        versions[lang] = (question.strip(), solution.strip())
    return answer, versions


def _draw_mcot(order: list[str], english: dict[str, str], needed: int, source_lang: str,
               read_texts: Callable[[set[str]], dict[str, dict[str, tuple]]],
               versions: Callable[[dict[str, tuple]], tuple | str]) -> tuple[list, Counter, int, int]:
    """Walk ``order`` until ``needed`` usable items are found: (chosen (item, gold, versions),
    dropped reasons, items checked, reads of the file). The texts of the next span of items whose
    English solution is usable are read in one pass (``read_texts``), a span holding what is still
    needed plus a margin; another pass follows only if too many of them are left out. The outcome
    does not depend on the span sizes: items are checked in ``order`` and the walk stops at the
    ``needed``-th usable one."""
    chosen, dropped, seen = [], Counter(), set()
    position = reads = 0
    while len(chosen) < needed and position < len(order):
        want = (needed - len(chosen)) * 11 // 10 + 100
        end = position
        while end < len(order) and want > 0:
            want -= english[order[end]] == USABLE
            end += 1
        texts = read_texts({item for item in order[position:end] if english[item] == USABLE})
        reads += 1
        for item in order[position:end]:
            position += 1
            found = versions(texts[item]) if english[item] == USABLE else english[item]
            if isinstance(found, str):
                dropped[found] += 1
                continue
            question = text_hash(found[1][source_lang][0])
            if question in seen:
                dropped["duplicate_question"] += 1
                continue
            seen.add(question)
            chosen.append((item, *found))
            if len(chosen) == needed:
                break
    return chosen, dropped, position, reads


def prepare_mcot_math(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    """mCoT-MATH's English items as the source records and their translations as references, so the
    translate stage takes the paper's own translations (any backend) instead of MT; MGSM as the test set.

    Every record's ``reasoning`` is the dataset's solution as it is, its own final answer statement
    included (``answer_stated``: training teaches exactly that text, :func:`mlpt.prompts.render_response`).
    Items are drawn in a seeded shuffle of the items present in every study language mCoT-MATH has,
    until ``n_val`` + ``n_train`` usable ones are found (the first ``n_val`` are validation). An item
    is left out, in every language, when a text is empty, its English solution does not end by
    stating one number, a question (in any language) is a test question, the scorer does not read
    the answer in one of its solutions, or its English question repeats an earlier one; the report
    counts each reason among the items checked (``dropped``; the unread answers also per language,
    ``answer_not_read``, and a language above :data:`UNREAD_WARNING_SHARE` is logged), and what the
    English answer check does to the whole pool (``answer_filter``).

    The file is read as a stream (:func:`iter_json_rows`): once to index item ids and check the
    English solutions, then once more (rarely twice) for the texts of the items drawn; the report
    gives the number of reads (``file_reads``)."""
    _require_english("mcot_math", source_lang)
    report: dict = {}
    test, test_references, forbidden = _mgsm_test(resources, task, spec["n_test"], languages, source_lang, report)
    answer_phrases = prompts.answer_phrases(prompts.load_phrases(resources / prompts.PHRASES_FILE))
    path, where = _hub_download(MCOT_MATH, MCOT_MATH.data_files[0], spec, report)
    codes = {lang: MCOT_MATH_LANGUAGES[lang] for lang in [source_lang, *languages] if lang in MCOT_MATH_LANGUAGES}
    index = _index_mcot(iter_json_rows(path, where), codes[source_lang])
    absent = [lang for lang, code in codes.items() if code not in index.bits]
    if absent:
        raise SourceError(f"{where}: no rows for language(s) {absent}; field 'lang-id' has the prefixes {sorted(index.bits)}")
    report["languages_by_mt"] = [lang for lang in languages if lang not in codes]
    if report["languages_by_mt"]:
        log.warning("mCoT-MATH has no %s: the translate stage machine-translates them", report["languages_by_mt"])

    order = index.items_in(codes.values())
    report["answer_filter"] = _answer_filter(order, index.english)
    random.Random(seed).shuffle(order)
    unread: Counter = Counter()
    chosen, dropped, checked, reads = _draw_mcot(
        order, index.english, spec["n_val"] + spec["n_train"], source_lang,
        lambda items: _mcot_texts(iter_json_rows(path, where), items, set(codes.values())),
        lambda texts: _mcot_versions(texts, codes, source_lang, forbidden, answer_phrases, unread))
    report.update(pool=len(order), checked=checked, dropped=dict(dropped), file_reads=1 + reads,
                  answer_not_read=dict(unread))
    for lang, n in unread.items():
        if n > UNREAD_WARNING_SHARE * checked:
            log.warning("mCoT-MATH: the scorer does not read the answer of %d of %d %s solutions checked: compare the "
                        "dataset's final statements with answer_phrases in %s", n, checked, lang, prompts.PHRASES_FILE)

    def record(rid: str, lang: str, answer: str, question: str, solution: str) -> dict:
        return {"id": rid, "task": task, "lang": lang, "split": "train", "question": question, "reasoning": solution,
                "answer_stated": True, "answer": answer, "source": "mcot-math"}

    records = _deal([record(f"mcot-{item}", source_lang, answer, *versions[source_lang])
                     for item, answer, versions in chosen], spec["n_train"], spec["n_val"], report, where)
    split = {r["id"]: r["split"] for r in records}
    references = [dict(record(f"mcot-{item}", lang, answer, *text), split=split[f"mcot-{item}"])
                  for item, answer, versions in chosen for lang, text in versions.items() if lang != source_lang]
    return Prepared(records + test, references + test_references, forbidden, report)


# --- API calling: API-Bank level-1 test + training calls (level-3 shipped, level-1/2 on the Hub)

API_REQUEST = re.compile(r"API-Request:\s*\[(.*)\]\s*$", re.S)
API_BANK_TEST = Path("api_bank/test-data/level-1-api.json")
#: API-Bank's level-1 and level-2 training calls (the paper's 3,174 queries), moved from the
#: authors' GitHub repository to the Hub. Schema: a JSON list of {``instruction``, ``input``,
#: ``output``}, as the shipped level-3 training file: ``input`` holds the API descriptions (one
#: JSON object per line) and the dialogue, ``output`` the gold "API-Request: [Name(key='v')]".
API_BANK_TRAIN = HubDataset("liminghao1630/API-Bank", "12e8158b7628c168f07e8f31fbbe3445e99f44cf",
                            ("training-data/lv1-api-train.json", "training-data/lv2-api-train.json"), ("input", "output"))


def files_api_bank(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / API_BANK_TEST, resources / "api_bank/training-data/lv3-api-train.json"]


def files_api_bank_hub(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / API_BANK_TEST]


def _split_descriptions(text: str) -> tuple[str, str]:
    """Separate JSON API-description lines from the dialogue lines."""
    apis, dialogue = [], []
    for line in text.strip().splitlines():
        (apis if line.startswith("{") and line.rstrip().endswith("}") else dialogue).append(line)
    return "\n".join(apis), "\n".join(dialogue)


#: The date/time line of an API-Bank instruction: "The current year is 2023." (level-1 test),
#: "The current time is 2039-03-09 18:56:09 Wednesday." (level-1/2 training). Level-3's unfilled
#: "{{time}}" placeholder is no date.
API_DATE_LINE = re.compile(r"^The current (?:year|time) is (?!\{\{)[^\n]*\S\.$", re.M)


def api_date_line(instruction: str) -> str:
    """The date/time line of an API-Bank item's ``instruction``, or "" when it states none. Gold
    calls use it (33 of the 399 level-1 calls hold a "2023" that no dialogue mentions), so the
    prompt keeps it, untranslated."""
    match = API_DATE_LINE.search(instruction)
    return match.group(0) if match else ""


def _api_record(rid: str, task: str, split: str, apis: str, dialogue: str, output: str, where: str,
                date: str = "") -> dict | None:
    """The record of one API-Bank item; None if its gold call does not parse. ``apis`` and
    ``dialogue`` come from the item's fields, checked non-empty by the caller; ``date`` is its
    instruction's date line (:func:`api_date_line`), kept when there is one."""
    match = API_REQUEST.search(output.strip())
    call_text = match.group(1) if match else output
    canonical = scoring.canonical_call(call_text)
    if canonical is None:
        return None
    dialogue = re.sub(r"\s*Generate API Request:\s*$", "", dialogue.strip())
    if not dialogue:
        raise SourceError(f"{where}: field 'input': no dialogue before 'Generate API Request:'")
    return {"id": rid, "task": task, "lang": "en", "split": split, "question": dialogue, "apis": apis,
            **({"date": date} if date else {}), "call": call_text.strip(), "answer": canonical, "source": "api-bank"}


def _api_bank_test(resources: Path, task: str) -> list[dict]:
    """API-Bank's level-1 API-call test set (the paper's 399 items over 49 APIs)."""
    test_path = resources / API_BANK_TEST
    test_items = _read_json_items(test_path)
    _check_not_empty(test_items, test_path)
    # Items are identified by their source dialogue file and turn; the same content may recur.
    _check_unique([(where, (item.get("file"), str(item["id"]))) for where, item in test_items if "id" in item], "file+id")
    test = []
    for i, (where, item) in enumerate(test_items):
        instruction = _text_field(item, "instruction", where)
        _, block, apis = instruction.partition("API descriptions:")
        if not block or not apis.strip():
            raise SourceError(f"{where}: field 'instruction': no 'API descriptions:' block")
        output = _text_field(item, "expected_output", where)
        rec = _api_record(f"apibank-l1-{i:03d}", task, "test", apis.strip(), _text_field(item, "input", where), output,
                          where, date=api_date_line(instruction))
        if rec is None:
            raise SourceError(f"{where}: field 'expected_output': gold call does not parse: {output!r:.80}")
        test.append(rec)
    return test


#: The paper's API training pool: 3,174 queries over 1,535 APIs, its 150 validation queries
#: included (the level-1 test set is 399 queries over 49 APIs, counted the same way: distinct API
#: names of the gold calls). ``api_bank_hub`` must find exactly this pool (:func:`_check_pool`).
PAPER_API_POOL = {"queries": 3174, "apis": 1535}


def _check_pool(found: dict, expected: dict | None, task: str, source: Path | str, dropped: dict) -> None:
    """Stop unless the training pool ``found`` ({queries, apis}, after the adapter's filtering) is
    the one ``expected`` (None: no expectation), naming both and the key that accepts another."""
    if expected is None or found == expected:
        return
    left_out = ", ".join(f"{n} {reason}" for reason, n in dropped.items())
    whose = " (the paper's pool)" if expected == PAPER_API_POOL else f" (tasks.{task}.expect_pool)"
    raise SourceError(
        f"{source}: the API training pool has {found['queries']:,} queries over {found['apis']:,} APIs (after leaving "
        f"out {left_out}), but {expected['queries']:,} queries over {expected['apis']:,} APIs are expected{whose}. "
        f"Check the revision read; to train on this pool, set tasks.{task}.expect_pool: "
        f"{{queries: {found['queries']}, apis: {found['apis']}}}")


def _api_bank_prepared(task: str, spec: dict, seed: int, test: list[dict], training: list[tuple[str, str, dict]],
                       source: Path | str, report: dict, expected_pool: dict | None = None) -> Prepared:
    """The API task from its test records and its training items ((id, ``file: item``, item) in the
    training-file schema): ToolSearcher calls (retrieval, not a call to learn), gold calls the
    scorer cannot read and dialogues equal to a test dialogue are left out, counted in the report.
    The pool left must be ``spec["expect_pool"]`` if the config sets one, else ``expected_pool``
    (queries and distinct API names; None: any pool), or preparation stops naming both."""
    forbidden = {text_hash(r["question"]) for r in test}
    pool, dropped = [], {"tool_searcher": 0, "malformed": 0, "overlapping_test": 0}
    for rid, where, item in training:
        output = _text_field(item, "output", where)
        if "ToolSearcher(" in output:
            dropped["tool_searcher"] += 1
            continue
        apis, dialogue = _split_descriptions(_text_field(item, "input", where))
        instruction = item.get("instruction")
        rec = _api_record(rid, task, "train", apis, dialogue, output, where,
                          date=api_date_line(instruction) if isinstance(instruction, str) else "")
        if rec is None:
            dropped["malformed"] += 1
            continue
        if not apis:
            raise SourceError(f"{where}: field 'input': no API descriptions (lines holding one JSON object)")
        if text_hash(rec["question"]) in forbidden:
            dropped["overlapping_test"] += 1
            continue
        pool.append(rec)
    report.update(dropped=dropped, apis=len({r["call"].split("(")[0] for r in pool}))
    expected = spec.get("expect_pool") or expected_pool
    _check_pool({"queries": len(pool), "apis": report["apis"]}, expected, task, source, dropped)
    if expected is not None:
        report["expected_pool"] = dict(expected)
    records = _split_pool(pool, spec["n_train"], spec["n_val"], seed, report, source)
    records += test[: spec["n_test"]]
    report["test"] = min(spec["n_test"], len(test))
    return Prepared(records, [], forbidden, report)


def prepare_api_bank(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    """Training on the shipped level-3 calls (the offline substitute for the paper's level-1/2 calls)."""
    _require_english("api_bank", source_lang)
    test = _api_bank_test(resources, task)
    train_path = resources / "api_bank/training-data/lv3-api-train.json"
    training = [(f"apibank-l3-{i:03d}", where, item) for i, (where, item) in enumerate(_read_json_items(train_path))]
    return _api_bank_prepared(task, spec, seed, test, training, train_path, {})


def prepare_api_bank_hub(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str,
                         seed: int) -> Prepared:
    """Training on API-Bank's level-1 and level-2 training calls from the Hub (the paper's data); the
    pool must be the paper's (:data:`PAPER_API_POOL`) unless ``expect_pool`` accepts another."""
    _require_english("api_bank_hub", source_lang)
    test = _api_bank_test(resources, task)
    report: dict = {}
    training = []
    for (where, rows), data_file in zip(_hub_files(API_BANK_TRAIN, spec, report), API_BANK_TRAIN.data_files):
        level = Path(data_file).name.split("-")[0]  # lv1, lv2
        training += [(f"apibank-{level}-{i:05d}", f"{where}: item {i}", row) for i, row in enumerate(rows)]
    return _api_bank_prepared(task, spec, seed, test, training, f"hf://datasets/{API_BANK_TRAIN.repo}", report,
                              expected_pool=PAPER_API_POOL)


# --- positive control: synthetic one-step addition problems in every language ----------------


MAX_OPERAND = 9
TEMPLATE_FIELDS = {"name", "item", "a", "b"}  # placeholders a template may use; {a} and {b} are required


def files_synthetic_arithmetic(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "control/templates.yaml"]


def prepare_synthetic_arithmetic(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str,
                                 seed: int) -> Prepared:
    """Parallel word problems from ``resources/control/templates.yaml``.

    A problem is an operand pair (a, b), 1 <= a, b <= ``MAX_OPERAND``, rendered with one template.
    All (a, b, template) combinations are shuffled with the seed and dealt to test, val and train
    in that order, so no test problem (operands *and* template) is ever trained on, while the
    addition facts themselves can be learned from other wordings. Names and objects are drawn per
    item and are the same in every language: item k is one problem in 11 renderings. The source
    language's records are the task data; the others are supplied as references, the same path
    human translations (MGSM) take."""
    table = _read_templates(resources / "control/templates.yaml", languages)
    n_templates, n_names, n_items = (len(table[languages[0]][key]) for key in ("templates", "names", "items"))

    rng = random.Random(seed)
    combos = [(a, b, t) for a in range(1, MAX_OPERAND + 1) for b in range(1, MAX_OPERAND + 1) for t in range(n_templates)]
    rng.shuffle(combos)
    sizes = {"test": spec["n_test"], "val": spec["n_val"], "train": spec["n_train"]}
    if sum(sizes.values()) > len(combos):
        raise SourceError(f"n_train + n_val + n_test = {sum(sizes.values())} exceeds the {len(combos)} distinct problems")
    records, references, start = [], [], 0
    for split in ("test", "val", "train"):
        for i, (a, b, t) in enumerate(combos[start : start + sizes[split]]):
            n, o = rng.randrange(n_names), rng.randrange(n_items)
            for lang in languages:
                entry = table[lang]
                question = entry["templates"][t].format(name=entry["names"][n], item=entry["items"][o], a=a, b=b)
                rec = {"id": f"ctrl-{split}-{i:04d}", "task": task, "lang": lang, "split": split, "question": question,
                       "reasoning": f"{a} + {b} = {a + b}.", "answer": str(a + b), "source": "synthetic-control"}
                (records if lang == source_lang else references).append(rec)
        start += sizes[split]
    forbidden = {text_hash(r["question"]) for r in records + references if r["split"] == "test"}
    report = dict(sizes, distinct_problems=len(combos))
    return Prepared(records, references, forbidden, report)


def _read_templates(path: Path, languages: list[str]) -> dict[str, dict]:
    """The ``languages`` table of the control templates file, checked: for every language non-empty
    ``templates``, ``names`` and ``items`` lists of texts, equally long in every language, and
    distinct templates that use only the known placeholders, {a} and {b} among them."""
    import string

    import yaml

    try:
        doc = safe_load_yaml(_read_text(path))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SourceError(f"{path}{line}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
    table = doc.get("languages") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise SourceError(f"{path}: field 'languages': missing" + (" (the file is empty)" if doc is None else ""))
    missing = [lang for lang in languages if lang not in table]
    if missing:
        raise SourceError(f"{path}: field 'languages': no templates for languages {missing}")
    for lang in languages:
        for key in ("templates", "names", "items"):
            field = f"languages/{lang}/{key}"
            values = table[lang].get(key) if isinstance(table[lang], dict) else None
            if not values or not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise SourceError(f"{path}: field '{field}': expected a non-empty list of texts, got {values!r:.80}")
            first = f"languages/{languages[0]}/{key}"
            if len(values) != len(table[languages[0]][key]):
                raise SourceError(f"{path}: field '{field}': {len(values)} entries, but '{first}' has "
                                  f"{len(table[languages[0]][key])} (the languages must be parallel)")
        for i, template in enumerate(table[lang]["templates"]):
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
            except ValueError as err:
                used = {f"malformed: {err}"}
            if not {"a", "b"} <= used <= TEMPLATE_FIELDS:
                raise SourceError(f"{path}: field 'languages/{lang}/templates/{i}': placeholders {sorted(used)}; "
                                  f"expected {{a}} and {{b}}, optionally {{name}} and {{item}}")
        _check_unique([(f"{path}: languages/{lang}/templates/{i}", t) for i, t in enumerate(table[lang]["templates"])],
                      "template")
    return table


def _no_human_tests(resources: Path, languages: list[str]) -> list[str]:
    return []


def control_languages(resources: Path, languages: list[str]) -> list[str]:
    """Every language: the control task's test items are written from its templates in each one.
    The templates file is read and checked here, so a language without templates is an error when
    the workflow is planned, not when prepare_data runs."""
    _read_templates(resources / "control/templates.yaml", languages)
    return list(languages)


@dataclass(frozen=True)
class Source:
    """A data adapter: the shipped files it reads (checksummed before it runs), the function that
    prepares the task, the Hub dataset it reads its training data from (None: shipped data only),
    and the languages whose test items it supplies in a human version, as records or references
    (the others' test sets are machine-translated; :func:`origin_of_test_sets`)."""

    files: Callable[[Path, list[str]], list[Path]]
    prepare: Callable[..., Prepared]
    hub: HubDataset | None = None
    human_tests: Callable[[Path, list[str]], list[str]] = _no_human_tests


SOURCES = {
    "gsm8k_mgsm": Source(files_gsm8k_mgsm, prepare_gsm8k_mgsm, human_tests=mgsm_languages),
    "mcot_math": Source(files_mcot_math, prepare_mcot_math, MCOT_MATH, human_tests=mgsm_languages),
    "api_bank": Source(files_api_bank, prepare_api_bank),
    "api_bank_hub": Source(files_api_bank_hub, prepare_api_bank_hub, API_BANK_TRAIN),
    "synthetic_arithmetic": Source(files_synthetic_arithmetic, prepare_synthetic_arithmetic,
                                   human_tests=control_languages),
}


#: The sources whose training pool ``expect_pool`` can check (queries over distinct APIs).
POOL_SOURCES = {"api_bank", "api_bank_hub"}


def source_files(source: str, resources: str | Path, languages: list[str]) -> list[str]:
    return [str(p) for p in SOURCES[source].files(Path(resources), languages)]


def hub_dataset(source: str) -> HubDataset | None:
    """The Hub dataset ``source`` reads (prepare_data must then run where the Hub can be reached)."""
    return SOURCES[source].hub


def origin_of_test_sets(source: str, resources: str | Path, languages: list[str], source_lang: str) -> dict[str, str]:
    """Where each language's test set comes from, known before any job runs: :data:`HUMAN` for the
    source language's own items and for a human translation the adapter supplies as a reference
    (MGSM's files), :data:`MACHINE_TRANSLATED` for a language without one, whose test items the
    translate stage machine-translates from the source language with the task's MT backend
    (records ``source: mt:<src>-><lang>``; test records are never dropped by QC)."""
    human = set(SOURCES[source].human_tests(Path(resources), languages))
    return {lang: HUMAN if lang == source_lang or lang in human else MACHINE_TRANSLATED for lang in languages}


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


def _check_test_origins(prepared: Prepared, source: str, resources: Path, languages: list[str],
                        source_lang: str) -> dict[str, str]:
    """:func:`origin_of_test_sets`, checked against what the adapter wrote: the languages it calls
    human must be exactly those with test references (the workflow flags test sets from the same
    function before the data exist, so the two must never disagree)."""
    origins = origin_of_test_sets(source, resources, languages, source_lang)
    referenced = {r["lang"] for r in prepared.references if r["split"] == "test"}
    declared = {lang for lang, origin in origins.items() if origin == HUMAN and lang != source_lang}
    if referenced != declared:
        raise RuntimeError(f"source '{source}': human test sets declared for {sorted(declared)}, but the adapter "
                           f"wrote test references for {sorted(referenced)}")
    return origins


def prepare(source: str, resources: str | Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int,
            verify_checksums: bool = True) -> Prepared:
    """Read the files of ``source`` under ``resources`` (checksums verified unless told otherwise).

    ``spec``: the task's config (``n_train``, ``n_val``, ``n_test``; ``strip_calculator_annotations``;
    ``expect_pool`` for an API-Bank source) and, for a Hub source, ``hub_revision`` (the config's
    ``hub.revisions`` entry of its repository, if any)."""
    resources = Path(resources)
    if spec.get("expect_pool") is not None and source not in POOL_SOURCES:
        raise SourceError(f"tasks.{task}.expect_pool: only the API-Bank sources {sorted(POOL_SOURCES)} have a pool of "
                          f"queries over APIs to check; source '{source}' has none")
    files = [Path(p) for p in source_files(source, resources, languages)]
    for path in files:
        if not path.exists():
            raise SourceError(f"source '{source}' needs {path}, which does not exist")
    if verify_checksums:
        _verify_checksums(resources, files)
    prepared = SOURCES[source].prepare(resources, task, spec, languages, source_lang, seed)
    prepared.report["test_sets"] = _check_test_origins(prepared, source, resources, languages, source_lang)
    if spec.get("strip_calculator_annotations"):
        prepared.report["calculator_annotations_stripped"] = strip_calculator_annotations(
            prepared.records + prepared.references)
    return prepared
