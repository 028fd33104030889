"""Tests for mlpt.spontaneous.prompts: study B's few-shot prompts and their wording file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mlpt.spontaneous import data, prompts

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "resources" / prompts.PROMPTS_FILE
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
needs_shared = pytest.mark.skipif(not (SHARED / "ap_emotion").is_dir(),
                                  reason=f"study B's test sets are not beside the repository ({SHARED})")


@pytest.fixture(scope="module")
def spec() -> dict:
    return prompts.load_prompt_spec(SPEC_FILE)


def _rec(task, lang, i, label, **fields):
    return {"id": f"{task}-{i:04d}", "task": task, "lang": lang, "label": label, **fields}


def test_english_amazon_prompt_renders_exactly(spec):
    exemplars = [_rec("amazon", "en", 0, "positive", review="Works great, would buy again."),
                 _rec("amazon", "en", 1, "negative", review=" Cheap plastic.\n")]
    item = _rec("amazon", "en", 2, "negative", review="It broke on day two.")
    assert prompts.build_prompt(spec, "amazon", item, exemplars) == (
        'Answer "positive" if the reviewer liked the product and "negative" if not.\n'
        "\n"
        "Review: Works great, would buy again.\n"
        'Answer: "positive"\n'
        "\n"
        "Review: Cheap plastic.\n"
        'Answer: "negative"\n'
        "\n"
        "Review: It broke on day two.\n"
        'Answer: "'
    )


def test_chinese_snli_prompt_renders_exactly(spec):
    exemplars = [_rec("snli", "zh", 4, "contradiction", premise="一个男人在跑步。", hypothesis="这个男人在睡觉。"),
                 _rec("snli", "zh", 9, "entailment", premise="两只狗在草地上玩。", hypothesis="动物在户外。")]
    item = _rec("snli", "zh", 1, "neutral", premise="一个女孩在读书。", hypothesis="女孩在准备考试。")
    assert prompts.build_prompt(spec, "snli", item, exemplars) == (
        '如果假设可以从前提推出，回答"entailment"；如果假设可能成立也可能不成立，回答"neutral"；'
        '如果假设不可能成立，回答"contradiction"。\n'
        "\n"
        "前提: 一个男人在跑步。\n"
        "假设: 这个男人在睡觉。\n"
        '答案: "contradiction"\n'
        "\n"
        "前提: 两只狗在草地上玩。\n"
        "假设: 动物在户外。\n"
        '答案: "entailment"\n'
        "\n"
        "前提: 一个女孩在读书。\n"
        "假设: 女孩在准备考试。\n"
        '答案: "'
    )


def test_control_words_replace_labels_everywhere(spec):
    ex = [_rec("amazon", "de", 0, "positive", review="Gut."), _rec("amazon", "de", 1, "negative", review="Schlecht.")]
    text = prompts.build_prompt(spec, "amazon", _rec("amazon", "de", 2, "positive", review="Toll."), ex,
                                label_words=("ox", "horse"))
    assert text.startswith('Antworte "ox", wenn') and '"horse"' in text.split("\n")[0]
    assert 'Antwort: "ox"\n' in text and 'Antwort: "horse"\n' in text
    assert "positive" not in text and "negative" not in text
    assert text.endswith('Rezension: Toll.\nAntwort: "')


def test_exemplars_must_be_other_items_of_the_language(spec):
    item = _rec("amazon", "en", 2, "positive", review="x")
    with pytest.raises(ValueError, match="same language"):
        prompts.build_prompt(spec, "amazon", item, [_rec("amazon", "en", 2, "positive", review="x")])
    with pytest.raises(ValueError, match="same language"):
        prompts.build_prompt(spec, "amazon", item, [_rec("amazon", "zh", 3, "positive", review="y")])


def test_wording_file_covers_the_papers_languages(spec):
    assert set(spec["languages"]) == set(data.LANGUAGES)
    for lang in data.LANGUAGES:
        for task, tspec in data.TASKS.items():
            text = prompts.instruction(spec, task, lang)
            assert all(f'"{w}"' in text for w in tspec.labels), (lang, task)
    assert prompts.language_name(spec, "no") == "Norwegian" and prompts.language_name(spec, "zh") == "Chinese"


def test_wording_file_errors_name_the_key(tmp_path):
    text = SPEC_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("and {1} if not.\"\n      snli", "and {0} if not.\"\n      snli", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="languages/en/instructions/amazon"):
        prompts.load_prompt_spec(bad)
    bad.write_text(text.replace("premise: Premise, ", "", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"languages/en/fields: missing \['premise'\]"):
        prompts.load_prompt_spec(bad)


def test_exemplar_draw_is_balanced_seeded_and_never_the_item():
    labels = ["entailment", "neutral", "contradiction"] * 10
    for i in range(len(labels)):
        rows = prompts.exemplar_indices(labels, i, "snli", seed=3)
        assert len(rows) == 6 and i not in rows and len(set(rows)) == 6
        assert Counter(labels[j] for j in rows) == {"entailment": 2, "neutral": 2, "contradiction": 2}
        assert rows == prompts.exemplar_indices(labels, i, "snli", seed=3)
    draws = {tuple(prompts.exemplar_indices(labels, 0, "snli", seed=s)) for s in range(5)}
    assert len(draws) > 1
    with pytest.raises(ValueError, match="other rows labelled 'same'"):
        prompts.exemplar_indices(["same", "same", "different", "different"], 0, "paws")


def test_unknown_language_is_named(spec):
    with pytest.raises(KeyError, match="'xx'"):
        prompts.instruction(spec, "snli", "xx")


def test_build_prompts_one_language_at_a_time(spec):
    recs = [_rec("amazon", "en", 0, "positive", review="a"), _rec("amazon", "zh", 1, "negative", review="b")]
    with pytest.raises(ValueError, match="several languages"):
        prompts.build_prompts(spec, "amazon", recs)


@needs_shared
def test_prompts_on_the_test_sets_are_parallel(spec):
    en = data.read_test_set(SHARED, "paws", "en")
    zh = data.read_test_set(SHARED, "paws", "zh")
    en_prompts = prompts.build_prompts(spec, "paws", en[:40], seed=0)
    zh_prompts = prompts.build_prompts(spec, "paws", zh[:40], seed=0)
    labels = [r["label"] for r in en[:40]]
    for i in (0, 7, 39):
        rows = prompts.exemplar_indices(labels, i, "paws", seed=0)
        assert en_prompts[i] == prompts.build_prompt(spec, "paws", en[i], [en[j] for j in rows])
        assert zh_prompts[i] == prompts.build_prompt(spec, "paws", zh[i], [zh[j] for j in rows])
        assert en_prompts[i].endswith('Answer: "') and zh_prompts[i].endswith('答案: "')
        assert en_prompts[i].count('Answer: "') == 5  # 4 exemplars and the item
        assert en_prompts[i].count(en[i]["sentence1"].strip()) == 1


@needs_shared
@pytest.mark.parametrize("lang", ["zh", "de", "es", "it", "sw"])
def test_question_block_is_the_papers_question_format(spec, lang):
    """The English side of the paper's SNLI question-translation pairs is exactly our question
    block of the same English training item (ours strips the texts: the 11 rows that differ have
    white space around a text), and the other side uses our field names of that language."""
    en = data.read_items(SHARED / "snli" / "snli_en10k_train.json.gz", "snli", "en")
    pairs = data.read_qt_pairs(SHARED / "snli" / f"snli_{lang}10k_train_question.json.gz")
    assert len(pairs) == len(en) == 10_000
    for rec, pair in zip(en, pairs):
        padded = any(rec[f] != rec[f].strip() for f in ("premise", "hypothesis"))
        assert padded or prompts.render_question(spec, "snli", rec) == pair["english"], rec["id"]
    assert pairs[0]["language"] == prompts.language_name(spec, lang)
    names = spec["languages"][lang]["fields"]
    for pair in pairs:
        assert pair["question"].startswith(names["premise"] + ": ")
        assert f"\n{names['hypothesis']}: " in pair["question"]
        assert pair["question"].endswith(f'\n{names["answer"]}: "')


def test_question_pairs_match_by_id(spec):
    en = [_rec("paws", "en", 0, "same", sentence1="A b.", sentence2="B a.")]
    ja = [_rec("paws", "ja", 0, "same", sentence1="甲。", sentence2="乙。")]
    assert prompts.question_pairs(spec, "paws", ja, en) == [
        ('文1: 甲。\n文2: 乙。\n答え: "', 'Sentence 1: A b.\nSentence 2: B a.\nAnswer: "')]
    with pytest.raises(ValueError, match="no English counterpart"):
        prompts.question_pairs(spec, "paws", [_rec("paws", "ja", 5, "same", sentence1="x", sentence2="y")], en)
