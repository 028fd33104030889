"""API-Bank's gold calls in the translation stage: every call is read (its own quoting included),
its string values are linked between query and call, and API names never reach MT."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mlpt import data, scoring, translate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_bank():
    """Every API-Bank item the data adapter keeps: the 399 level-1 test items and the training pool."""
    prepared = data.prepare("api_bank", ROOT / "resources", "api", {"n_train": 10**6, "n_val": 0, "n_test": 10**6},
                            ["en"], "en", seed=0)
    return prepared.records


def _is_python(call: str) -> bool:
    try:
        ast.parse(call, mode="eval")
    except SyntaxError:
        return False
    return True


def _mt(seen):
    """An MT model that upper-cases (placeholders survive) and records what it was sent."""
    def translate_texts(texts, src, tgt):
        seen.extend(texts)
        return [t.upper() for t in texts]
    return translate_texts


def test_every_gold_call_is_read_with_every_string_argument(api_bank):
    test = [r for r in api_bank if r["split"] == "test"]
    train = [r for r in api_bank if r["split"] != "test"]
    assert len(test) == 399 and len(train) == 345
    api_bank_quoting = [r for r in test if not _is_python(r["call"])]
    assert len(api_bank_quoting) == 31
    for rec in api_bank:
        call = rec["call"]
        written = scoring.read_call(call)
        assert written is not None, call
        assert written.api_call().canonical() == rec["answer"]
        # the literals' spans cover every value: what is left is the call's name and its keys
        rest, pos = [], written.start
        for arg in written.arguments:
            rest.append(call[pos:arg.start])
            pos = arg.end
            literal = call[arg.start:arg.end]
            assert isinstance(arg.value, str) == (literal[0] in "'\""), (call, literal)
            if isinstance(arg.value, str):
                assert literal[-1] == literal[0] and literal[1:-1].replace("\\" + literal[0], literal[0]) == arg.value
        rest.append(call[pos:written.end])
        keys = r",\s*".join(rf"{re.escape(a.key)}\s*=\s*" for a in written.arguments)
        assert re.fullmatch(rf"{written.name}\(\s*{keys}\s*,?\s*\)", "".join(rest)), call
        strings = [(a.key, a.value) for a in written.arguments if isinstance(a.value, str)]
        assert [(k, v) for k, v, _ in translate.string_arguments(call)] == strings


def test_api_bank_quoting_is_protected_like_python(api_bank):
    rec = next(r for r in api_bank if r["id"] == "apibank-l1-019")
    assert not _is_python(rec["call"]) and "attendees='['John Smith', 'Jane Doe']'" in rec["call"]
    seen = []
    (out,), _ = translate.translate_records([rec], "api_call", "en", "es", _mt(seen))
    assert "Sales Meeting" in seen and "Conference Room A" in seen  # each value translated once, on its own
    assert not any("Sales Meeting" in t for t in seen if t != "Sales Meeting")
    assert "meeting_topic='SALES MEETING'" in out["call"] and "location='CONFERENCE ROOM A'" in out["call"]
    assert "SALES MEETING" in out["question"] and "CONFERENCE ROOM A" in out["question"]
    assert "attendees='['John Smith', 'Jane Doe']'" in out["call"]  # a list held in a string is data
    assert out["answer"] == scoring.canonical_call(out["call"]) and out["flags"] == []


def test_the_same_value_in_python_and_api_bank_quoting_is_handled_the_same():
    question = "User: Book the Sales Meeting with John and Jane."
    python = "AddMeeting(meeting_topic='Sales Meeting', attendees=\"['John', 'Jane']\")"
    api_bank = "AddMeeting(meeting_topic='Sales Meeting', attendees='['John', 'Jane']')"
    outs = []
    for call in (python, api_bank):
        rec = {"id": "a", "task": "api", "lang": "en", "split": "train", "question": question, "apis": "",
               "call": call, "answer": scoring.canonical_call(call)}
        (out,), _ = translate.translate_records([rec], "api_call", "en", "de", _mt([]))
        outs.append(out)
    assert outs[0]["question"] == outs[1]["question"] == "User: BOOK THE SALES MEETING WITH JOHN AND JANE."
    assert outs[0]["answer"] == outs[1]["answer"]
    assert outs[1]["call"] == "AddMeeting(meeting_topic='SALES MEETING', attendees='['John', 'Jane']')"


def test_values_are_found_by_character_not_byte_position():
    call = "Weather(note='Grüße aus Zürich', city='Zürich')"
    assert translate.substitute_call(call, {"Zürich": "Zurigo"}) == "Weather(note='Grüße aus Zürich', city='Zurigo')"
    multi_line = "Weather(\n  note='Grüße',\n  city='Zürich')"
    assert translate.string_arguments(multi_line) == [("note", "Grüße", (16, 23)), ("city", "Zürich", (32, 40))]


def test_api_names_in_a_turn_never_reach_mt(api_bank):
    rec = next(r for r in api_bank if r["id"] == "apibank-l1-020")
    assert "AddAgenda API" in rec["question"]
    seen = []
    (out,), _ = translate.translate_records([rec], "api_call", "en", "fr", _mt(seen))
    assert not any("AddAgenda" in t for t in seen)
    assert "IN AddAgenda API?" in out["question"]  # translated around the name, the name verbatim
    assert out["call"] == rec["call"] and out["flags"] == []


def test_api_names_come_from_the_descriptions_and_the_gold_call():
    rec = {"apis": '{"name": "AddMeeting", "description": "x"}\n{"apiCode": "ToolSearcher"}\nnot json',
           "call": "QueryMeeting(meeting_topic='Lunch')"}
    assert translate.api_names(rec) == ["AddMeeting", "ToolSearcher", "QueryMeeting"]
    segments = translate.segment_dialogue("User: Use the AddMeeting API, not AddMeetings or the QueryMeeting API.")
    assert translate.linked_values(rec, segments) == [("AddMeeting", False), ("QueryMeeting", False)]


def test_every_api_name_written_in_a_turn_is_kept(api_bank):
    checked = 0
    for rec in api_bank:
        names = translate.api_names(rec)
        turns = [line for line in rec["question"].split("\n") if translate.TURN.match(line)]
        written = [n for n in names if any(re.search(rf"(?<!\w){n}(?!\w)", t) for t in turns)]
        if not written:
            continue
        seen = []
        (out,), _ = translate.translate_records([rec], "api_call", "en", "ja", _mt(seen))
        assert not any(re.search(rf"(?<!\w){n}(?!\w)", t) for n in written for t in seen), rec["id"]
        assert all(n in out["question"] for n in written) and "structure" not in out["flags"]
        checked += 1
    assert checked == 15
