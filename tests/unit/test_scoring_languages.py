"""Language-aware number reading: each language's answers are read as that language writes numbers."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from mlpt import prompts, scoring
from mlpt.scoring import NumberNotation, extract_number, normalize_number, number_notation, score

ROOT = Path(__file__).resolve().parents[2]
PHRASES = prompts.load_phrases(ROOT / "resources" / prompts.PHRASES_FILE)
LANGS = list(PHRASES["languages"])
ALL_ANSWER_PHRASES = prompts.answer_phrases(PHRASES)  # what the lm-eval filter and validation pass
SPACES = (" ", "\u00a0", "\u2009", "\u202f")


def _mgsm(lang: str) -> list[tuple[str, str]]:
    with (ROOT / "resources" / "mgsm" / f"mgsm_{lang}.tsv").open(encoding="utf-8", newline="") as fh:
        return [(q, a) for q, a in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def _written(n: int, separator: str) -> str:
    """``n`` with its thousands grouped by ``separator``."""
    return f"{n:,}".replace(",", separator)


def _separators(notation: NumberNotation) -> list[str]:
    """Every separator the notation groups with, a table entry " " standing for each space."""
    return [s for sep in notation.thousands for s in (SPACES if sep == " " else (sep,))]


def test_every_study_language_has_a_notation_matching_its_mgsm_questions():
    assert len(LANGS) == 11
    for lang in LANGS:
        notation = number_notation(lang)
        questions = " ".join(q for q, _ in _mgsm(lang))
        first = notation.thousands[0]
        assert f"80{first}000" in questions or f"5{first}000" in questions, lang  # how MGSM groups thousands
        assert f"1{notation.decimal}5" in questions or f"2{notation.decimal}5" in questions, lang


@pytest.mark.parametrize("lang", LANGS)
def test_every_mgsm_gold_written_in_its_language_extracts_back(lang):
    notation = number_notation(lang)
    answer = PHRASES["languages"][lang]["answer"]
    rows = _mgsm(lang)
    assert len(rows) == 250
    tested = 0
    for question, gold in rows:
        n = int(normalize_number(gold))
        for sep in _separators(notation):
            text = f"{question}\n{answer.format(answer=_written(n, sep))}"
            assert extract_number(text, ALL_ANSWER_PHRASES, lang) == str(n), text
            assert score("math", text, gold, ALL_ANSWER_PHRASES, lang) == (str(n), True)
        tested += 1
    assert tested == 250


@pytest.mark.parametrize("lang", ["de", "es", "fr", "ru"])
def test_without_the_language_some_golds_are_misread(lang):
    """The reading the tests above rely on: with no language, German 80.000 is 80 (the old reading)."""
    answer = PHRASES["languages"][lang]["answer"]
    golds = [int(normalize_number(gold)) for _, gold in _mgsm(lang)]
    misread = [n for n in golds if extract_number(answer.format(answer=_written(n, ".")), ALL_ANSWER_PHRASES) != str(n)]
    assert len(misread) == sum(1 for n in golds if 1000 <= n < 1_000_000)  # one dot group: read as a decimal point
    assert misread


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("de", "Die Antwort ist 70.000.", "70000"),  # the dot at the sentence end is punctuation
        ("de", "Die Antwort ist 3,5.", "3.5"),  # decimal comma
        ("de", "Die Antwort ist 1.234,56 €.", "1234.56"),
        ("de", "Die Antwort ist 1.234.567.", "1234567"),
        ("de", "Die Antwort ist 80 000.", "80000"),
        ("de", "Die Antwort ist 1.5.", "1.5"),  # not three digits after the dot: an English-style decimal
        ("de", "Die Antwort ist 1,234.", "1.234"),  # a comma is the decimal mark
        ("de", "Die Antwort ist -70.000.", "-70000"),
        ("de", "Er hat 12 Äpfel, also 12.000 Kerne.", "12000"),  # fallback: the last number
        ("es", "La respuesta es 80.000.", "80000"),
        ("es", "La respuesta es 0,75.", "0.75"),
        ("fr", "La réponse est 80\u202f000 €.", "80000"),
        ("fr", "La réponse est -2\u00a0500,5.", "-2500.5"),
        ("ru", "Ответ — 1 234 567.", "1234567"),
        ("ru", "Ответ — -18.", "-18"),
        ("en", "The answer is 1.5.", "1.5"),
        ("en", "The answer is 70,000.", "70000"),
        ("en", "The answer is 1,234.5.", "1234.5"),
        ("en", "The answer is 1.234.", "1.234"),
        ("en", "The answer is 3,5.", "3.5"),  # not three digits after the comma: a decimal comma
        ("en", "The answer is -18.", "-18"),
        ("zh", "答案是 80，000。", "80000"),
        ("ja", "答えは1,234個です。", "1234"),
        ("th", "คำตอบคือ ๘๐,๐๐๐", "80000"),
        ("bn", "উত্তর হল ৮০,০০০।", "80000"),
    ],
)
def test_crafted_answers(lang, text, expected):
    assert extract_number(text, ALL_ANSWER_PHRASES, lang) == expected


def test_old_reading_is_kept_without_a_language():
    assert extract_number("Die Antwort ist 70.000.", ALL_ANSWER_PHRASES) == "70"
    assert extract_number("1.234,5") == "1234.5" and extract_number("1 234") == "1234"
    assert normalize_number("2,125") == "2125"  # MGSM golds are written the English way in every language


def test_a_language_without_a_notation_is_an_error():
    with pytest.raises(ValueError, match="no number notation for language 'xx'"):
        extract_number("The answer is 5", lang="xx")


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        (None, "expected"),
        ({"thousands": [","], "decimal": ";"}, "decimal must be"),
        ({"thousands": [], "decimal": "."}, "thousands must be a non-empty list"),
        ({"thousands": ["_"], "decimal": "."}, "thousands must be a non-empty list"),
        ({"thousands": [".", ","], "decimal": ","}, "the decimal mark .,. cannot also separate"),
    ],
)
def test_language_table_is_checked_where_it_is_loaded(tmp_path, numbers, message):
    table = json.loads(json.dumps(PHRASES))
    if numbers is None:
        del table["languages"]["de"]["numbers"]
    else:
        table["languages"]["de"]["numbers"] = numbers
    path = tmp_path / "phrases.yaml"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    with pytest.raises(ValueError, match=rf"key 'languages/de/numbers': {message}"):
        prompts.load_phrases(path)


def test_lm_eval_filter_reads_each_document_in_its_language(tmp_path):
    shutil.copy(Path(scoring.__file__).parent / "lm_eval_tasks" / "mlpt_task_utils.py", tmp_path)
    (tmp_path / "answer_phrases.json").write_text(json.dumps(ALL_ANSWER_PHRASES, ensure_ascii=False), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("mlpt_task_utils_copy", tmp_path / "mlpt_task_utils.py")
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    resps = [["Die Antwort ist 70.000."], ["The answer is 70.000."]]
    assert utils.extract_math(resps, [{"lang": "de"}, {"lang": "en"}]) == [["70000"], ["70"]]
