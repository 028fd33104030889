"""Language fidelity: the offline identifier recognises every study language."""

import csv

import pytest

from mlpt import language_id

LANGS = ["en", "es", "ja", "bn", "sw", "te", "fr", "de", "ru", "zh", "th"]


@pytest.fixture(scope="module")
def identify():
    return language_id.LanguageIdentifier(LANGS)


def test_identifies_every_mgsm_language(identify, root):
    for lang in LANGS:
        with open(root / f"resources/mgsm/mgsm_{lang}.tsv", encoding="utf-8", newline="") as fh:
            questions = [q for q, _ in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
        hits = sum(identify(q) == lang for q in questions)
        assert hits / len(questions) >= 0.97, (lang, hits)


def test_text_without_letters_has_no_language(identify):
    assert identify("7 + 5 = 12.") is None and identify("") is None


def test_fidelity_share(identify):
    answers = ["Die Antwort ist 12.", "La respuesta es 12.", "12"]
    assert language_id.fidelity(answers, "de", identify) == pytest.approx(1 / 3)
    assert language_id.fidelity([], "de", identify) is None
