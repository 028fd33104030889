"""The math task on shipped data: GSM8K's English training items (translated by MT), and the math
test split both math adapters share (:func:`mgsm_test`).

The test split is MGSM's: a language's test set is human when a file ``resources/mgsm/mgsm_<code>.tsv``
exists (:func:`mgsm_languages`); for any other language the translate stage machine-translates the
English items. The guard holds every GSM8K test question and every MGSM question read. An MGSM gold
answer that differs between languages is a :class:`SourceError`.
"""

from __future__ import annotations

import csv
import logging
from io import StringIO
from pathlib import Path

from .. import scoring
from .common import (MACHINE_TRANSLATED, Prepared, SourceError, check_not_empty, check_unique, read_jsonl_raw,
                     read_text, require_english, split_pool, text_field, text_hash)

log = logging.getLogger(__name__)

MGSM_SOURCE = "en"  # the language every MGSM version is translated from (GSM8K's test rows 0-249)


def math_test_files(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "gsm8k/test.jsonl"] + [_mgsm_path(resources, lang) for lang in mgsm_languages(resources, languages)]


def files_gsm8k_mgsm(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "gsm8k/train.jsonl"] + math_test_files(resources, languages)


def _read_mgsm(path: Path) -> list[tuple[str, str, str]]:
    """(``file:line``, question, canonical answer) per row of an MGSM ``question<TAB>answer`` file."""
    rows = []
    lines = csv.reader(StringIO(read_text(path), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
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
    check_not_empty(rows, path)
    check_unique([(where, text_hash(q)) for where, q, _ in rows], "question")
    return rows


def _mgsm_path(resources: Path, lang: str) -> Path:
    return resources / f"mgsm/mgsm_{lang}.tsv"


def mgsm_languages(resources: Path, languages: list[str]) -> list[str]:
    """The languages of ``languages`` whose MGSM test set is read from a human file
    ``mgsm/mgsm_<code>.tsv``: English always (the source of every other version; a missing file is
    an error), any other language when its file exists. A language without one gets no reference,
    so the translate stage machine-translates the English test items for it, and its test set is
    flagged (:func:`mlpt.data.origin_of_test_sets`)."""
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


def mgsm_test(resources: Path, task: str, n_test: int, languages: list[str], source_lang: str,
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
    question = text_field(row, "question", where)
    try:
        reasoning, final = text_field(row, "answer", where).rsplit("####", 1)
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
    rows = read_jsonl_raw(path)
    check_not_empty(rows, path)
    check_unique([(where, text_hash(text_field(row, "question", where))) for where, row in rows], "question")
    return rows


def prepare_gsm8k_mgsm(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    require_english("gsm8k_mgsm", source_lang)
    report: dict = {}
    test, references, forbidden = mgsm_test(resources, task, spec["n_test"], languages, source_lang, report)
    train_path = resources / "gsm8k/train.jsonl"
    pool, dropped = [], 0
    for i, (where, row) in enumerate(_read_gsm8k(train_path)):
        rec = _gsm8k_record(row, f"gsm8k-train-{i:05d}", where, task)
        if text_hash(rec["question"]) in forbidden:
            dropped += 1
            continue
        pool.append(rec)
    report["dropped_overlapping_test"] = dropped
    records = split_pool(pool, spec["n_train"], spec["n_val"], seed, report, train_path) + test
    return Prepared(records, references, forbidden, report)
