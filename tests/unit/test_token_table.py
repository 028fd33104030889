"""The committed table of tokens per example (mlpt.token_table) and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpt import mixture_grammar, token_table
from mlpt.spontaneous import study as sp_study

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "resources" / token_table.TABLE_FILE


def test_table_covers_every_family_task_and_language_of_study_a(paper_config):
    """Each Qwen3/Gemma3 × task × language of config/paper.yaml has a row: a training mean for the
    languages mixtures train on, prompt and answer means for every (evaluated) language."""
    trained = set(mixture_grammar.training_languages(paper_config))
    families = {spec["family"] for spec in paper_config["models"].values()}
    for family in families:
        for task in paper_config["tasks"]:
            for lang in paper_config["languages"]:
                counts = token_table.tokens_per_example(TABLE, family, task, lang)
                assert (counts.train_tokens_mean is not None) == (lang in trained), (family, task, lang)
                assert counts.eval_prompt_tokens_mean and counts.answer_tokens_mean, (family, task, lang)
                assert counts.source


def test_table_covers_study_b_for_qwen15(spontaneous_config):
    """A training mean for every language a mixture of the task translates into the pivot (the table
    keys rows by language: the X->zh directions are not rows of it)."""
    for task in spontaneous_config["tasks"]:
        trained = {d for d in sp_study.qt_directions(spontaneous_config, task)
                   if sp_study.direction_languages(d, spontaneous_config)[1] == spontaneous_config["source_language"]}
        for lang in spontaneous_config["languages"]:
            counts = token_table.tokens_per_example(TABLE, "qwen1.5", task, lang)
            assert (counts.train_tokens_mean is not None) == (lang in trained), (task, lang)


def test_real_lengths_differ_by_language():
    """What the flat 400/600 of the plan missed: Bengali math costs Qwen3 about three times English."""
    en = token_table.tokens_per_example(TABLE, "qwen3", "math", "en").train_tokens_mean
    bn = token_table.tokens_per_example(TABLE, "qwen3", "math", "bn").train_tokens_mean
    assert 2.5 < bn / en < 4


def test_unknown_row_names_what_the_table_has():
    with pytest.raises(KeyError, match="no row for family 'qwen3', task 'math', language 'xx'.*'bn'"):
        token_table.tokens_per_example(TABLE, "qwen3", "math", "xx")


def test_write_and_read_back(tmp_path):
    rows = [{"family": "f", "task": "t", "language": "en", "train_tokens_mean": 12.345, "eval_prompt_tokens_mean": 3.0,
             "answer_tokens_mean": 4.0, "source": "measured, with a comma"},
            {"family": "f", "task": "t", "language": "te", "train_tokens_mean": None, "eval_prompt_tokens_mean": 5.0,
             "answer_tokens_mean": 6.0, "source": "estimated"}]
    path = tmp_path / "plan" / "table.csv"
    token_table.write_table(path, rows)
    assert token_table.tokens_per_example(path, "f", "t", "en") == token_table.TokenCounts(12.3, 3.0, 4.0,
                                                                                           "measured, with a comma")
    assert token_table.tokens_per_example(path, "f", "t", "te").train_tokens_mean is None


@pytest.mark.parametrize("text, error", [
    ("family,task,language,train\n", "columns"),
    (",".join(token_table.COLUMNS) + "\nf,t,en,1,2,3,s\nf,t,en,1,2,3,s\n", r":3: \('f', 't', 'en'\) listed twice"),
    (",".join(token_table.COLUMNS) + "\nf,t,en,-1,2,3,s\n", ":2: train_tokens_mean: -1.0 is not a positive"),
    (",".join(token_table.COLUMNS) + "\nf,t,en,many,2,3,s\n", ":2: train_tokens_mean: 'many' is not a number"),
])
def test_bad_table_is_refused_naming_the_line(tmp_path, text, error):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        token_table.read_table(path)
