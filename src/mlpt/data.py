"""Source adapters: raw shipped data → normalised English records (and human references).

Each adapter reads its files under ``resources/`` and returns a :class:`Prepared`:

- ``records``: source-language records of every split (train, val, test), schema ``example``;
- ``references``: existing human translations of the same items (MGSM's 10 other languages
  for the math test split), aligned by item id; the translation stage uses them instead of MT;
- ``forbidden``: normalised-text hashes of every test item the study must never train on
  (the contamination guard in the mixture stage checks against them);
- ``report``: counts of what was read, dropped and why.

Train and validation items are drawn with a seeded shuffle from the training pool, disjoint, and
never contain an item whose normalised text equals a test item's.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import scoring

CALC_ANNOTATION = re.compile(r"<<[^>]*>>")


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


def _read_jsonl_raw(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise SourceError(f"{path}:{lineno}: not valid JSON ({err.msg})") from None
    return rows


def _split_pool(pool: list[dict], n_train: int, n_val: int, seed: int, report: dict) -> list[dict]:
    rng = random.Random(seed)
    pool = list(pool)
    rng.shuffle(pool)
    if len(pool) < n_val + 1:
        raise SourceError(f"training pool has {len(pool)} items, fewer than n_val={n_val} + 1")
    val, train = pool[:n_val], pool[n_val : n_val + n_train]
    report.update(pool=len(pool), train=len(train), val=len(val), n_train_requested=n_train)
    if len(train) < n_train:
        report["warning"] = f"n_train={n_train} requested but only {len(train)} training items are available"
    for rec in val:
        rec["split"] = "val"
    for rec in train:
        rec["split"] = "train"
    return sorted(val, key=lambda r: r["id"]) + sorted(train, key=lambda r: r["id"])


# --- math: GSM8K train (English CoT) + MGSM test (11 human-translated languages) -------------


def files_gsm8k_mgsm(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "gsm8k/train.jsonl", resources / "gsm8k/test.jsonl"] + [
        resources / f"mgsm/mgsm_{lang}.tsv" for lang in languages
    ]


def _read_mgsm(path: Path) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if len(row) != 2:
                raise SourceError(f"{path}:{lineno}: expected 2 tab-separated columns, got {len(row)}")
            rows.append((row[0], row[1]))
    return rows


def _gsm8k_record(row: dict, rid: str, path: Path, lineno: int, task: str) -> dict:
    try:
        reasoning, final = row["answer"].rsplit("####", 1)
    except (KeyError, ValueError):
        raise SourceError(f"{path}:{lineno}: GSM8K answer has no '#### N' final line") from None
    answer = scoring.normalize_number(final.strip())
    if answer is None:
        raise SourceError(f"{path}:{lineno}: final answer '{final.strip()}' is not a number")
    return {
        "id": rid, "task": task, "lang": "en", "split": "train", "question": row["question"].strip(),
        "reasoning": reasoning.strip(), "answer": answer, "source": "gsm8k",
    }


def prepare_gsm8k_mgsm(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    if source_lang != "en":
        raise SourceError(f"source gsm8k_mgsm provides English training data; source_language is '{source_lang}'")
    report: dict = {}
    test_path = resources / "gsm8k/test.jsonl"
    forbidden = {text_hash(r["question"]) for r in _read_jsonl_raw(test_path)}

    mgsm = {lang: _read_mgsm(resources / f"mgsm/mgsm_{lang}.tsv") for lang in languages}
    n_items = {len(rows) for rows in mgsm.values()}
    if len(n_items) != 1:
        raise SourceError(f"MGSM files are not row-aligned: row counts {n_items}")
    forbidden |= {text_hash(q) for rows in mgsm.values() for q, _ in rows}

    train_path = resources / "gsm8k/train.jsonl"
    pool, dropped = [], 0
    for lineno, row in enumerate(_read_jsonl_raw(train_path), start=1):
        rec = _gsm8k_record(row, f"gsm8k-train-{lineno - 1:05d}", train_path, lineno, task)
        if text_hash(rec["question"]) in forbidden:
            dropped += 1
            continue
        pool.append(rec)
    report["dropped_overlapping_test"] = dropped
    records = _split_pool(pool, spec["n_train"], spec["n_val"], seed, report)

    references = []
    n_test = min(spec["n_test"], next(iter(n_items)))
    for lang, rows in mgsm.items():
        for i, (question, answer) in enumerate(rows[:n_test]):
            rec = {
                "id": f"mgsm-{i:03d}", "task": task, "lang": lang, "split": "test", "question": question.strip(),
                "answer": scoring.normalize_number(answer), "source": "mgsm",
            }
            (records if lang == source_lang else references).append(rec)
    report["test"] = n_test
    return Prepared(records, references, forbidden, report)


# --- API calling: API-Bank level-1 test + level-3 training calls ------------------------------

API_REQUEST = re.compile(r"API-Request:\s*\[(.*)\]\s*$", re.S)


def files_api_bank(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "api_bank/test-data/level-1-api.json", resources / "api_bank/training-data/lv3-api-train.json"]


def _split_descriptions(text: str) -> tuple[str, str]:
    """Separate JSON API-description lines from the dialogue lines."""
    apis, dialogue = [], []
    for line in text.strip().splitlines():
        (apis if line.startswith("{") and line.rstrip().endswith("}") else dialogue).append(line)
    return "\n".join(apis), "\n".join(dialogue)


def _api_record(rid: str, task: str, split: str, apis: str, dialogue: str, output: str, where: str) -> dict | None:
    match = API_REQUEST.search(output.strip())
    call_text = match.group(1) if match else output
    canonical = scoring.canonical_call(call_text)
    if canonical is None:
        return None
    dialogue = re.sub(r"\s*Generate API Request:\s*$", "", dialogue.strip())
    if not dialogue or not apis:
        raise SourceError(f"{where}: item has no dialogue or no API descriptions")
    return {"id": rid, "task": task, "lang": "en", "split": split, "question": dialogue, "apis": apis,
            "call": call_text.strip(), "answer": canonical, "source": "api-bank"}


def prepare_api_bank(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    if source_lang != "en":
        raise SourceError(f"source api_bank provides English data; source_language is '{source_lang}'")
    report: dict = {}
    test_path = resources / "api_bank/test-data/level-1-api.json"
    test_items = json.loads(test_path.read_text(encoding="utf-8"))
    test = []
    for i, item in enumerate(test_items):
        where = f"{test_path}: item {i}"
        try:
            apis = item["instruction"].split("API descriptions:", 1)[1]
        except (KeyError, IndexError):
            raise SourceError(f"{where}: no 'API descriptions:' block in instruction") from None
        rec = _api_record(f"apibank-l1-{i:03d}", task, "test", apis.strip(), item["input"], item["expected_output"], where)
        if rec is None:
            raise SourceError(f"{where}: gold call does not parse: {item['expected_output']!r}")
        test.append(rec)
    forbidden = {text_hash(r["question"]) for r in test}

    train_path = resources / "api_bank/training-data/lv3-api-train.json"
    pool, dropped = [], {"tool_searcher": 0, "malformed": 0, "overlapping_test": 0}
    for i, item in enumerate(json.loads(train_path.read_text(encoding="utf-8"))):
        if "ToolSearcher(" in item["output"]:
            dropped["tool_searcher"] += 1
            continue
        apis, dialogue = _split_descriptions(item["input"])
        rec = _api_record(f"apibank-l3-{i:03d}", task, "train", apis, dialogue, item["output"], f"{train_path}: item {i}")
        if rec is None:
            dropped["malformed"] += 1
            continue
        if text_hash(rec["question"]) in forbidden:
            dropped["overlapping_test"] += 1
            continue
        pool.append(rec)
    report["dropped"] = dropped
    records = _split_pool(pool, spec["n_train"], spec["n_val"], seed, report)
    records += test[: spec["n_test"]]
    report["test"] = min(spec["n_test"], len(test))
    return Prepared(records, [], forbidden, report)


# --- positive control: synthetic one-step addition problems in every language ----------------


MAX_OPERAND = 9


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
    import yaml

    path = resources / "control/templates.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))["languages"]
    missing = [lang for lang in languages if lang not in table]
    if missing:
        raise SourceError(f"{path}: no templates for languages {missing}")
    shape = {(len(table[lang]["templates"]), len(table[lang]["names"]), len(table[lang]["items"])) for lang in languages}
    if len(shape) != 1:
        raise SourceError(f"{path}: languages differ in the number of templates/names/items: {shape}")
    n_templates, n_names, n_items = shape.pop()

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


SOURCES = {
    "gsm8k_mgsm": (files_gsm8k_mgsm, prepare_gsm8k_mgsm),
    "api_bank": (files_api_bank, prepare_api_bank),
    "synthetic_arithmetic": (files_synthetic_arithmetic, prepare_synthetic_arithmetic),
}


def source_files(source: str, resources: str | Path, languages: list[str]) -> list[str]:
    return [str(p) for p in SOURCES[source][0](Path(resources), languages)]


def prepare(source: str, resources: str | Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    resources = Path(resources)
    for path in source_files(source, resources, languages):
        if not Path(path).exists():
            raise SourceError(f"source '{source}' needs {path}, which does not exist")
    return SOURCES[source][1](resources, task, spec, languages, source_lang, seed)
