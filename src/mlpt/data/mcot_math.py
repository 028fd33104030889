"""The math task on the paper's training data: mCoT-MATH from the Hub, its English items as the
source records and its own translations as references; MGSM as the test set (:mod:`.gsm8k_mgsm`).

mCoT-MATH's file (about 12 GB) is downloaded once and read as a stream (:func:`iter_json_rows`), so
memory holds its item ids, not its text, whether the file is one JSON array or JSON Lines; in its
millions of rows, an item whose content is unusable (an empty text, an answer that is not one
number, a translation whose answer the scorer does not read) is left out in every language and
counted instead.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import prompts, scoring
from .common import Prepared, SourceError, deal, require_english, text_hash
from .gsm8k_mgsm import math_test_files, mgsm_test
from .hub import HubDataset, hub_download
from .stream import iter_json_rows

log = logging.getLogger(__name__)

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
    return math_test_files(resources, languages) + [resources / prompts.PHRASES_FILE]


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
class McotIndex:
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


def index_mcot(rows: Iterable[tuple[str, dict]], source_prefix: str) -> McotIndex:
    """Read every row once: check its columns and ``lang-id`` (a repeated one is an error), and
    check each English solution (:func:`_english_answer`)."""
    index = McotIndex()
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
    require_english("mcot_math", source_lang)
    report: dict = {}
    test, test_references, forbidden = mgsm_test(resources, task, spec["n_test"], languages, source_lang, report)
    answer_phrases = prompts.answer_phrases(prompts.load_phrases(resources / prompts.PHRASES_FILE))
    path, where = hub_download(MCOT_MATH, MCOT_MATH.data_files[0], spec, report)
    codes = {lang: MCOT_MATH_LANGUAGES[lang] for lang in [source_lang, *languages] if lang in MCOT_MATH_LANGUAGES}
    index = index_mcot(iter_json_rows(path, where), codes[source_lang])
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

    records = deal([record(f"mcot-{item}", source_lang, answer, *versions[source_lang])
                     for item, answer, versions in chosen], spec["n_train"], spec["n_val"], report, where)
    split = {r["id"]: r["split"] for r in records}
    references = [dict(record(f"mcot-{item}", lang, answer, *text), split=split[f"mcot-{item}"])
                  for item, answer, versions in chosen for lang, text in versions.items() if lang != source_lang]
    return Prepared(records + test, references + test_references, forbidden, report)
