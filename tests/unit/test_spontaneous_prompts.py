"""Tests for mlpt.spontaneous.prompts: study B's few-shot prompts and their wording file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mlpt.spontaneous import data, prompts
from mlpt.spontaneous import prompts as sb

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
        assert padded or prompts.render_question(spec, "snli", rec) == pair["answer"], rec["id"]
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


# --------------------------------------------------------------------------- #
# The authors' prompt (evaluation.prompt_style: authors), parsed from their evaluation scripts.
# The real scripts are fetched at run time and never shipped; these fixtures are SYNTHETIC scripts
# with the same structure (module-level prompt_prefix and answer dictionaries, an
# `if target_lang == ...: input = [...]` chain, the gold comparison), with made-up texts.
# --------------------------------------------------------------------------- #
SYNTHETIC_AMAZON = '''
import sys
open("/nonexistent/synthetic/model/path")  # would fail if the parser executed the script
target_lang = 'en'
prompt_prefix = {'en': \'\'\'Synthetic review one, liked it.
Mood: "positive"   
Synthetic review two, disliked it.
Mood: "negative"\'\'\',
                 'zz': \'\'\'Zynthetic one.
Zood: "positive"
Zynthetic two.
Zood: "negative"\'\'\'}
positive_answers = {'en': 'positive', 'zz': 'zpos'}
negative_answers = {'en': 'negative', 'zz': 'zneg'}
for step, inputs in enumerate(loader):
    if target_lang == 'en':
        input = [prompt_prefix['en'] + '\\n' + i + '\\nMood: \\"' for i in inputs['input']]
    elif target_lang == 'zz':
        input = [prompt_prefix['zz'] + '\\n' + i + '\\nZood: \\"' for i in inputs['input']]
    for i in range(len(input)):
        if pred == 'positive':
            if (inputs['answer'][i] == positive_answers[target_lang]):
                correct += 1
        else:
            if (inputs['answer'][i] == negative_answers[target_lang]):
                correct += 1
'''

SYNTHETIC_PAWS = '''
prompt_prefix = {'en': \'\'\'Sentence 1: a b
Sentence 2: b a
Answer: "same"
Sentence 1: c d
Sentence 2: e f
Answer: "different"
Sentence 1: g h
Sentence 2: h g
Answer: "same"
Sentence 1: i j
Sentence 2: k l
Answer: "different"\'\'\'}
positive_answers = {'en': 'same', 'zz': ''}
negative_answers = {'en': 'different', 'zz': ''}
if target_lang == 'en':
    input = [prompt_prefix['en'] + '\\n' + "Sentence 1: " + s1 + "\\nSentence 2: " + s2 + '\\nAnswer: \\"' for s1, s2 in zip(inputs["sentence1"], inputs["sentence2"])]
if (inputs['answer'][i] == positive_answers['en']):
    pass
if (inputs['answer'][i] == negative_answers['en']):
    pass
'''


def _script(tmp_path, task: str, text: str) -> Path:
    path = sb.authors_script_path(tmp_path, task)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def amazon_authors(tmp_path):
    _script(tmp_path, "amazon", SYNTHETIC_AMAZON)
    return sb.load_authors_prompts(tmp_path, "amazon")


def test_authors_prompt_renders_their_layout_exactly(amazon_authors):
    rec = {"id": "amazon-0001", "lang": "zz", "review": "A zynthetic test review. ", "label": "positive"}
    # fixed exemplars in their order, one "\n" between blocks, no instruction, their localized answer
    # field, the item's text as in the file (not stripped), ending with the open quote
    assert sb.authors_prompt(amazon_authors, rec) == (
        'Zynthetic one.\nZood: "positive"\nZynthetic two.\nZood: "negative"\nA zynthetic test review. \nZood: "')
    en = dict(rec, lang="en", review="Another one")
    assert sb.authors_prompt(amazon_authors, en).endswith('Mood: "negative"\nAnother one\nMood: "')
    assert '"positive"   \n' in sb.authors_prompt(amazon_authors, en)  # their trailing spaces kept


def test_authors_script_is_parsed_not_executed(tmp_path):
    # the synthetic script opens a missing file at module level: executing it would raise
    ap = sb.parse_authors_script(_script(tmp_path, "amazon", SYNTHETIC_AMAZON), "amazon")
    assert sorted(ap.queries) == ["en", "zz"] and ap.queries["zz"][0] == ("prefix", "zz")
    assert ap.answer_lines["en"] == ((1, "positive"), (3, "negative"))


def test_authors_control_replaces_the_exemplar_answers(amazon_authors):
    rec = {"id": "amazon-0001", "lang": "en", "review": "x", "label": "positive"}
    text = sb.authors_prompt(amazon_authors, rec, ("ox", "horse"))
    assert text == ('Synthetic review one, liked it.\nMood: "ox"   \nSynthetic review two, disliked it.\n'
                    'Mood: "horse"\nx\nMood: "')
    assert "positive" not in text and "negative" not in text


def test_test_items_that_are_exemplars_are_flagged(amazon_authors):
    seen = {"id": "amazon-0099", "lang": "zz", "review": "Zynthetic one.", "label": "positive"}
    other = {"id": "amazon-0005", "lang": "zz", "review": "Zynthetic one, longer.", "label": "positive"}
    assert sb.authors_exemplar_answer(amazon_authors, seen) == "positive"
    assert sb.authors_exemplar_answer(amazon_authors, other) is None
    assert sb.authors_exemplar_answer(amazon_authors, dict(seen, review="Zynthetic two.")) == "negative"


def test_authors_gold_words_per_language_or_fixed(amazon_authors, tmp_path):
    # the authors' scorer compares the file's answer with their dictionary word: a file word that
    # differs (as their SNLI ja neutral 中性 vs 中立) can never be credited there
    rec = {"lang": "zz", "label": "positive", "label_local": "zpos"}
    assert sb.authors_gold_matches(amazon_authors, rec) is True
    assert sb.authors_gold_matches(amazon_authors, dict(rec, label_local="zpositive")) is False
    paws = sb.parse_authors_script(_script(tmp_path, "paws", SYNTHETIC_PAWS), "paws")
    assert paws.gold_language == "en"  # PAWS compares with positive_answers['en']
    assert sb.authors_gold_matches(paws, {"lang": "en", "label": "same", "label_local": "same"}) is True
    assert sb.authors_prompt(paws, {"lang": "en", "sentence1": "u v", "sentence2": "v u"}).endswith(
        'Answer: "different"\nSentence 1: u v\nSentence 2: v u\nAnswer: "')


def test_project_scorer_does_not_inherit_the_gold_word_mismatch():
    # this project reads each row's English label from the parallel English file, so a localized
    # gold word the authors' dictionary lacks (ja 中性) still scores as neutral
    assert data.english_labels(["中性", "含意", "矛盾"], ["neutral", "entailment", "contradiction"], "ja") == [
        "neutral", "entailment", "contradiction"]


def test_missing_authors_script_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="emotion_eval_2shot_enout.py"):
        sb.load_authors_prompts(tmp_path, "amazon")
    with pytest.raises(FileNotFoundError, match="snli_eval_6shot_enout.py"):
        sb.load_authors_prompts(None, "snli")


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("positive_answers = {'en': 'positive', 'zz': 'zpos'}",
                         "positive_answers = dict(en='positive', zz='zpos')"), "'positive_answers' is not a literal"),
    (lambda s: s.replace("elif target_lang == 'zz':", "elif target_lang == 'yy':"),
     r"\['yy', 'zz'\] have a prefix or a query"),
    (lambda s: s.replace('Zood: "negative"', 'Zood: "positive"', 1), "expected 2 balanced"),
    (lambda s: s.replace("inputs['input']]", "inputs['review']]"), "not one of"),
    (lambda s: s.replace("negative_answers[target_lang]", "negative_answers['en']"), "one key"),
])
def test_malformed_authors_scripts_are_errors_naming_the_file(tmp_path, edit, message):
    text = edit(SYNTHETIC_AMAZON)
    assert text != SYNTHETIC_AMAZON
    path = _script(tmp_path, "amazon", text)
    with pytest.raises(sb.AuthorsScriptError, match=message) as err:
        sb.parse_authors_script(path, "amazon")
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------- #
# LLaMA-Factory's templates (resources/models/hiyouga--LLaMA-Factory, commit 6ebde4f2)
# --------------------------------------------------------------------------- #
def _template_tokenizer(name: str, bos: str, eos: str):
    from tokenizers import Tokenizer, models as tok_models
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(tok_models.WordLevel({"<unk>": 0, bos: 1, eos: 2},
                                                                                  unk_token="<unk>")),
                                  bos_token=bos, eos_token=eos, unk_token="<unk>")
    tok.chat_template = (ROOT / "resources" / "models" / "hiyouga--LLaMA-Factory" / name).read_text(encoding="utf-8")
    return tok


def test_llamafactory_mistral_template():
    from mlpt import prompts as chat

    tok = _template_tokenizer("mistral.jinja", "<s>", "</s>")
    assert chat.chat_completion(tok, "Frage?", "Question?") == ("<s>[INST] Frage? [/INST]", "Question?</s>")


def test_llamafactory_qwen_template():
    from mlpt import prompts as chat

    tok = _template_tokenizer("qwen.jinja", "<|endoftext|>", "<|endoftext|>")
    prompt, completion = chat.chat_completion(tok, "问题?", "Question?")
    assert prompt == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                      "<|im_start|>user\n问题?<|im_end|>\n<|im_start|>assistant\n")
    assert completion == "Question?<|im_end|>"
    two = tok.apply_chat_template([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                   {"role": "user", "content": "c"}], tokenize=False)
    assert two.endswith("b<|im_end|>\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n")  # separator "\n"


def test_authors_prompt_style_is_the_default_and_fetches_the_scripts(spontaneous_config):
    from mlpt import config as study_config
    from mlpt.spontaneous import study

    cfg = study_config.validate(spontaneous_config, source="b.yaml")
    assert cfg["evaluation"]["prompt_style"] == "authors" and cfg["evaluation"]["label_tokens"] == "authors"
    sums = study.read_checksums(ROOT / "resources/spontaneous/reference.sha256")
    for task, script in sb.EVAL_SCRIPTS.items():
        assert script in study.reference_files(cfg, task, sums)  # fetched and checked against its sha256


def test_authors_prompt_style_needs_the_reference_source(spontaneous_config):
    from mlpt import config as study_config
    from mlpt.config import ConfigError

    spontaneous_config["tasks"]["snli"]["source"] = "shipped"
    with pytest.raises(ConfigError, match="evaluation/prompt_style"):
        study_config.validate(spontaneous_config, source="b.yaml")
    spontaneous_config["evaluation"]["prompt_style"] = "instruction"
    study_config.validate(spontaneous_config, source="b.yaml")
