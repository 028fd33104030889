"""The real Qwen3 / Qwen1.5 and Gemma3 tokenizers (mlpt.real_tokenizers) against token ids that
others published, and the project's chat rendering and response mask under them.

Every expected id list below is copied from a public test or snapshot, cited with repository,
path and commit. The tokenizers are built from files of the package registry (cached after the
first build, ~40 s, mostly the GGUF read); without the registry the tests skip with its reason.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest

from mlpt import prompts, real_tokenizers, registry, sft

ROOT = Path(__file__).resolve().parents[2]
PHRASES = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")
MGSM_LANGS = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")


def _build(factory):
    try:
        return factory()
    except registry.RegistryUnavailable as err:
        pytest.skip(f"package registry unreachable: {err}")


@pytest.fixture(scope="session")
def qwen3():
    return _build(real_tokenizers.qwen3_tokenizer)


@pytest.fixture(scope="session")
def qwen15():
    return _build(real_tokenizers.qwen15_tokenizer)


@pytest.fixture(scope="session")
def gemma3():
    return _build(real_tokenizers.gemma3_tokenizer)


def _ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


# --------------------------------------------------------------------------- #
# Qwen2 vocabulary (Qwen1.5, Qwen3): published ids
# --------------------------------------------------------------------------- #
# llama.cpp's tokenizer test for the "qwen2" vocabulary (written by its convert_hf_to_gguf_update.py
# with the Hugging Face tokenizer of Qwen/Qwen1.5-7B, encode(text, add_special_tokens=False)): inputs from ggerganov/llama.cpp
# models/ggml-vocab-qwen2.gguf.inp (commit e31d5c63812eaeb412ba1354a6bdf4aeb8a6e5bb), ids from
# models/ggml-vocab-qwen2.gguf.out (commits 362f71e454695ca552c2ba1b4ad1fcd0b5f8f30a and
# 807b0c49ff7071094f97ebc3a0a8e2b9e274f503, identical for these cases).
LLAMA_CPP_QWEN2 = [
    ("ied 4 ½ months", [1122, 220, 19, 220, 26062, 3951]),
    ("Führer", [37, 50753, 261]),
    (" ", [220]),
    ("  ", [256]),
    ("   ", [262]),
    ("\t", [197]),
    ("\n", [198]),
    ("\n\n", [271]),
    ("\n\n\n", [1406]),
    ("\t\n", [1572]),
    ("Hello world", [9707, 1879]),
    (" Hello world", [21927, 1879]),
    ("Hello World", [9707, 4337]),
    (" Hello World", [21927, 4337]),
    (" Hello World!", [21927, 4337, 0]),
    ("Hello, world!", [9707, 11, 1879, 0]),
    (" Hello, world!", [21927, 11, 1879, 0]),
    (" this is \U0001f999.cpp", [419, 374, 11162, 99, 247, 13, 10821]),
    ("w048 7tuijk dsdfhu", [86, 15, 19, 23, 220, 22, 83, 1963, 41808, 11472, 2940, 16739]),
    ("нещо на Български", [78762, 14144, 1456, 13073, 63471, 33594, 3038, 133178, 79012]),
    ("កាន់តែពិសេសអាចខលចេញ", [146394, 97529, 241, 44258, 233, 146568, 44258, 224, 147603, 20879, 115, 146280, 44258,
                            223, 146280, 147272, 97529, 227, 147805, 148301, 147270, 44258, 223, 146848]),
    ("\U0001f680 (normal) \U0001f636\u200d\U0001f32b\ufe0f (multiple emojis concatenated) \u2705 (only emoji that has "
     "its own token)", [145836, 320, 8252, 8, 26525, 114, 378, 235, 149921, 30543, 320, 35673, 99066, 97534, 8, 25521,
                        227, 320, 3243, 42365, 429, 702, 1181, 1828, 3950, 8]),
    ("Hello", [9707]),
    (" Hello", [21927]),
    ("  Hello", [220, 21927]),
    ("   Hello", [256, 21927]),
    ("    Hello", [262, 21927]),
    ("    Hello\n    Hello", [262, 21927, 198, 262, 21927]),
    (" (", [320]),
    ("\n =", [198, 284]),
    ("' era", [6, 11385]),
    ("Hello, y'all! How are you \U0001f601 ?我想在apple工作1314151天～",
     [9707, 11, 379, 64848, 0, 2585, 525, 498, 26525, 223, 937, 104100, 18493, 22377, 99257, 16, 18, 16, 19, 16, 20, 16,
      35727, 21216]),
    ("3", [18]),
    ("33", [18, 18]),
    ("333333333", [18] * 9),
]

# transformers' slow integration test of the Qwen2 tokenizer (model Qwen/Qwen-tokenizer at revision
# 5909c8222473b2c73b0b73fb054552cd4ef6a8eb): huggingface/transformers
# tests/models/qwen2/test_tokenization_qwen2.py, test_tokenizer_integration (commit
# 04bee35c8777d027a981e061f32fc12a1b3265d3); the padding (151643 where attention_mask is 0) left out.
TRANSFORMERS_QWEN2 = [
    ("Transformers (formerly known as pytorch-transformers and pytorch-pretrained-bert) provides "
     "general-purpose architectures (BERT, GPT-2, RoBERTa, XLM, DistilBert, XLNet...) for Natural "
     "Language Understanding (NLU) and Natural Language Generation (NLG) with over 32+ pretrained "
     "models in 100+ languages and deep interoperability between Jax, PyTorch and TensorFlow.",
     [8963, 388, 320, 69514, 3881, 438, 4510, 27414, 32852, 388, 323, 4510, 27414, 21334, 35722, 1455, 529, 8, 5707,
      4586, 58238, 77235, 320, 61437, 11, 479, 2828, 12, 17, 11, 11830, 61437, 64, 11, 1599, 10994, 11, 27604, 321, 33,
      529, 11, 29881, 6954, 32574, 369, 18448, 11434, 45451, 320, 45, 23236, 8, 323, 18448, 11434, 23470, 320, 30042,
      38, 8, 448, 916, 220, 18, 17, 10, 80669, 4119, 304, 220, 16, 15, 15, 10, 15459, 323, 5538, 94130, 2897, 1948,
      619, 706, 11, 5355, 51, 21584, 323, 94986, 13]),
    ("🤗 Transformers 提供了可以轻松地下载并且训练先进的预训练模型的 API 和工具。使用预训练模型可以减少计算消耗和碳排放，"
     "并且节省从头训练所需要的时间和资源。",
     [144834, 80532, 93685, 83744, 34187, 73670, 104261, 29490, 62189, 103937, 104034, 102830, 98841, 104034, 104949,
      9370, 5333, 58143, 102011, 1773, 37029, 98841, 104034, 104949, 73670, 101940, 100768, 104997, 33108, 100912,
      105054, 90395, 100136, 106831, 45181, 64355, 104034, 113521, 101975, 33108, 85329, 1773]),
    ('```python\ntokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen-tokenizer")\ntokenizer("世界，你好！")```',
     [73594, 12669, 198, 85593, 284, 8979, 37434, 6387, 10442, 35722, 445, 48, 16948, 45274, 16948, 34841, 3135, 1138,
      85593, 445, 99489, 3837, 108386, 6313, 899, 73594]),
]
QWEN2_PUBLISHED = LLAMA_CPP_QWEN2 + TRANSFORMERS_QWEN2


def _mismatches(encode, cases) -> list[tuple[str, list[int], list[int]]]:
    return [(text, want, got) for text, want in cases if (got := encode(text)) != want]


def test_qwen3_matches_published_ids(qwen3):
    assert _mismatches(lambda t: _ids(qwen3, t), QWEN2_PUBLISHED) == []


def test_qwen_tokenizer_json_alone_matches_published_ids(qwen3):
    """The built tokenizer.json (normaliser, split pattern, merges) gives the ids by itself:
    transformers' Qwen2Tokenizer takes only its vocabulary, merges and added tokens."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_file(str(Path(qwen3.name_or_path) / "tokenizer.json"))
    assert _mismatches(lambda t: backend.encode(t, add_special_tokens=False).ids, QWEN2_PUBLISHED) == []


def test_qwen15_shares_the_vocabulary(qwen15):
    assert _mismatches(lambda t: _ids(qwen15, t), QWEN2_PUBLISHED) == []


def test_qwen_decodes_what_it_encodes(qwen3):
    for text, _ in QWEN2_PUBLISHED:
        assert qwen3.decode(_ids(qwen3, text)) == text


def test_qwen3_added_tokens_as_in_the_checkpoint(qwen3):
    """Every added token of Qwen3's tokenizer_config.json at its id with its special flag; EOS and
    padding <|endoftext|>, no BOS, nothing added to plain text."""
    config = json.loads((ROOT / "resources/models/Qwen--Qwen3-0.6B-Base/tokenizer_config.json").read_text())
    decoder = {int(i): spec for i, spec in config["added_tokens_decoder"].items()}
    assert len(qwen3) == 151_669 == max(decoder) + 1
    assert {i: (t.content, t.special) for i, t in qwen3.added_tokens_decoder.items()} == \
        {i: (spec["content"], spec["special"]) for i, spec in decoder.items()}
    assert qwen3.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]) == \
        [151643, 151644, 151645, 151667, 151668]
    assert (qwen3.eos_token_id, qwen3.pad_token_id, qwen3.bos_token_id) == (151643, 151643, None)
    assert qwen3("Hello world")["input_ids"] == [9707, 1879]
    # special tokens in text are single tokens; <think> (special=false) too
    assert _ids(qwen3, "<|im_start|>user\n<think>") == [151644, 872, 198, 151667]


def test_qwen15_added_tokens(qwen15):
    assert len(qwen15) == 151_646
    assert {i: t.content for i, t in qwen15.added_tokens_decoder.items()} == \
        {151643: "<|endoftext|>", 151644: "<|im_start|>", 151645: "<|im_end|>"}
    assert _ids(qwen15, "<think>") != [151667]


# --------------------------------------------------------------------------- #
# Gemma3: published ids
# --------------------------------------------------------------------------- #
# Text Generation Inference's integration snapshot for google/gemma-3-4b-it (same vocabulary as
# every Gemma3): huggingface/text-generation-inference
# integration-tests/models/__snapshots__/test_flash_gemma3/test_flash_gemma3.json (commit
# 1dae916a38da7dbabb3b343075b980dcd882ee14): the 100 generated tokens and the generated text.
TGI_GEMMA3_TEXT = (
    " people died in the United States.\n\nThe generally accepted estimate is that 675,000 people died in the United "
    "States. However, some historians believe the actual number could be as high as 10 million.\n\nI am looking for "
    "more information on this discrepancy and the factors that contributed to the wide range of estimates.\n\nHere's a "
    "breakdown of the factors contributing to the wide range of estimates for the 1918 flu pandemic death toll in the "
    "United States"
)
TGI_GEMMA3_IDS = [
    1331, 8390, 528, 506, 3640, 4184, 236761, 108, 818, 6816, 10951, 10967, 563, 600, 236743, 236825, 236832, 236810,
    236764, 236771, 236771, 236771, 1331, 8390, 528, 506, 3640, 4184, 236761, 3153, 236764, 1070, 61806, 4646, 506,
    5396, 1548, 1451, 577, 618, 1494, 618, 236743, 236770, 236771, 3625, 236761, 108, 236777, 1006, 3182, 573, 919,
    1938, 580, 672, 59725, 532, 506, 5872, 600, 19263, 531, 506, 5777, 2644, 529, 14287, 236761, 108, 8291, 236789,
    236751, 496, 25890, 529, 506, 5872, 20894, 531, 506, 5777, 2644, 529, 14287, 573, 506, 236743, 236770, 236819,
    236770, 236828, 7745, 10248, 4355, 25363, 528, 506, 3640, 4184,
]
# The same repository, .../test_flash_gemma3/test_exceed_window.json (commit
# d5b78ba16fb61eddab6744ee8ad5436a52db2255): 16 generated tokens ending with <end_of_turn> (special).
TGI_GEMMA3_WINDOW = (" the people, and the food.\n\nThis is a nice place.\n<end_of_turn>",
                     [506, 1331, 236764, 532, 506, 2780, 236761, 108, 2094, 563, 496, 6290, 1977, 236761, 107, 106])


def test_gemma3_matches_published_ids(gemma3):
    assert len(TGI_GEMMA3_IDS) == 100
    assert _ids(gemma3, TGI_GEMMA3_TEXT) == TGI_GEMMA3_IDS
    assert gemma3.decode(TGI_GEMMA3_IDS) == TGI_GEMMA3_TEXT
    text, ids = TGI_GEMMA3_WINDOW
    assert _ids(gemma3, text) == ids


def test_gemma3_special_tokens(gemma3):
    """Ids as in resources/models/google--gemma-3-1b-pt/special_tokens.json; BOS added to plain text."""
    marks = json.loads((ROOT / "resources/models/google--gemma-3-1b-pt/special_tokens.json").read_text())["marker_ids"]
    text_marks = {t: i for t, i in marks.items() if t != "<image_soft_token>"}  # 262144: the multimodal 4B only
    assert {t: gemma3.convert_tokens_to_ids(t) for t in text_marks} == text_marks
    assert len(gemma3) == 262_144
    assert (gemma3.bos_token_id, gemma3.eos_token_id, gemma3.pad_token_id) == (2, 1, 0)
    assert gemma3("Hello world")["input_ids"][0] == 2


def test_round_trip_in_every_mgsm_language(gemma3, qwen3):
    """Decoding gives the text back: exactly for Gemma3, in Unicode NFC for Qwen (its normaliser;
    some of MGSM's Bengali is decomposed)."""
    for lang in MGSM_LANGS:
        questions = _mgsm(lang)[:50]
        assert [gemma3.decode(ids) for ids in gemma3(questions, add_special_tokens=False)["input_ids"]] == questions
        assert [qwen3.decode(ids) for ids in qwen3(questions, add_special_tokens=False)["input_ids"]] == \
            [_nfc(q) for q in questions]


# --------------------------------------------------------------------------- #
# Chat template and response mask under the real tokenizers
# --------------------------------------------------------------------------- #
def _mgsm(lang: str) -> list[str]:
    with (ROOT / f"resources/mgsm/mgsm_{lang}.tsv").open(newline="", encoding="utf-8") as fh:
        return [row[0] for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _examples() -> list[tuple[str, str, str]]:
    """(language, prompt, response) of every MGSM exemplar, rendered as the project renders training
    examples (question and worked answer in the language, localized instructions)."""
    exemplars = json.loads((ROOT / "resources/mgsm/exemplars.json").read_text(encoding="utf-8"))
    answers = json.loads((ROOT / "resources/mgsm/exemplar_answers.json").read_text())["EXEMPLAR_NUMBER_ANSWERS"]
    out = []
    for lang in MGSM_LANGS:
        for ex, answer in zip(exemplars[lang], answers):
            rec = {"lang": lang, "question": ex["q"], "reasoning": ex["a"], "answer": str(answer)}
            out.append((lang, prompts.render_prompt("math", rec, PHRASES), prompts.render_response("math", rec, PHRASES)))
    return out


#: Per family: the tokens that open a conversation, the generation prompt's last tokens (where the
#: labels start) and the tokens after the response (all labelled; the last is the EOS that
#: mlpt.sft.tokenize_example appends). Qwen3: <|im_start|> 151644, "user" 872, "\n" 198;
#: "assistant" 77091, <think> 151667, "\n\n" 271, </think> 151668; <|im_end|> 151645, <|endoftext|> 151643.
#: Gemma3: <bos> 2, <start_of_turn> 105, "user" 2364, "\n" 107; "model" 4368; <end_of_turn> 106, <eos> 1.
TURN_MARKERS = {
    "qwen3": ([151644, 872, 198], [151644, 77091, 198, 151667, 271, 151668, 271], [151645, 198, 151643]),
    "gemma3": ([2, 105, 2364, 107], [105, 4368, 107], [106, 107, 1]),
}


@pytest.mark.parametrize("family", ["qwen3", "gemma3"])
def test_chat_turn_markers_and_response_mask(family, request):
    """Rendered by mlpt.prompts and tokenized by mlpt.sft.tokenize_example as training does, every
    example starts with the family's turn markers, its labels are exactly the assistant turn (the
    response, the end-of-turn marker and EOS), and tokenizing prompt and completion apart gives the
    same ids as tokenizing the whole conversation (the mask boundary never splits a token)."""
    tok = request.getfixturevalue(family)
    opening, generation_prompt, closing = TURN_MARKERS[family]
    for lang, prompt, response in _examples():
        feats, fits = sft.tokenize_example(tok, prompt, response, max_length=100_000)
        ids, labels = feats["input_ids"], feats["labels"]
        start = next(i for i, label in enumerate(labels) if label != -100)
        where = f"{family} {lang}: {prompt[:40]!r}"
        assert fits, where
        assert ids[: len(opening)] == opening, where
        assert ids[start - len(generation_prompt) : start] == generation_prompt, where
        assert all(label == -100 for label in labels[:start]) and labels[start:] == ids[start:], where
        assert ids[-len(closing):] == closing, where
        assert _nfc(tok.decode(ids[start : -len(closing)])) == _nfc(response), where
        text_prompt, completion = prompts.chat_completion(tok, prompt, response)
        assert ids[:-1] == _ids(tok, text_prompt + completion), where  # the appended EOS is not in the text
        assert _ids(tok, prompts.chat_prompt(tok, prompt)) == ids[:start], where  # evaluation sees the same prompt


def test_stop_tokens_are_the_end_of_turn_markers(qwen3, gemma3):
    assert prompts.stop_token_ids(qwen3) == [151645, 151643]
    assert prompts.stop_token_ids(gemma3) == [106, 1]


def test_qwen15_template_has_the_system_turn(qwen15):
    feats, _ = sft.tokenize_example(qwen15, "Bonjour", "Hello", max_length=1000)
    ids, system = feats["input_ids"], _ids(qwen15, "system\nYou are a helpful assistant")
    assert ids[0] == 151644 and ids[1 : 1 + len(system)] == system and ids[1 + len(system)] == 151645
    assert ids[-3:] == [151645, 198, 151643]
    assert qwen15.decode([i for i, label in zip(ids, feats["labels"]) if label != -100]) == \
        "Hello<|im_end|>\n<|endoftext|>"
