"""The language table is the one home of per-language rules: sentence ends before MT and the BLEU
tokeniser come from it, it is checked where it is loaded, and a language it lacks is an error."""

import json

import pytest

from mlpt import languages, prompts, sentences, translate


def test_every_sentence_end_of_the_table_has_a_pattern():
    assert set(sentences.BOUNDARY) == set(languages.SENTENCE_ENDS)


def test_the_shipped_table_gives_every_language_its_rules():
    table = languages.load_table(languages.SHIPPED_TABLE)["languages"]
    ends = {lang: languages.sentence_end(lang) for lang in table}
    assert ends["ja"] == ends["zh"] == "cjk" and ends["bn"] == ends["te"] == "danda" and ends["th"] == "space"
    assert {lang for lang in table if languages.bleu_tokenize(lang) == "char"} == {"ja", "zh", "th"}


def test_a_language_without_rules_is_an_error_not_latin():
    with pytest.raises(ValueError, match="no sentence ends for language 'xx' in .*phrases.yaml"):
        sentences.split("One. Two. Three. Four.", "xx", 8)
    with pytest.raises(ValueError, match="no BLEU tokeniser for language 'xx'"):
        translate.score_translations(["a"], ["a"], "xx")
    with pytest.raises(ValueError, match="no number notation for language 'xx'"):
        languages.number_notation("xx")


@pytest.mark.parametrize(("key", "value"), [("sentence_end", None), ("sentence_end", "comma"),
                                            ("bleu_tokenize", None), ("bleu_tokenize", "intl")])
def test_the_table_is_checked_where_it_is_loaded(tmp_path, key, value):
    table = json.loads(json.dumps(languages.load_table(languages.SHIPPED_TABLE)))
    if value is None:
        del table["languages"]["de"][key]
    else:
        table["languages"]["de"][key] = value
    path = tmp_path / "phrases.yaml"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    with pytest.raises(ValueError, match=rf"key 'languages/de/{key}': expected one of"):
        prompts.load_phrases(path)
