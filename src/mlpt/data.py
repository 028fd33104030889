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
data from the Hugging Face Hub with ``datasets`` (test sets and the guard stay the shipped files),
at a pinned or resolved commit that the report names. A file without a column the adapter reads
is a :class:`SourceError` naming the column. API-Bank's items are checked like the shipped ones;
in mCoT-MATH's millions of rows, an item whose content is unusable (an empty text, an answer that
is not one number) is left out in every language and counted instead.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from . import io, scoring
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
    """Every file of ``files`` listed in ``resources/SHA256SUMS`` must have the listed SHA-256."""
    sums = resources / CHECKSUMS_FILE
    if not sums.exists():
        raise SourceError(f"{sums}: not found; it lists the checksums of the shipped data "
                          "(set data.verify_checksums: false to read unverified data)")
    expected = {}
    for lineno, line in enumerate(_lines(_read_text(sums)), start=1):
        digest, _, name = line.partition(" ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name.strip():
            raise SourceError(f"{sums}:{lineno}: expected '<sha256>  <path>', got {line!r:.80}")
        expected[name.strip().lstrip("*")] = digest
    for path in files:
        digest = expected.get(path.relative_to(resources).as_posix())
        if digest is not None and io.file_sha256(path) != digest:
            raise SourceError(f"{path}: SHA-256 differs from {sums}: the shipped data was changed (restore it, or set "
                              "data.verify_checksums: false for a deliberate edit)")


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
    """Files of a dataset repository on the Hugging Face Hub, read with ``datasets.load_dataset``.

    ``revision`` is read unless the config pins another (``hub.revisions``); a branch is resolved to
    its commit first, so the report names the exact commit read. ``columns`` are the fields the
    adapter reads: a file without one of them is an error naming it."""

    repo: str
    revision: str
    data_files: tuple[str, ...]
    columns: tuple[str, ...]


def _hub_commit(hub: HubDataset, revision: str) -> str:
    """The commit ``revision`` (a commit, branch or tag) of ``hub.repo`` names."""
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


def _hub_files(hub: HubDataset, spec: dict, report: dict) -> list[tuple[str, object]]:
    """(``hf://`` address, rows) of every data file of ``hub`` at the configured revision; what was
    read (repository, revision, commit, files) goes into ``report["hub"]``."""
    import datasets

    revision = spec.get("hub_revision") or hub.revision
    commit = _hub_commit(hub, revision)
    report["hub"] = {"repo": hub.repo, "revision": revision, "commit": commit, "data_files": list(hub.data_files)}
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
#: column, if the file differs): one row per item and language, ``lang-id`` = "<language>-<item id>" (the item id
#: is shared by the translations of one item), ``question``, ``answer`` = the chain of thought
#: ending with a line that states the final answer ("The answer is: 18" in English, translated in
#: the other languages), optionally preceded by a GSM8K-style "#### 18" line.
MCOT_MATH = HubDataset("laihuiyuan/mCoT-MATH", "main", ("lang-id/mcot-math.json",), ("lang-id", "question", "answer"))
#: Study language -> mCoT-MATH's language prefix in ``lang-id`` (the ISO 639-1 codes of its card).
#: A study language not listed here gets machine translation (the translate stage finds no reference).
MCOT_MATH_LANGUAGES = {code: code for code in ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")}
ITEM_ID = re.compile(r"[A-Za-z0-9_.:-]+")
ENGLISH_ANSWER_LINE = re.compile(r"\s*The answer is:?\s*(.+?)\.?\s*")
GSM8K_ANSWER_LINE = re.compile(r"\s*####")


def files_mcot_math(resources: Path, languages: list[str]) -> list[Path]:
    return _math_test_files(resources, languages)


def _mcot_index(rows, where: str) -> dict[str, dict[str, int]]:
    """{language prefix: {item id: row}} from the ``lang-id`` column."""
    index: dict[str, dict[str, int]] = {}
    for row, key in enumerate(rows["lang-id"]):
        lang, sep, item = key.partition("-") if isinstance(key, str) else ("", "", "")
        if not (lang and sep and ITEM_ID.fullmatch(item)):
            raise SourceError(f"{where}: row {row}: field 'lang-id': expected '<language>-<item id>', got {key!r:.60}")
        first = index.setdefault(lang, {}).setdefault(item, row)
        if first != row:
            raise SourceError(f"{where}: row {row}: field 'lang-id': duplicate of row {first}")
    return index


def _solution_parts(solution: str) -> tuple[str, str]:
    """(chain of thought, final line) of an mCoT-MATH answer; a "#### N" line before the final
    line is dropped (the answer is taught by the prompt phrases, once)."""
    lines = solution.strip().split("\n")
    final = lines.pop().strip()
    while lines and GSM8K_ANSWER_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).strip(), final


def _mcot_versions(rows, item_rows: dict[str, int], forbidden: set[str]) -> tuple[str, dict[str, tuple[str, str]]] | str:
    """(gold answer, {study language: (question, chain of thought)}) of one mCoT-MATH item, or why
    it is left out. ``item_rows``: the item's row per study language, English first: its final
    line gives the gold answer, and every translation's final line must state the same number."""
    answer, versions = None, {}
    for lang, row in item_rows.items():
        question, solution = rows[row]["question"], rows[row]["answer"]
        if not all(isinstance(text, str) and text.strip() for text in (question, solution)):
            return "empty_field"
        if text_hash(question) in forbidden:
            return "overlapping_test"
        reasoning, final = _solution_parts(solution)
        if not reasoning:
            return "no_reasoning"
        if answer is None:
            stated = ENGLISH_ANSWER_LINE.fullmatch(final)
            if stated is None:
                return "no_answer_line"
            answer = scoring.normalize_number(stated.group(1))
            if answer is None:
                return "non_numeric_answer"
        elif not scoring.numbers_equal(scoring.extract_number(final, lang=lang), answer):
            return "answer_line_differs"
        versions[lang] = (question.strip(), reasoning)
    return answer, versions


def prepare_mcot_math(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    """mCoT-MATH's English items as the source records and their translations as references, so the
    translate stage takes the paper's own translations (any backend) instead of MT; MGSM as the test set.

    Items are drawn in a seeded shuffle of the items present in every study language mCoT-MATH has,
    until ``n_val`` + ``n_train`` usable ones are found (the first ``n_val`` are validation). An item
    is left out, in every language, when a text is empty, a question (in any language) is a test
    question, the answer is not one number, a translation states another answer, or its English
    question repeats an earlier one; the report counts each reason."""
    _require_english("mcot_math", source_lang)
    report: dict = {}
    test, test_references, forbidden = _mgsm_test(resources, task, spec["n_test"], languages, source_lang, report)
    ((where, rows),) = _hub_files(MCOT_MATH, spec, report)
    index = _mcot_index(rows, where)
    codes = {lang: MCOT_MATH_LANGUAGES[lang] for lang in [source_lang, *languages] if lang in MCOT_MATH_LANGUAGES}
    absent = [lang for lang, code in codes.items() if code not in index]
    if absent:
        raise SourceError(f"{where}: no rows for language(s) {absent}; field 'lang-id' has the prefixes {sorted(index)}")
    report["languages_by_mt"] = [lang for lang in languages if lang not in codes]
    if report["languages_by_mt"]:
        log.warning("mCoT-MATH has no %s: the translate stage machine-translates them", report["languages_by_mt"])

    items = sorted(set.intersection(*(set(index[code]) for code in codes.values())))
    random.Random(seed).shuffle(items)
    needed, chosen, seen, dropped = spec["n_val"] + spec["n_train"], [], set(), Counter()
    for item in items:
        if len(chosen) == needed:
            break
        found = _mcot_versions(rows, {lang: index[code][item] for lang, code in codes.items()}, forbidden)
        if isinstance(found, str):
            dropped[found] += 1
        elif text_hash(found[1][source_lang][0]) in seen:
            dropped["duplicate_question"] += 1
        else:
            seen.add(text_hash(found[1][source_lang][0]))
            chosen.append((f"mcot-{item}", *found))
    report.update(pool=len(items), checked=len(chosen) + sum(dropped.values()), dropped=dict(dropped))

    def record(rid: str, lang: str, answer: str, question: str, reasoning: str) -> dict:
        return {"id": rid, "task": task, "lang": lang, "split": "train", "question": question, "reasoning": reasoning,
                "answer": answer, "source": "mcot-math"}

    records = _deal([record(rid, source_lang, answer, *versions[source_lang]) for rid, answer, versions in chosen],
                    spec["n_train"], spec["n_val"], report, where)
    split = {r["id"]: r["split"] for r in records}
    references = [dict(record(rid, lang, answer, *text), split=split[rid])
                  for rid, answer, versions in chosen for lang, text in versions.items() if lang != source_lang]
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


def _api_bank_prepared(task: str, spec: dict, seed: int, test: list[dict], training: list[tuple[str, str, dict]],
                       source: Path | str, report: dict) -> Prepared:
    """The API task from its test records and its training items ((id, ``file: item``, item) in the
    training-file schema): ToolSearcher calls (retrieval, not a call to learn), gold calls the
    scorer cannot read and dialogues equal to a test dialogue are left out, counted in the report."""
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
    """Training on API-Bank's level-1 and level-2 training calls from the Hub (the paper's data)."""
    _require_english("api_bank_hub", source_lang)
    test = _api_bank_test(resources, task)
    report: dict = {}
    training = []
    for (where, rows), data_file in zip(_hub_files(API_BANK_TRAIN, spec, report), API_BANK_TRAIN.data_files):
        level = Path(data_file).name.split("-")[0]  # lv1, lv2
        training += [(f"apibank-{level}-{i:05d}", f"{where}: item {i}", row) for i, row in enumerate(rows)]
    return _api_bank_prepared(task, spec, seed, test, training, f"hf://datasets/{API_BANK_TRAIN.repo}", report)


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

    ``spec``: the task's config (``n_train``, ``n_val``, ``n_test``; ``strip_calculator_annotations``) and,
    for a Hub source, ``hub_revision`` (the config's ``hub.revisions`` entry of its repository, if any)."""
    resources = Path(resources)
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
