"""Tests for mlpt.tiny: local tiny tokenizers and random-init models, reloaded by path."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from mlpt import tiny

MGSM_DIR = Path("/work/shared/data/mgsm")
LANGS = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")

#: One sentence per script; used when MGSM is absent and always for round-trips.
SAMPLE = {
    "en": "Janet's ducks lay 16 eggs per day. How much does she make?",
    "de": "Janets Enten legen 16 Eier pro Tag. Wie viel verdient sie täglich?",
    "fr": "Les canards de Janet pondent 16 œufs par jour. Combien gagne-t-elle ?",
    "es": "Los patos de Janet ponen 16 huevos por día. ¿Cuánto gana?",
    "sw": "Bata wa Janet hutaga mayai 16 kwa siku. Anapata dola ngapi?",
    "ru": "Утки Джанет несут 16 яиц в день. Сколько она зарабатывает?",
    "ja": "ジャネットのアヒルは1日に16個の卵を産みます。彼女はいくら稼ぎますか？",
    "zh": "珍妮特的鸭子每天下 16 个蛋。她每天能赚多少美元？",
    "bn": "জেনেটের হাঁসগুলি প্রতিদিন 16টি করে ডিম পাড়ে। তিনি কত ডলার উপার্জন করেন?",
    "te": "జానెట్ బాతులు రోజుకు 16 గుడ్లు పెడతాయి. ఆమె ఎంత సంపాదిస్తుంది?",
    "th": "เป็ดของเจเน็ตวางไข่วันละ 16 ฟอง เธอได้เงินวันละเท่าไหร่",
}


def _mgsm(lang: str) -> list[str]:
    path = MGSM_DIR / f"mgsm_{lang}.tsv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[str]]:
    """Per language: MGSM questions if present, else the inline sample (repeated)."""
    out = {}
    for lang in LANGS:
        texts = _mgsm(lang) or [SAMPLE[lang]] * 5
        out[lang] = texts + [SAMPLE[lang]]
    return out


@pytest.fixture(scope="module")
def train_texts(corpus) -> list[str]:
    """A few hundred sentences spanning all scripts."""
    return [t for texts in corpus.values() for t in texts[:40]]


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory, train_texts) -> Path:
    d = tmp_path_factory.mktemp("lm_tok")
    tiny.build_lm_tokenizer(train_texts, 600, d)
    return d


@pytest.fixture(scope="module")
def tok(tok_dir):
    return AutoTokenizer.from_pretrained(tok_dir)


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, tok_dir) -> dict[str, tuple[Path, int]]:
    out = {}
    for arch in tiny.SUPPORTED_ARCHS:
        d = tmp_path_factory.mktemp(arch)
        out[arch] = (d, tiny.build_causal_lm(arch, {}, tok_dir, d, seed=0))
    return out


MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "It is 4."},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "6"},
]


# --------------------------------------------------------------------------- #
# Tokenizer
# --------------------------------------------------------------------------- #
def test_lm_tokenizer_files_and_specials(tok_dir, tok):
    assert {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja"} <= {
        p.name for p in tok_dir.iterdir()
    }
    assert len(tok) <= 600
    assert tok.convert_tokens_to_ids(list(tiny.LM_SPECIAL_TOKENS)) == [0, 1, 2]
    assert (tok.bos_token, tok.pad_token, tok.eos_token) == (
        "<|endoftext|>",
        "<|endoftext|>",
        "<|im_end|>",
    )
    # Like Qwen: nothing is added around plain text.
    ids = tok("hello")["input_ids"]
    assert tok.decode(ids) == "hello" and 0 not in ids and 2 not in ids


def test_lm_tokenizer_round_trip_all_scripts(tok, corpus):
    texts = [t for ts in corpus.values() for t in ts] + list(SAMPLE.values())
    texts += [
        "  two  spaces , tabs\tand\nnewlines . ",
        "unseen: Ωμέγα 한국어 ½ 🙂 \u00a0nbsp",
    ]
    encoded = tok(texts, add_special_tokens=False)["input_ids"]
    bad = [t for t, ids in zip(texts, encoded) if tok.decode(ids) != t]
    assert not bad, bad[:3]


def test_digits_split_individually(tok):
    pieces = tok.tokenize("Pay $12345 or 2024 eggs")
    digit_pieces = [p for p in pieces if any(c.isdigit() for c in p)]
    assert digit_pieces == list("12345") + list("2024")


def test_vocab_size_below_alphabet_raises(tmp_path):
    with pytest.raises(ValueError, match="vocab_size"):
        tiny.build_lm_tokenizer(["abc"], 100, tmp_path)


# --------------------------------------------------------------------------- #
# Chat template
# --------------------------------------------------------------------------- #
def test_chat_template_renders_chatml(tok):
    text = tok.apply_chat_template(MSGS[:3], tokenize=False)
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        "<|im_start|>assistant\nIt is 4.<|im_end|>\n"
    )
    prompt = tok.apply_chat_template(
        MSGS[1:2], tokenize=False, add_generation_prompt=True
    )
    assert prompt == "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    assert tok.chat_template == tiny.CHAT_TEMPLATE


def test_assistant_mask_covers_content_and_end_of_turn(tok):
    out = tok.apply_chat_template(
        MSGS, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    assert len(ids) == len(mask)
    masked = [i for i, m in zip(ids, mask) if m]
    # Exactly the two assistant turns, each with its <|im_end|>, nothing else.
    assert tok.decode(masked) == "It is 4.<|im_end|>6<|im_end|>"
    assert masked.count(tok.eos_token_id) == 2
    # The rendered ids match a plain encode of the rendered text.
    assert (
        ids
        == tok(tok.apply_chat_template(MSGS, tokenize=False), add_special_tokens=False)[
            "input_ids"
        ]
    )


# --------------------------------------------------------------------------- #
# Causal LMs
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("arch", tiny.SUPPORTED_ARCHS)
def test_causal_lm_reloads_by_path_and_generates(arch, model_dirs, tok):
    path, n_params = model_dirs[arch]
    model = AutoModelForCausalLM.from_pretrained(path)
    mtok = AutoTokenizer.from_pretrained(path)  # the model dir alone is a complete id
    assert (
        type(model).__name__
        == {"qwen3": "Qwen3ForCausalLM", "gemma3": "Gemma3ForCausalLM"}[arch]
    )
    assert model.dtype == torch.float32
    assert sum(p.numel() for p in model.parameters()) == n_params
    assert model.config.vocab_size == len(mtok) == len(tok)
    assert mtok.model_max_length == model.config.max_position_embeddings == 1024
    assert (
        model.config.bos_token_id,
        model.config.eos_token_id,
        model.config.pad_token_id,
    ) == (0, 2, 0)
    assert (
        model.generation_config.eos_token_id == 2
        and model.generation_config.pad_token_id == 0
    )

    batch = mtok.apply_chat_template(
        [MSGS[1:2]], add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], len(mtok))
    out = model.generate(**batch, max_new_tokens=5, do_sample=False)
    assert (
        out.shape[0] == 1
        and batch["input_ids"].shape[1]
        < out.shape[1]
        <= batch["input_ids"].shape[1] + 5
    )
    assert isinstance(mtok.decode(out[0]), str)


def test_gemma3_tiny_config_fixes(model_dirs):
    cfg = AutoModelForCausalLM.from_pretrained(model_dirs["gemma3"][0]).config
    assert cfg.model_type == "gemma3_text"
    assert (cfg.head_dim, cfg.query_pre_attn_scalar, cfg.sliding_window) == (
        32,
        32,
        512,
    )
    assert cfg.layer_types == ["sliding_attention", "full_attention"]
    assert cfg.tie_word_embeddings


def test_spec_overrides(tmp_path, tok_dir):
    n = tiny.build_causal_lm(
        "qwen3",
        {"num_hidden_layers": 1, "hidden_size": 64, "rms_norm_eps": 1e-5},
        tok_dir,
        tmp_path,
    )
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert model.config.num_hidden_layers == 1 and model.config.hidden_size == 64
    assert model.config.rms_norm_eps == 1e-5
    assert n == sum(p.numel() for p in model.parameters())
    assert n < tiny.build_causal_lm("qwen3", {}, tok_dir, tmp_path / "default")


def test_same_seed_same_weights_other_seed_differs(tmp_path, tok_dir, model_dirs):
    def state(path):
        return AutoModelForCausalLM.from_pretrained(path).state_dict()

    tiny.build_causal_lm("qwen3", {}, tok_dir, tmp_path / "again", seed=0)
    tiny.build_causal_lm("qwen3", {}, tok_dir, tmp_path / "other", seed=1)
    ref, again, other = (
        state(model_dirs["qwen3"][0]),
        state(tmp_path / "again"),
        state(tmp_path / "other"),
    )
    assert ref.keys() == again.keys() == other.keys()
    assert all(torch.equal(ref[k], again[k]) for k in ref)
    assert not all(torch.equal(ref[k], other[k]) for k in ref)


def test_unknown_arch_raises(tmp_path, tok_dir):
    with pytest.raises(ValueError, match=r"'llama2'.*qwen3.*gemma3"):
        tiny.build_causal_lm("llama2", {}, tok_dir, tmp_path)


def test_unknown_spec_key_raises(tmp_path, tok_dir):
    with pytest.raises(ValueError, match="hiden_size"):
        tiny.build_causal_lm("qwen3", {"hiden_size": 64}, tok_dir, tmp_path)


# --------------------------------------------------------------------------- #
# NLLB-style MT model
# --------------------------------------------------------------------------- #
def test_mt_model_builds_reloads_and_generates(tmp_path, corpus):
    texts = [t for lang in ("en", "bn", "th", "te") for t in corpus[lang][:60]]
    n = tiny.build_mt_model(texts, 800, {}, tmp_path, seed=0)

    tok = AutoTokenizer.from_pretrained(tmp_path, src_lang="eng_Latn")
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path)
    assert type(model).__name__ == "M2M100ForConditionalGeneration"
    assert n == sum(p.numel() for p in model.parameters())
    assert tok.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>"]) == [0, 1, 2, 3]
    assert (
        model.config.vocab_size == len(tok) > 800
    )  # + FAIRSEQ language codes and <mask>
    assert (
        model.config.decoder_start_token_id,
        model.generation_config.decoder_start_token_id,
    ) == (2, 2)
    ben = tok.convert_tokens_to_ids("ben_Beng")
    assert ben != tok.unk_token_id

    # Source side like NLLB: [eng_Latn, ..., </s>]; training text round-trips (no <unk>).
    enc = tok(texts[0])["input_ids"]
    assert enc[0] == tok.convert_tokens_to_ids("eng_Latn") and enc[-1] == 2
    for text in texts:
        ids = tok(text)["input_ids"]
        assert (
            tok.unk_token_id not in ids
            and tok.decode(ids, skip_special_tokens=True) == text
        )

    batch = tok(texts[:2], return_tensors="pt", padding=True)
    out = model.generate(**batch, forced_bos_token_id=ben, max_new_tokens=10)
    assert out[:, 0].tolist() == [2, 2] and out[:, 1].tolist() == [ben, ben]
    assert all(
        isinstance(s, str) for s in tok.batch_decode(out, skip_special_tokens=True)
    )

    # Same seed, same weights.
    tiny.build_mt_model(texts, 800, {}, tmp_path / "again", seed=0)
    again = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "again").state_dict()
    assert all(torch.equal(v, again[k]) for k, v in model.state_dict().items())
