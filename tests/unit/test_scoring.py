"""Tests for mlpt.scoring: MGSM number extraction and API-Bank call matching."""

from __future__ import annotations

import csv
import json
import keyword
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpt.scoring import (
    ApiCall,
    calls_match,
    canonical_call,
    extract_number,
    normalize_number,
    normalize_value,
    numbers_equal,
    parse_api_call,
    score,
    to_ascii_digits,
)

RESOURCES = Path(__file__).parents[2] / "resources"  # the shipped data
MGSM = RESOURCES / "mgsm"
API_BANK_L1 = RESOURCES / "api_bank" / "test-data" / "level-1-api.json"
LANGS = ["en", "es", "ja", "bn", "sw", "te", "fr", "de", "ru", "zh", "th"]

# The phrase each language's official MGSM exemplars end with ("The answer is 11.").
# German uses two phrasings (ist/lautet); Russian writes "Ответ — 11." (em dash, no
# colon); Japanese has no space and a suffix ("答えは11です。", "答えは39個。"); Bengali
# ends with the danda "।"; Thai has no final punctuation; two Telugu answers carry
# trailing words glued to the number ("సమాధానం 39.చాక్లెట్‌లు...").
ANSWER_PHRASES = {
    "en": ["The answer is"],
    "es": ["La respuesta es"],
    "fr": ["La réponse est"],
    "de": ["Die Antwort ist", "Die Antwort lautet"],
    "ru": ["Ответ:"],
    "sw": ["Jibu ni"],
    "te": ["సమాధానం"],
    "th": ["คำตอบคือ"],
    "zh": ["答案是"],
    "ja": ["答えは"],
    "bn": ["উত্তর হল"],
}

# Zero of each digit script we promise to read (ASCII digit d = chr(zero + d)).
DIGIT_ZEROS = {
    "ascii": 0x30,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "telugu": 0x0C66,
    "devanagari": 0x0966,
    "arabic_indic": 0x0660,
    "fullwidth": 0xFF10,
}


def _native(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


# ---------------------------------------------------------------------------
# Math: extraction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrases", "expected"),
    [
        ("答えは 1,234", ["答えは"], "1234"),
        ("答えは1,234個です。", ["答えは"], "1234"),
        ("১৮", [], "18"),
        ("๑๘", [], "18"),
        ("１８", [], "18"),
        ("१८", [], "18"),
        ("١٨", [], "18"),
        ("౧౮", [], "18"),
        ("１，２３４", [], "1234"),
        ("The answer is $18.00.", ["The answer is"], "18"),
        ("The answer is 18. Next, 2 cars", ["The answer is"], "18"),
        ("The answer is 18. Next, 2 cars", [], "2"),
        ("the ANSWER is: **€18**", ["The answer is"], "18"),
        ("The answer is ₹ 1,500 per month", ["The answer is"], "1500"),
        ("-18", [], "-18"),
        ("The answer is -18.", ["The answer is"], "-18"),
        ("(-18)", [], "-18"),
        ("答えは-18", ["答えは"], "-18"),
        ("－１８", [], "-18"),
        ("\u221218", [], "-18"),
        ("-$18", [], "-18"),
        ("pages 3-4", [], "4"),
        ("23-15=8", [], "8"),
        ("COVID-19", [], "19"),
        ("1.5", [], "1.5"),
        ("15", [], "15"),
        ("3,5", [], "3.5"),
        ("3,50 €", [], "3.5"),
        ("1,234", [], "1234"),
        ("1,234,567.25", [], "1234567.25"),
        ("1.234.567", [], "1234567"),
        ("1.234,5", [], "1234.5"),
        ("1 234", [], "1234"),
        ("1\u00a0234\u2009567", [], "1234567"),
        ("1\u202f234,5", [], "1234.5"),
        ("0,500", [], "0.5"),
        ("18.00", [], "18"),
        ("18.", [], "18"),
        ("is 18.", [], "18"),
        ("0.50", [], "0.5"),
        ("007", [], "7"),
        ("There is no number here.", [], None),
        ("", ["The answer is"], None),
        ("x² only", [], None),
        # phrase occurs but no acceptable number follows it -> last number
        ("The answer is below.\n5 + 6 = 11", ["The answer is"], "11"),
        ("The answer is eighteen. 5 + 13 = 18", ["The answer is"], "18"),
        # last occurrence of any phrase wins
        (
            "La respuesta es 5. Revisando... The answer is 7",
            ["La respuesta es", "The answer is"],
            "7",
        ),
        ("Ответ — 11.", ["Ответ:"], "11"),
        ("Jibu ni 11. Jibu ni 12.", ["Jibu ni"], "12"),
        ("The answer is 11", "The answer is", "11"),  # a bare str is one phrase
    ],
)
def test_extract_number_cases(text, phrases, expected):
    assert extract_number(text, phrases) == expected


def test_decimal_point_never_equals_integer():
    assert extract_number("1.5") == "1.5"
    assert not numbers_equal(extract_number("1.5"), "15")
    assert not numbers_equal(extract_number("The answer is 1.5."), "15")


def test_to_ascii_digits_keeps_length_and_non_digits():
    text = "উত্তর হল ১৮। คำตอบคือ ๑๘ x² ١٢٫٥"
    converted = to_ascii_digits(text)
    assert len(converted) == len(text)
    assert converted == "উত্তর হল 18। คำตอบคือ 18 x² 12.5"


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=-(10**15), max_value=10**15),
    sep=st.sampled_from([",", " ", "\u00a0", "\u2009", "\u202f", ""]),
    script=st.sampled_from(sorted(DIGIT_ZEROS)),
    with_phrase=st.booleans(),
)
def test_any_integer_formatted_extracts_back(n, sep, script, with_phrase):
    digits = f"{abs(n):,}".replace(",", sep)
    if script == "fullwidth" and sep == ",":
        digits = digits.replace(",", "，")
    number = ("-" if n < 0 else "") + _native(digits, DIGIT_ZEROS[script])
    if with_phrase:
        text = f"5 + 6 = 11 and 7.\nThe answer is {number} apples. Then 3 more"
        phrases = ["The answer is"]
    else:
        text = f"5 + 6 = 11, so the total is {number}."
        phrases = []
    assert extract_number(text, phrases) == str(n)


@settings(max_examples=200, deadline=None)
@given(
    whole=st.integers(min_value=0, max_value=10**9),
    frac=st.from_regex(r"[0-9]{1,4}", fullmatch=True),
)
def test_decimals_extract_in_english_and_european_notation(whole, frac):
    expected = normalize_number(f"{whole}.{frac}")
    assert expected is not None
    english = f"{whole:,}.{frac}"
    european = f"{whole:,}".replace(",", ".") + "," + frac
    assert extract_number(f"The answer is {english}.", ["The answer is"]) == expected
    if whole >= 1000 or len(frac) != 3:  # a lone "12,345" is thousands by rule
        assert extract_number(f"Die Antwort ist {european}.", ["Die Antwort ist"]) == expected


# ---------------------------------------------------------------------------
# Math: gold side and comparison
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "expected"),
    [
        ("2,125", "2125"),
        ("70000", "70000"),
        ("114,200", "114200"),
        (" 18 ", "18"),
        ("-3", "-3"),
        ("18.0", "18"),
        ("$5", "5"),
        ("3-4", None),
        ("", None),
        ("n/a", None),
    ],
)
def test_normalize_number(gold, expected):
    assert normalize_number(gold) == expected


@pytest.mark.parametrize(
    ("pred", "gold", "equal"),
    [
        ("18", "18", True),
        ("18.00", "18", True),
        ("1234", "1,234", True),
        ("1.5", "15", False),
        ("-18", "18", False),
        (None, "18", False),
        ("18", "not a number", False),
        ("0.1", "0.1000000000001", True),
        ("0.1", "0.100001", False),
        ("123456789012345678901234567890", "123456789012345678901234567891", False),
    ],
)
def test_numbers_equal(pred, gold, equal):
    assert numbers_equal(pred, gold) is equal


@pytest.mark.parametrize("lang", LANGS)
def test_mgsm_gold_answers_normalise_to_integers(lang):
    path = MGSM / f"mgsm_{lang}.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == 250
    for question, answer in rows:
        canonical = normalize_number(answer)
        assert canonical is not None and re.fullmatch(r"-?[0-9]+", canonical), answer
        assert canonical == answer.replace(",", "")
        assert numbers_equal(canonical, answer)


def _exemplars() -> tuple[dict, list[int]]:
    exemplars = json.loads((MGSM / "exemplars.json").read_text(encoding="utf-8"))
    answers = json.loads((MGSM / "exemplar_answers.json").read_text(encoding="utf-8"))
    return exemplars, answers["EXEMPLAR_NUMBER_ANSWERS"]


@pytest.mark.parametrize("lang", LANGS)
def test_mgsm_exemplar_answers_extract(lang):
    exemplars, gold = _exemplars()
    items = exemplars[lang]
    assert len(items) == len(gold) == 8
    for item, number in zip(items, gold):
        answer = item["a"]
        assert extract_number(answer) == str(number), answer  # fallback: last number
        assert extract_number(answer, ANSWER_PHRASES[lang]) == str(number), answer
        # A trailing distractor proves the phrase rule (not the fallback) found it.
        distracted = answer + "\n999"
        assert extract_number(distracted) == "999"
        assert extract_number(distracted, ANSWER_PHRASES[lang]) == str(number), answer
        # Same answers written in native digits.
        for zero in DIGIT_ZEROS.values():
            native = _native(distracted, zero)
            assert extract_number(native, ANSWER_PHRASES[lang]) == str(number)


# ---------------------------------------------------------------------------
# API calls: parsing and matching
# ---------------------------------------------------------------------------

GOLD = (
    "API-Request: [ModifyRegistration(appointment_id='34567890', "
    "new_appointment_date='2023-03-26', new_appointment_doctor='Dr. Lee')]"
)


def test_parse_gold_example():
    assert parse_api_call(GOLD) == ApiCall(
        name="ModifyRegistration",
        args=(
            ("appointment_id", "34567890"),
            ("new_appointment_date", "2023-03-26"),
            ("new_appointment_doctor", "Dr. Lee"),
        ),
    )
    assert canonical_call(GOLD) == (
        "ModifyRegistration(appointment_id='34567890', "
        "new_appointment_date='2023-03-26', new_appointment_doctor='Dr. Lee')"
    )


@pytest.mark.parametrize(
    "pred",
    [
        GOLD,
        # swapped argument order
        "API-Request: [ModifyRegistration(new_appointment_doctor='Dr. Lee', "
        "appointment_id='34567890', new_appointment_date='2023-03-26')]",
        # double quotes, odd spacing, no prefix, no brackets
        'ModifyRegistration( appointment_id = "34567890",new_appointment_date="2023-03-26" ,'
        ' new_appointment_doctor="Dr. Lee" )',
        # number unquoted
        "ModifyRegistration(appointment_id=34567890, new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee')",
        # prose before, trailing text after
        "Sure! I will reschedule it (as you asked). API-Request: [ModifyRegistration("
        "appointment_id='34567890', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee')] Let me know if you need anything else (thanks).",
        # whitespace inside a value is collapsed and stripped
        "ModifyRegistration(appointment_id='34567890', new_appointment_date=' 2023-03-26',"
        " new_appointment_doctor='Dr.   Lee')",
    ],
)
def test_calls_that_match_gold(pred):
    assert calls_match(pred, GOLD)
    assert canonical_call(pred) == canonical_call(GOLD)
    assert score("api_call", pred, GOLD) == (canonical_call(GOLD), True)


@pytest.mark.parametrize(
    "pred",
    [
        # extra argument
        "ModifyRegistration(appointment_id='34567890', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee', note='')",
        # missing argument
        "ModifyRegistration(appointment_id='34567890', new_appointment_date='2023-03-26')",
        # wrong value
        "ModifyRegistration(appointment_id='34567891', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee')",
        # value case differs
        "ModifyRegistration(appointment_id='34567890', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='dr. lee')",
        # API name case differs
        "modifyRegistration(appointment_id='34567890', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee')",
        # argument name differs
        "ModifyRegistration(appointment='34567890', new_appointment_date='2023-03-26', "
        "new_appointment_doctor='Dr. Lee')",
        # no call at all / unbalanced
        "I cannot make that request.",
        "API-Request: [ModifyRegistration(appointment_id='34567890', new_appointment_date='2023",
    ],
)
def test_calls_that_do_not_match_gold(pred):
    assert not calls_match(pred, GOLD)
    assert score("api_call", pred, GOLD)[1] is False


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I cannot make that request.",
        "API-Request: []",
        "Foo(a='1'",  # unbalanced parenthesis
        "Foo(a='1)",  # unbalanced quote and parenthesis
        "Foo(1, 2)",  # positional arguments
        "Foo(a=bar)",  # non-literal value
        "Foo(a=1, a=2)",  # repeated keyword
        "Foo(**kw)",
        "Outer(x=Inner(y=1))",  # nested call is not a literal (and Inner is not picked)
        "obj.method(a=1",
        "Foo(a='x'+'y')",
        "Foo(a=" + "[" * 500 + "]" * 500 + ")",
        "ModifyRegistration(" * 3000,  # degenerate repetition (bounded work)
    ],
)
def test_non_calls_return_none_without_raising(text):
    assert parse_api_call(text) is None
    assert canonical_call(text) is None
    assert not calls_match(text, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Say(text="it\'s fine")', 'Say(text="it\'s fine")'),
        ("Say(text='it\\'s fine')", 'Say(text="it\'s fine")'),
        ("Say(text='say \"hi\" (twice)')", "Say(text='say \"hi\" (twice)')"),
        ("Calculator(formula='(5+6)*3')", "Calculator(formula='(5+6)*3')"),
        ("Calculator(formula='5+6)*3')", "Calculator(formula='5+6)*3')"),
        ("GetToday()", "GetToday()"),
        ("API-Request: [GetToday()]", "GetToday()"),
        ("Foo(a=1,)", "Foo(a='1')"),
        ("f(x) is a function; Foo(a=1)", "Foo(a='1')"),
        (
            "Foo(a=5.0, b='5.0', c=-0.0, d='007', e=1e3)",
            "Foo(a='5', b='5', c='0', d='007', e='1000')",
        ),
        ("Foo(on=True, off='False', x=None)", "Foo(off='False', on='True', x='None')"),
        # fallback tokenizer: unescaped inner quotes
        ("AddUser(name='O'Brien', age=30)", "AddUser(age='30', name=\"O'Brien\")"),
        ("API-Request: [AddUser(name='O'Brien')]", 'AddUser(name="O\'Brien")'),
        # fallback tokenizer: a Python keyword as argument name
        ("Convert(from='USD', to='EUR', amount=10)", "Convert(amount='10', from='USD', to='EUR')"),
    ],
)
def test_canonical_call(text, expected):
    assert canonical_call(text) == expected
    assert canonical_call(expected) == expected


def test_quoted_and_unquoted_lists_match():
    gold = (
        "API-Request: [QueryMeeting(meeting_topic='Sales Meeting', "
        "attendees='['John Smith', 'Jane Doe']')]"
    )
    assert calls_match(
        "QueryMeeting(meeting_topic='Sales Meeting', attendees=['John Smith', 'Jane Doe'])", gold
    )
    assert calls_match(
        'QueryMeeting(meeting_topic="Sales Meeting", attendees=["John Smith", "Jane Doe"])', gold
    )
    assert not calls_match(
        "QueryMeeting(meeting_topic='Sales Meeting', attendees=['Jane Doe', 'John Smith'])", gold
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Dr.   Lee ", "Dr. Lee"),
        ("Dr. Lee", "Dr. Lee"),
        (5, "5"),
        (5.0, "5"),
        ("5", "5"),
        ("5.0", "5"),
        ("5.50", "5.5"),
        (-2.5, "-2.5"),
        ("007", "007"),
        ("2023-03-26", "2023-03-26"),
        (True, "True"),
        (False, "False"),
        (None, "None"),
        ("true", "true"),
        ([1, "a", 2.0], '["1", "a", "2"]'),
        ((1, 2), '["1", "2"]'),
        ({"b": 1, "a": [True]}, '{"a": ["True"], "b": "1"}'),
        ("[{'value': '120/80', 'name': 'bp'}]", '[{"name": "bp", "value": "120/80"}]'),
        ({"名前": "東京"}, '{"名前": "東京"}'),
        ({2, 1}, '["1", "2"]'),
        ("[not a literal", "[not a literal"),
    ],
)
def test_normalize_value(value, expected):
    assert normalize_value(value) == expected


def test_api_bank_level1_gold_outputs_all_parse():
    items = json.loads(API_BANK_L1.read_text(encoding="utf-8"))
    assert len(items) == 399
    names = set()
    for item in items:
        gold = item["expected_output"]
        call = parse_api_call(gold)
        assert call is not None, gold
        names.add(call.name)
        assert calls_match(gold, gold)
        canonical = canonical_call(gold)
        assert canonical is not None and canonical_call(canonical) == canonical
        assert calls_match(canonical, gold)
        assert score("api_call", gold, gold) == (canonical, True)
    assert len(names) == 49


def test_api_bank_gold_with_unescaped_quotes():
    gold = (
        "API-Request: [RecordHealthData(user_id='12345', time='2023-10-13 09:30:00', "
        "health_data='[{'name': 'blood_pressure', 'value': '120/80'}, "
        "{'name': 'heart_rate', 'value': '80'}]')]"
    )
    call = parse_api_call(gold)
    assert call is not None
    assert dict(call.args)["health_data"] == (
        '[{"name": "blood_pressure", "value": "120/80"}, {"name": "heart_rate", "value": "80"}]'
    )
    pred = (
        "RecordHealthData(time='2023-10-13 09:30:00', user_id=12345, health_data="
        "[{'name': 'blood_pressure', 'value': '120/80'}, {'name': 'heart_rate', 'value': 80}])"
    )
    assert calls_match(pred, gold)


# ---------------------------------------------------------------------------
# API calls: properties
# ---------------------------------------------------------------------------

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s)
)
scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    name=identifiers,
    args=st.dictionaries(identifiers, values, max_size=5),
    prose=st.sampled_from(["", "Sure. API-Request: [", "Calling the API (now):\n"]),
)
def test_canonical_call_round_trips_and_ignores_order(name, args, prose):
    rendered = ", ".join(f"{k}={v!r}" for k, v in args.items())
    reversed_rendered = ", ".join(f"{k} = {v!r}" for k, v in reversed(list(args.items())))
    text = f"{prose}{name}({rendered})] trailing (text)"
    canonical = canonical_call(text)
    assert canonical is not None
    assert canonical_call(canonical) == canonical
    assert calls_match(f"{name}({reversed_rendered})", text)
    assert parse_api_call(text) == ApiCall(
        name, tuple(sorted((k, normalize_value(v)) for k, v in args.items()))
    )


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="Foa=1'\"(),[]{}\\ .-_x")))
def test_parse_never_raises_and_canonical_is_a_fixed_point(text):
    canonical = canonical_call(text)
    if canonical is not None:
        assert canonical_call(canonical) == canonical
    extract_number(text, ["a"])


# ---------------------------------------------------------------------------
# Dispatcher
# ---------------------------------------------------------------------------


def test_score_math():
    assert score("math", "5 + 6 = 11. The answer is 11.", "11", ["The answer is"]) == ("11", True)
    assert score("math", "The answer is 1.5", "15") == ("1.5", False)
    assert score("math", "no idea", "2,125") == (None, False)
    assert score("math", "答えは2,125です", "2,125", ["答えは"]) == ("2125", True)


def test_score_unknown_kind_names_it():
    with pytest.raises(ValueError, match="translation"):
        score("translation", "x", "y")
