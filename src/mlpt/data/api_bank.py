"""The API-calling task: API-Bank's level-1 test set, with training calls from one of two places:
the shipped level-3 file (``api_bank``, the offline substitute) or API-Bank's level-1 and level-2
training calls on the Hub (``api_bank_hub``, the paper's data).

The Hub's items (two small JSON files, read with ``datasets``) are checked like the shipped ones,
and their pool must be the paper's 3,174 queries over 1,535 APIs (:data:`PAPER_API_POOL`) unless
the config accepts another (``expect_pool``).
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import scoring
from .common import (Prepared, SourceError, check_not_empty, check_unique, read_json_items, require_english,
                     split_pool, text_field, text_hash)
from .hub import HubDataset, hub_files

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
    test_items = read_json_items(test_path)
    check_not_empty(test_items, test_path)
    # Items are identified by their source dialogue file and turn; the same content may recur.
    check_unique([(where, (item.get("file"), str(item["id"]))) for where, item in test_items if "id" in item], "file+id")
    test = []
    for i, (where, item) in enumerate(test_items):
        instruction = text_field(item, "instruction", where)
        _, block, apis = instruction.partition("API descriptions:")
        if not block or not apis.strip():
            raise SourceError(f"{where}: field 'instruction': no 'API descriptions:' block")
        output = text_field(item, "expected_output", where)
        rec = _api_record(f"apibank-l1-{i:03d}", task, "test", apis.strip(), text_field(item, "input", where), output,
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
        output = text_field(item, "output", where)
        if "ToolSearcher(" in output:
            dropped["tool_searcher"] += 1
            continue
        apis, dialogue = _split_descriptions(text_field(item, "input", where))
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
    records = split_pool(pool, spec["n_train"], spec["n_val"], seed, report, source)
    records += test[: spec["n_test"]]
    report["test"] = min(spec["n_test"], len(test))
    return Prepared(records, [], forbidden, report)


def prepare_api_bank(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int) -> Prepared:
    """Training on the shipped level-3 calls (the offline substitute for the paper's level-1/2 calls)."""
    require_english("api_bank", source_lang)
    test = _api_bank_test(resources, task)
    train_path = resources / "api_bank/training-data/lv3-api-train.json"
    training = [(f"apibank-l3-{i:03d}", where, item) for i, (where, item) in enumerate(read_json_items(train_path))]
    return _api_bank_prepared(task, spec, seed, test, training, train_path, {})


def prepare_api_bank_hub(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str,
                         seed: int) -> Prepared:
    """Training on API-Bank's level-1 and level-2 training calls from the Hub (the paper's data); the
    pool must be the paper's (:data:`PAPER_API_POOL`) unless ``expect_pool`` accepts another."""
    require_english("api_bank_hub", source_lang)
    test = _api_bank_test(resources, task)
    report: dict = {}
    training = []
    for (where, rows), data_file in zip(hub_files(API_BANK_TRAIN, spec, report), API_BANK_TRAIN.data_files):
        level = Path(data_file).name.split("-")[0]  # lv1, lv2
        training += [(f"apibank-{level}-{i:05d}", f"{where}: item {i}", row) for i, row in enumerate(rows)]
    return _api_bank_prepared(task, spec, seed, test, training, f"hf://datasets/{API_BANK_TRAIN.repo}", report,
                              expected_pool=PAPER_API_POOL)
