"""Tests for mlpt.tiny: local tiny tokenizers and random-init models, reloaded by path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from mlpt import models, prompts, tiny

MGSM_DIR = Path(__file__).resolve().parents[2] / "resources/mgsm"
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


ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
QWEN, QWEN_8B, GEMMA_1B, GEMMA_4B = ("Qwen/Qwen3-0.6B-Base", "Qwen/Qwen3-8B-Base", "google/gemma-3-1b-pt",
                                     "google/gemma-3-4b-pt")
#: Gemma3's pt checkpoints ship no template: the instruct sibling's, as paper.yaml names it.
GEMMA_TEMPLATE = RESOURCES / "models/google--gemma-3-4b-pt/chat_template.instruct.jinja"
SIZES = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_key_value_heads": 1,
         "head_dim": 16}


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory, train_texts) -> Path:
    d = tmp_path_factory.mktemp("lm_tok")
    tiny.build_lm_tokenizer(train_texts, 600, d)
    return d


def _build(like: str, tok_dir: Path, out: Path, spec: dict | None = None, seed: int = 0) -> int:
    template = GEMMA_TEMPLATE.read_text(encoding="utf-8") if "gemma" in like else None
    return tiny.build_causal_lm(like, SIZES if spec is None else spec, tok_dir, out, seed=seed,
                                resources_dir=RESOURCES, chat_template=template)


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, tok_dir) -> dict[str, tuple[Path, int]]:
    out = {}
    for like in (QWEN, QWEN_8B, GEMMA_1B, GEMMA_4B):
        d = tmp_path_factory.mktemp(like.replace("/", "--"))
        out[like] = (d, _build(like, tok_dir, d))
    return out


def _tok(model_dirs, like):
    return AutoTokenizer.from_pretrained(model_dirs[like][0])


def _real(like: str) -> dict:
    return json.loads((RESOURCES / "models" / like.replace("/", "--") / "config.json").read_text())


# --------------------------------------------------------------------------- #
# The shared vocabulary
# --------------------------------------------------------------------------- #
def test_bpe_has_no_special_tokens_of_its_own(tok_dir):
    assert {p.name for p in tok_dir.iterdir()} == {"tokenizer.json"}
    bpe = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    assert bpe.get_vocab_size() <= 600 and not bpe.get_added_tokens_decoder()


@pytest.mark.parametrize("like", [QWEN, GEMMA_1B])
def test_round_trip_in_every_script(like, model_dirs, corpus):
    tok = _tok(model_dirs, like)
    texts = [t for ts in corpus.values() for t in ts] + list(SAMPLE.values())
    texts += ["  two  spaces , tabs\tand\nnewlines . ", "unseen: Ωμέγα 한국어 ½ 🙂 \u00a0nbsp"]
    encoded = tok(texts, add_special_tokens=False)["input_ids"]
    bad = [t for t, ids in zip(texts, encoded) if tok.decode(ids) != t]
    assert not bad, bad[:3]


def test_digits_split_individually(model_dirs):
    pieces = _tok(model_dirs, QWEN).tokenize("Pay $12345 or 2024 eggs")
    assert [p for p in pieces if any(c.isdigit() for c in p)] == list("12345") + list("2024")


def test_vocab_size_below_alphabet_raises(tmp_path):
    with pytest.raises(ValueError, match="vocab_size"):
        tiny.build_lm_tokenizer(["abc"], 100, tmp_path)


# --------------------------------------------------------------------------- #
# Tokenizers built like the real ones: special tokens, BOS, chat template
# --------------------------------------------------------------------------- #
def test_qwen3_tokenizer_is_built_like_qwen3(model_dirs):
    tok = _tok(model_dirs, QWEN)
    real_template = (RESOURCES / "models/Qwen--Qwen3-0.6B-Base/chat_template.jinja").read_text(encoding="utf-8")
    assert tok.chat_template == real_template  # the checkpoint's own template, byte for byte
    assert (tok.bos_token, tok.eos_token, tok.pad_token) == (None, "<|endoftext|>", "<|endoftext|>")
    assert tok("hello")["input_ids"] == tok("hello", add_special_tokens=False)["input_ids"]  # no BOS
    think = tok.convert_tokens_to_ids("<think>")
    assert tok.decode([think], skip_special_tokens=True) == "<think>"  # an added token, not special
    assert tok.decode([tok.convert_tokens_to_ids("<|im_end|>")], skip_special_tokens=True) == ""


def test_gemma3_tokenizer_is_built_like_gemma3(model_dirs):
    tok = _tok(model_dirs, GEMMA_4B)
    assert tok.chat_template == GEMMA_TEMPLATE.read_text(encoding="utf-8")
    assert (tok.bos_token, tok.eos_token, tok.pad_token, tok.unk_token) == ("<bos>", "<eos>", "<pad>", "<unk>")
    ids = tok("hello")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[1:] == tok("hello", add_special_tokens=False)["input_ids"]
    assert tok.convert_tokens_to_ids("<end_of_turn>") != tok.eos_token_id  # end of turn is not EOS
    for marker in ("<start_of_turn>", "<start_of_image>", "<end_of_image>", "<image_soft_token>"):
        assert tok.convert_tokens_to_ids(marker) != tok.unk_token_id


def test_real_templates_render_the_reference_strings(model_dirs):
    """The strings the real checkpoints' templates render (see resources/models/PROVENANCE.md)."""
    qwen, gemma = _tok(model_dirs, QWEN), _tok(model_dirs, GEMMA_4B)
    pair = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
    assert qwen.apply_chat_template(pair, tokenize=False) == \
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n"
    assert qwen.apply_chat_template(pair[:1], tokenize=False, add_generation_prompt=True) == \
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
    assert qwen.apply_chat_template(pair[:1], tokenize=False, add_generation_prompt=True, enable_thinking=False) == \
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    assert gemma.apply_chat_template(pair, tokenize=False) == \
        "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n"
    assert gemma.apply_chat_template(pair[:1], tokenize=False, add_generation_prompt=True) == \
        "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\n"


# --------------------------------------------------------------------------- #
# Configs built like the real ones, shrunk in size only
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("like", [QWEN, QWEN_8B, GEMMA_1B, GEMMA_4B])
def test_config_mirrors_the_real_checkpoint(like, model_dirs):
    path, n_params = model_dirs[like]
    cfg, real = json.loads((path / "config.json").read_text()), _real(like)
    assert cfg["architectures"] == real["architectures"] and cfg["model_type"] == real["model_type"]
    text, real_text = cfg.get("text_config", cfg), real.get("text_config", real)
    assert text["hidden_size"] == 32 and text["num_hidden_layers"] == 2 and text["head_dim"] == 16
    assert text["vocab_size"] == len(_tok(model_dirs, like))
    assert text["tie_word_embeddings"] == real_text.get("tie_word_embeddings", True)
    assert text["max_position_embeddings"] == real_text.get("max_position_embeddings", text["max_position_embeddings"])
    if like.startswith("google"):
        assert text["layer_types"] == ["sliding_attention", "full_attention"]
        assert text["sliding_window"] == real_text["sliding_window"]
        assert text["query_pre_attn_scalar"] == text["head_dim"]  # as head_dim 256 / scalar 256 in the real ones
    else:
        assert text["layer_types"] == ["full_attention"] * 2
    if like == GEMMA_4B:  # the rope of the global layers is scaled linearly by 8, as in the real 4B
        assert text["rope_parameters"]["full_attention"]["rope_type"] == "linear"
        assert text["rope_parameters"]["full_attention"]["factor"] == 8.0
    assert sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(path).parameters()) <= n_params


def test_qwen3_8b_keeps_untied_embeddings(model_dirs):
    assert json.loads((model_dirs[QWEN_8B][0] / "config.json").read_text())["tie_word_embeddings"] is False
    assert json.loads((model_dirs[QWEN][0] / "config.json").read_text())["tie_word_embeddings"] is True


def test_gemma3_4b_is_an_image_text_model_with_a_vision_tower(model_dirs):
    from safetensors import safe_open

    path = model_dirs[GEMMA_4B][0]
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["vision_config"]["model_type"] == "siglip_vision_model" and cfg["mm_tokens_per_image"] == 4
    tok = _tok(model_dirs, GEMMA_4B)
    assert cfg["image_token_index"] == tok.convert_tokens_to_ids("<image_soft_token>")
    with safe_open(str(path / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert any(k.startswith("vision_tower.") for k in keys) and any(k.startswith("language_model.") for k in keys)


def test_generation_stops_like_the_real_checkpoints(model_dirs):
    """Gemma3-4B's generation config stops at <eos> and <end_of_turn>; the 1B pt and Qwen3 base at EOS only."""
    gemma = _tok(model_dirs, GEMMA_4B)
    gen = json.loads((model_dirs[GEMMA_4B][0] / "generation_config.json").read_text())
    assert gen["eos_token_id"] == [gemma.eos_token_id, gemma.convert_tokens_to_ids("<end_of_turn>")]
    for like in (QWEN, GEMMA_1B):
        gen = json.loads((model_dirs[like][0] / "generation_config.json").read_text())
        assert gen["eos_token_id"] == _tok(model_dirs, like).eos_token_id


@pytest.mark.parametrize("like", [QWEN, GEMMA_1B, GEMMA_4B])
def test_loads_by_path_as_a_text_causal_lm_and_generates(like, model_dirs):
    path, _ = model_dirs[like]
    model = models.load_causal_lm(str(path))
    tok = prompts.load_tokenizer(str(path))
    assert type(model).__name__ == {"Qwen/Qwen3-0.6B-Base": "Qwen3ForCausalLM"}.get(like, "Gemma3ForCausalLM")
    batch = tok([prompts.chat_prompt(tok, "What is 2+2?")], return_tensors="pt", add_special_tokens=False)
    out = model.generate(**batch, max_new_tokens=5, do_sample=False)
    assert batch["input_ids"].shape[1] < out.shape[1] <= batch["input_ids"].shape[1] + 5


def test_the_language_model_of_the_image_text_model_gives_its_logits(model_dirs):
    from transformers import AutoModelForImageTextToText

    path = model_dirs[GEMMA_4B][0]
    full = AutoModelForImageTextToText.from_pretrained(path).eval()
    text = models.load_causal_lm(str(path)).eval()
    assert not any("vision" in name for name, _ in text.named_parameters())
    ids = _tok(model_dirs, GEMMA_4B)(["Janet's ducks lay 16 eggs."], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.allclose(full(input_ids=ids).logits, text(input_ids=ids).logits, atol=1e-6)


def test_same_seed_same_weights_other_seed_differs(tmp_path, tok_dir, model_dirs):
    def state(path):
        return AutoModelForCausalLM.from_pretrained(path).state_dict()

    _build(QWEN, tok_dir, tmp_path / "again", seed=0)
    _build(QWEN, tok_dir, tmp_path / "other", seed=1)
    ref, again, other = state(model_dirs[QWEN][0]), state(tmp_path / "again"), state(tmp_path / "other")
    assert ref.keys() == again.keys() == other.keys()
    assert all(torch.equal(ref[k], again[k]) for k in ref)
    assert not all(torch.equal(ref[k], other[k]) for k in ref)


def test_unknown_checkpoint_raises(tmp_path, tok_dir):
    with pytest.raises(FileNotFoundError, match="no reference files for 'meta-llama/Llama-2-7b'"):
        _build("meta-llama/Llama-2-7b", tok_dir, tmp_path)


def test_unknown_spec_key_raises(tmp_path, tok_dir):
    with pytest.raises(ValueError, match="hiden_size"):
        _build(QWEN, tok_dir, tmp_path, spec={"hiden_size": 64})


# --------------------------------------------------------------------------- #
# Study B's checkpoints: Qwen1.5 (qwen2) and Mistral
# --------------------------------------------------------------------------- #
QWEN15 = ("Qwen/Qwen1.5-0.5B", "Qwen/Qwen1.5-1.8B", "Qwen/Qwen1.5-4B", "Qwen/Qwen1.5-14B")
MISTRAL = "mistralai/Mistral-7B-v0.1"
STUDY_B = (*QWEN15, MISTRAL)
#: No head_dim and no num_key_value_heads: both follow the real model (hidden / heads; MHA stays MHA).
SIZES_B = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}


@pytest.fixture(scope="module")
def study_b_dirs(tmp_path_factory, tok_dir) -> dict[str, Path]:
    out = {}
    for like in STUDY_B:
        d = tmp_path_factory.mktemp(like.replace("/", "--"))
        tiny.build_causal_lm(like, SIZES_B, tok_dir, d, resources_dir=RESOURCES)
        out[like] = d
    return out


def _special(like: str) -> dict:
    return json.loads((RESOURCES / "models" / like.replace("/", "--") / "special_tokens.json").read_text())


@pytest.mark.parametrize("like", STUDY_B)
def test_study_b_copy_is_built_like_the_real_checkpoint(like, study_b_dirs):
    path, real, info = study_b_dirs[like], _real(like), _special(like)
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["architectures"] == real["architectures"] and cfg["model_type"] == real["model_type"]
    assert cfg["tie_word_embeddings"] == real["tie_word_embeddings"]  # tied only in Qwen1.5-0.5B
    assert cfg["rope_parameters"]["rope_theta"] == real["rope_theta"]  # 5e6 in Qwen1.5-4B, 1e4 in Mistral
    tok = AutoTokenizer.from_pretrained(path)
    assert cfg["vocab_size"] == len(tok)
    names = ("bos_token", "eos_token", "pad_token")
    assert {n: getattr(tok, n) for n in names} == {n: info[n] for n in names}
    if info["unk_token"]:  # Qwen1.5 has none; transformers loads any qwen2 tokenizer, the real one too, as
        assert tok.unk_token == info["unk_token"]  # Qwen2Tokenizer, whose default names <|endoftext|>
    marker_ids = [tok.convert_tokens_to_ids(m) for m in info["marker_ids"]]  # in the vocabulary, one id each
    assert None not in marker_ids and len(set(marker_ids)) == len(marker_ids) and max(marker_ids) < len(tok)
    plain = tok("hello")["input_ids"]
    if info["add_bos_token"]:  # Mistral: <s> before plain text, once
        assert plain == [tok.bos_token_id] + tok("hello", add_special_tokens=False)["input_ids"]
    else:  # Qwen1.5: nothing added
        assert plain == tok("hello", add_special_tokens=False)["input_ids"]
    gen = json.loads((path / "generation_config.json").read_text())
    assert gen["eos_token_id"] == tok.eos_token_id  # both stop at EOS only
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    assert type(model).__name__ == real["architectures"][0]
    attn = model.model.layers[0].self_attn
    assert attn.head_dim * 4 == 32  # hidden_size / num_attention_heads, as in the real ones
    if like in QWEN15:
        assert attn.q_proj.bias is not None and attn.o_proj.bias is None  # q/k/v biases
        assert cfg["num_key_value_heads"] == cfg["num_attention_heads"] == 4  # multi-head, no GQA
        assert cfg["layer_types"] == ["full_attention"] * 2 and cfg["use_sliding_window"] is False
    else:
        assert attn.q_proj.bias is None and cfg["num_key_value_heads"] < cfg["num_attention_heads"]  # GQA
        assert cfg["sliding_window"] == real["sliding_window"] == 4096 and "layer_types" not in cfg
    ids = tok(["Janet's ducks lay 16 eggs."], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], len(tok)) and torch.isfinite(logits).all()
    out = model.generate(input_ids=ids, max_new_tokens=3, do_sample=False)
    assert ids.shape[1] < out.shape[1] <= ids.shape[1] + 3


def test_qwen15_keeps_its_chatml_template_and_mistral_has_none(study_b_dirs):
    """Qwen1.5 *base* repos embed ChatML (with a default system turn) in tokenizer_config.json;
    Mistral-7B-v0.1 has no template, so study B's question-translation records are rendered with
    the documented fallback, after the <s> the real tokenizer puts before plain text."""
    pair = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
    for like in QWEN15:
        tok = AutoTokenizer.from_pretrained(study_b_dirs[like])
        template = (RESOURCES / "models" / like.replace("/", "--") / "chat_template.jinja").read_text()
        assert tok.chat_template == template
        embedded = json.loads((RESOURCES / "models" / like.replace("/", "--") / "tokenizer_config.json").read_text())
        assert embedded["chat_template"] == template
    qwen = prompts.load_tokenizer(str(study_b_dirs[QWEN15[0]]))
    assert "".join(prompts.chat_completion(qwen, "Q", "A")) == qwen.apply_chat_template(pair, tokenize=False) == (
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n"
        "<|im_start|>assistant\nA<|im_end|>\n")
    assert prompts.end_of_turn(qwen) == "<|im_end|>"
    mistral_dir = study_b_dirs[MISTRAL]
    assert AutoTokenizer.from_pretrained(mistral_dir).chat_template is None
    assert not (RESOURCES / "models/mistralai--Mistral-7B-v0.1/chat_template.jinja").exists()
    mistral = prompts.load_tokenizer(str(mistral_dir))
    prompt, completion = prompts.chat_completion(mistral, "Q", "A")
    assert prompt == "<s>### User:\nQ\n\n### Assistant:\n" and completion == "A</s>\n"
    assert mistral.pad_token == mistral.eos_token == "</s>"  # no pad token: EOS pads, as for the real one


def test_a_head_width_of_its_own_is_refused_for_qwen15(tmp_path, tok_dir):
    with pytest.raises(ValueError, match="no head width of its own"):
        _build("Qwen/Qwen1.5-0.5B", tok_dir, tmp_path, spec={**SIZES_B, "head_dim": 16})


def test_every_study_b_model_has_reference_files():
    """Each model of spontaneous.yaml (and the demo's tiny copy) maps to a shipped reference folder
    that tiny.py can build from."""
    import yaml

    for name in ("spontaneous.yaml", "spontaneous-demo.yaml"):
        cfg = yaml.safe_load((ROOT / "config" / name).read_text())
        for model, spec in cfg["models"].items():
            hub_id = spec.get("hub_id") or spec["tiny"]["like"]
            ref = tiny.reference_dir(RESOURCES, hub_id)  # FileNotFoundError when missing
            assert json.loads((ref / "config.json").read_text())["model_type"] in tiny.SUPPORTED_MODEL_TYPES, model
            assert (ref / "special_tokens.json").is_file(), model


def test_reference_checksums_cover_every_file():
    folder = RESOURCES / "models"
    import hashlib

    listed = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(listed) == files
    bad = [rel for rel, digest in listed.items() if hashlib.sha256((folder / rel).read_bytes()).hexdigest() != digest]
    assert not bad, bad


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


def test_a_checkpoint_without_its_weights_is_refused(tmp_path, model_dirs):
    """A model directory whose weights are under unknown names would load as a random model."""
    import shutil

    from safetensors.torch import load_file, save_file

    bad = tmp_path / "bad"
    shutil.copytree(model_dirs[GEMMA_1B][0], bad)
    weights = load_file(bad / "model.safetensors")
    save_file({f"renamed.{k}": v for k, v in weights.items()}, bad / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match="weights missing from the checkpoint"):
        models.load_causal_lm(str(bad))


def test_the_reference_files_a_tiny_copy_is_built_from_are_checksummed(tmp_path, root):
    """An altered config (or chat template) under resources/models/ stops the build, naming the file."""
    import shutil

    from mlpt import io

    res = tmp_path / "resources"
    shutil.copytree(root / "resources/models", res / "models")
    template = res / "models/google--gemma-3-4b-pt/chat_template.instruct.jinja"
    tiny.verify_reference(res, "google/gemma-3-4b-pt", template)  # as shipped
    config = res / "models/Qwen--Qwen3-0.6B-Base/config.json"
    config.write_text(config.read_text().replace('"num_hidden_layers": 28', '"num_hidden_layers": 27'))
    with pytest.raises(io.ChecksumError, match="Qwen3-0.6B-Base/config.json: SHA-256 differs"):
        tiny.verify_reference(res, "Qwen/Qwen3-0.6B-Base")
    template.write_text(template.read_text() + " ")
    with pytest.raises(io.ChecksumError, match="chat_template.instruct.jinja: SHA-256 differs"):
        tiny.verify_reference(res, "google/gemma-3-4b-pt", template)
    (res / "models/Qwen--Qwen3-1.7B-Base/extra.json").write_text("{}")
    with pytest.raises(io.ChecksumError, match="extra.json: read, but not listed"):
        tiny.verify_reference(res, "Qwen/Qwen3-1.7B-Base")


@pytest.mark.parametrize("origin", [{"source": "tiny copy", "like": QWEN},
                                    {"source": "Hugging Face Hub", "hub_id": QWEN, "commit": "da87bfb6"}])
def test_weights_changed_in_place_are_noticed_before_they_are_used(tmp_path, tok_dir, origin):
    """A folder a rule made (a tiny copy, or a download: the same record) lists every file's size,
    sha256 and time: a byte flipped in the weights is seen when the workflow is planned (sizes and
    times) and refused when a job loads the model (sha256), and the fingerprint of resumable work
    changes when the record is rewritten."""
    from mlpt import models

    d = tmp_path / "base"
    _build(QWEN, tok_dir, d)
    models.record_weights(d, origin)
    before = models.fingerprint(str(d))
    assert models.changed_since_recorded(d) == []
    models.load_causal_lm(d)  # verified, loads
    weights = d / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert models.changed_since_recorded(d) == ["model.safetensors"]
    with pytest.raises(ValueError, match="model.safetensors: changed since .*recorded it"):
        models.load_causal_lm(d)
    models.record_weights(d, origin)  # a rebuild or new download writes a new record
    assert models.fingerprint(str(d)) != before
