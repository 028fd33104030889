"""The study's test sets and question-translation pairs, read into the project's records.

Test sets. The paper evaluates three tasks in 20 languages on parallel test sets: Amazon Reviews
Polarity (500 rows), SNLI (600) and PAWS-X (500; the paper's own machine translation of PAWS-Wiki
test pairs). Each file is ONE JSON array (``.json``, or ``.json.gz``) of objects with the task's
text keys and an ``answer``. Rows are parallel across languages: row i of every language is the
translation of English row i. The ``answer`` is written in the file's language (zh ``积极`` for
"positive"); the paper scores English label words, so :func:`read_test_set` maps each localized
answer back to the English label of the same row, and checks that the mapping is one-to-one (each
localized word always stands for the same English label and vice versa).

Records: ``{id, task, lang, <text fields>, label, label_local}`` with the id ``<task>-<row>``
shared by the parallel rows of all languages, ``label`` the English label word and
``label_local`` the file's own answer word (the target-language token of the logit lens).

Question translation. The paper's tuning data pair a task question in language X with the same
question in the target language, its English original (or, in the authors' X→zh sets, its Chinese
translation); the model is taught to translate, never to answer. A pair becomes one SFT record
(:data:`mlpt.io` schema ``train_record``): the prompt is the question in X followed by
``"\\nTranslate the input from <Language> to <Target>:\\n"``, the response is the question in the
target language. :func:`read_qt_pairs` reads pair files in the authors' format (one JSON array of
``input``/``answer`` objects, the input ending with that instruction; a file may hold several
directions); :func:`build_qt_records` builds the records from any (question in X, question in the
target) pairs, with a seeded validation share (the paper holds out 5%).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "LANGUAGES",
    "TASKS",
    "TaskSpec",
    "build_qt_records",
    "english_labels",
    "qt_prompt",
    "read_items",
    "read_json_array",
    "read_qt_pairs",
    "read_test_set",
    "test_set_path",
]

#: Where a record's text comes from: the English source, the authors' files (``reference`` for test
#: items; ``authors`` for question-translation pairs) or this run's MT.
SOURCE, REFERENCE, AUTHORS, MACHINE_TRANSLATED = "source", "reference", "authors", "machine-translated"

#: The paper's 20 evaluation languages, in its order.
LANGUAGES: tuple[str, ...] = ("en", "zh", "de", "fr", "es", "it", "nl", "ja", "ru", "sv", "sl", "pl", "bg", "no",
                              "ms", "is", "hi", "th", "sw", "bn")


@dataclass(frozen=True)
class TaskSpec:
    """One task: where its test files are, how their keys become record fields, its English label
    words (in a fixed order: the order of scores and of control words), few-shot count and size."""

    name: str
    folder: str
    test_file: str  # file name pattern with {lang}
    fields: tuple[tuple[str, str], ...]  # (key in the file, field of the record)
    labels: tuple[str, ...]
    shots: int
    n_test: int

    @property
    def text_fields(self) -> tuple[str, ...]:
        return tuple(field for _, field in self.fields)


#: The three tasks with the paper's shot counts (Amazon 2, SNLI 6, PAWS-X 4) and test sizes.
TASKS: dict[str, TaskSpec] = {
    "amazon": TaskSpec("amazon", "ap_emotion", "emotion_{lang}500_test.json", (("input", "review"),),
                       ("positive", "negative"), shots=2, n_test=500),
    "snli": TaskSpec("snli", "snli", "snli_{lang}600_test.json", (("premise", "premise"), ("hypothesis", "hypothesis")),
                     ("entailment", "neutral", "contradiction"), shots=6, n_test=600),
    "paws": TaskSpec("paws", "paws", "paws_{lang}500_test.json", (("sentence1", "sentence1"), ("sentence2", "sentence2")),
                     ("same", "different"), shots=4, n_test=500),
}


def task_spec(task: str) -> TaskSpec:
    try:
        return TASKS[task]
    except KeyError:
        raise ValueError(f"unknown task '{task}' (known: {', '.join(TASKS)})") from None


# --------------------------------------------------------------------------- #
# Test sets
# --------------------------------------------------------------------------- #
def read_json_array(path: str | Path) -> list[dict]:
    """The JSON array of objects in ``path`` (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ValueError(f"{path}: expected one JSON array of objects")
    return data


def test_set_path(data_dir: str | Path, task: str, lang: str) -> Path:
    """Where the test file of ``task`` in ``lang`` lies below ``data_dir`` (a ``.json.gz`` copy
    is used when the plain file is absent)."""
    spec = task_spec(task)
    path = Path(data_dir) / spec.folder / spec.test_file.format(lang=lang)
    gz = path.with_name(path.name + ".gz")
    return gz if not path.exists() and gz.exists() else path


def read_items(path: str | Path, task: str, lang: str) -> list[dict]:
    """The rows of one file as records ``{id, task, lang, <text fields>, answer}`` (``answer`` as
    written in the file, ``None`` where a row has none); ValueError naming the row of a missing
    or empty text key."""
    spec = task_spec(task)
    out = []
    for i, row in enumerate(read_json_array(path)):
        rec = {"id": f"{task}-{i:04d}", "task": task, "lang": lang}
        for key, field in spec.fields:
            value = row.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{path}: row {i} has no text under '{key}'")
            rec[field] = value
        rec["answer"] = row.get("answer")
        out.append(rec)
    return out


def english_labels(local: Sequence[str | None], english: Sequence[str | None], where: str) -> list[str]:
    """The English label of each row, checked against the localized answers of the same rows.

    The two sequences are parallel. Each localized word must always stand for the same English
    label, and each English label always be written with the same localized word; otherwise rows
    are misaligned or a file is corrupt, and ValueError says where.
    """
    if len(local) != len(english):
        raise ValueError(f"{where}: {len(local)} rows against {len(english)} English rows")
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for i, (loc, en) in enumerate(zip(local, english)):
        if not loc or not en:
            raise ValueError(f"{where}: row {i} has no answer")
        if forward.setdefault(loc, en) != en:
            raise ValueError(f"{where}: row {i} answers '{loc}' for English '{en}', but '{loc}' also stands for "
                             f"'{forward[loc]}' (rows misaligned?)")
        if backward.setdefault(en, loc) != loc:
            raise ValueError(f"{where}: row {i} answers '{loc}' for English '{en}', but '{en}' is also written "
                             f"'{backward[en]}' (rows misaligned?)")
    return list(english)


def read_test_set(data_dir: str | Path, task: str, lang: str) -> list[dict]:
    """The test records of ``task`` in ``lang`` with English labels (see the module docstring).

    Reads the language's file and the English file of the same task below ``data_dir``; checks
    the row count against the paper's and that every English label is one of the task's.
    """
    spec = task_spec(task)
    en_rows = read_items(test_set_path(data_dir, task, "en"), task, "en")
    rows = en_rows if lang == "en" else read_items(test_set_path(data_dir, task, lang), task, lang)
    where = str(test_set_path(data_dir, task, lang))
    if len(rows) != spec.n_test:
        raise ValueError(f"{where}: {len(rows)} rows, the paper's test set has {spec.n_test}")
    unknown = sorted({r["answer"] for r in en_rows} - set(spec.labels), key=str)
    if unknown:
        raise ValueError(f"{test_set_path(data_dir, task, 'en')}: answers {unknown} are not labels of '{task}' "
                         f"({', '.join(spec.labels)})")
    labels = english_labels([r["answer"] for r in rows], [r["answer"] for r in en_rows], where)
    out = []
    for rec, label in zip(rows, labels):
        rec = dict(rec)
        rec["label_local"] = rec.pop("answer")
        rec["label"] = label
        out.append(rec)
    return out


# --------------------------------------------------------------------------- #
# Question translation
# --------------------------------------------------------------------------- #
#: What follows the question in language X in a question-translation prompt (English names of the
#: two languages, as the authors' files write them: "Translate the input from Chinese to English:").
TRANSLATE_INSTRUCTION = "\nTranslate the input from {language} to {target}:\n"
_INSTRUCTION = re.compile(r"\nTranslate the input from ([^\n]+?) to ([^\n]+?):\n\Z")


def qt_prompt(question: str, language: str, target: str = "English") -> str:
    """The prompt that asks for the ``target`` translation of ``question`` (written in ``language``;
    both English language names such as "Chinese")."""
    return question + TRANSLATE_INSTRUCTION.format(language=language, target=target)


def split_qt_prompt(text: str) -> tuple[str, str, str] | None:
    """``(question, language, target)`` of a :func:`qt_prompt` (None for any other text)."""
    found = _INSTRUCTION.search(text)
    if not found or not found.start():
        return None
    return text[: found.start()], found.group(1), found.group(2)


def read_qt_pairs(path: str | Path) -> list[dict]:
    """Question-translation pairs from a file in the authors' format: one JSON array of objects,
    ``input`` = :func:`qt_prompt` of the question, ``answer`` = the question in the target language
    (non-empty).

    Returns ``{"question", "answer", "language", "target"}`` per row (the language names as the
    instruction writes them); ValueError naming the file and the first row that is not such a pair.
    """
    try:
        rows = read_json_array(path)
    except ValueError as err:  # not JSON, or not one array of objects
        raise ValueError(f"{path}: not a question-translation file in the authors' format (one JSON array of "
                         f"{{\"input\", \"answer\"}} objects): {err}") from None
    out = []
    for i, row in enumerate(rows):
        text, answer = row.get("input"), row.get("answer")
        parts = split_qt_prompt(text) if isinstance(text, str) else None
        if not parts or not isinstance(answer, str) or not answer.strip():
            raise ValueError(f"{path}: row {i} is not a question-translation pair in the authors' format (an "
                             f"'input' ending with {TRANSLATE_INSTRUCTION!r} after the question, and a non-empty "
                             "'answer')")
        question, language, target = parts
        out.append({"question": question, "answer": answer, "language": language, "target": target})
    return out


def build_qt_records(
    pairs: Sequence[tuple[str, str]],
    lang: str,
    language: str,
    *,
    target: str = "English",
    id_prefix: str,
    val_fraction: float = 0.05,
    seed: int = 0,
    held_out: Iterable[int] = (),
) -> list[dict]:
    """SFT records (schema ``train_record``) teaching the translation of questions into ``target``.

    Args:
        pairs: (question in ``lang``, the question in the target language) per item.
        lang: the language code of the questions (the records' ``lang``).
        language: its English name, as the prompt writes it ("Chinese").
        target: the English name of the target language ("English", the pivot; "Chinese").
        id_prefix: ids are ``<id_prefix>-<index>`` (index in ``pairs``, 5 digits).
        val_fraction: share of records in the ``val`` split, rounded to the nearest count; the
            rows are drawn with ``seed`` (the paper holds out 5%).
        seed: seed of the validation draw.
        held_out: indices of pairs that must be in ``val`` (held out elsewhere, so never trained
            on); the draw adds rows to them up to the share.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n_val = int(round(val_fraction * len(pairs)))
    val = set(held_out)
    for i in np.random.default_rng(seed).permutation(len(pairs)).tolist():
        if len(val) >= n_val:
            break
        val.add(i)
    out = []
    for i, (question, answer) in enumerate(pairs):
        if not question.strip() or not answer.strip():
            raise ValueError(f"pair {i} of {id_prefix} has an empty side")
        out.append({"id": f"{id_prefix}-{i:05d}", "lang": lang, "split": "val" if i in val else "train",
                    "prompt": qt_prompt(question, language, target), "response": answer, "answer": answer})
    return out
