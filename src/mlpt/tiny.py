"""Tiny random-initialised models of the real architectures, built locally.

The pipeline runs end to end on a laptop by swapping every Hugging Face hub id
for a directory written here. Each directory is complete (weights, config,
generation config and tokenizer), so the rest of the pipeline loads it exactly
like a hub id::

    AutoTokenizer.from_pretrained(path)
    AutoModelForCausalLM.from_pretrained(path)      # build_causal_lm
    AutoModelForSeq2SeqLM.from_pretrained(path)     # build_mt_model

Nothing is downloaded: tokenizers are trained with the ``tokenizers`` library
on the texts given, and models are initialised from a config with a fixed seed.
A tiny causal LM is a copy of a real checkpoint shrunk in size only: its config is
the real ``config.json`` (shipped in ``resources/models/``) with smaller sizes, and
its tokenizer carries the real special tokens, BOS behaviour and chat template, so
the traps of the real models (Gemma3's ``<end_of_turn>`` that is not its EOS,
Qwen3's think block, Gemma3-4B's vision tower, Qwen1.5's ChatML template with a default
system turn in a *base* model, Mistral's ``<s>`` before plain text and its missing chat
template) are met on a laptop too.
"""

from __future__ import annotations

import inspect
import json
import logging
import string
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    GenerationConfig,
    PreTrainedTokenizerFast,
)

from . import paths

__all__ = [
    "SUPPORTED_MODEL_TYPES",
    "build_lm_tokenizer",
    "build_causal_lm",
    "build_mt_model",
    "reference_dir",
]

log = logging.getLogger(__name__)

#: Model types a tiny copy can be built of (the ``model_type`` of the reference config.json):
#: Qwen3 and Gemma3 (study A), Qwen1.5 (``qwen2``: q/k/v biases, multi-head attention, tied
#: embeddings only at 0.5B) and Mistral (grouped-query attention, a 4096-token sliding window,
#: untied embeddings) for study B.
SUPPORTED_MODEL_TYPES: tuple[str, ...] = ("qwen3", "gemma3_text", "gemma3", "qwen2", "mistral")

#: Sizes of the tiny text model (``tiny:`` in the config overrides them); everything else —
#: architecture class, model type, tied embeddings, attention pattern, rope, soft-capping,
#: norms, activation — comes from the real config unchanged. Two defaults follow the real
#: model instead: a model whose head width is ``hidden_size / num_attention_heads`` (no
#: ``head_dim`` of its own: Qwen1.5, Mistral) gets that width, and a model with as many
#: key/value heads as query heads (Qwen1.5) keeps multi-head attention unless the spec sets
#: ``num_key_value_heads``.
TEXT_SIZES: dict[str, int] = {
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
}

#: Sizes of the vision tower of an image-text model (Gemma3-4B's SigLIP), and its image tokens:
#: 28-pixel images in 14-pixel patches give 2 x 2 patches, pooled to 4 image tokens.
VISION_SIZES: dict[str, int] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 28,
    "patch_size": 14,
}
MM_TOKENS_PER_IMAGE = 4

#: Defaults of the MT spec (``build_mt_model``).
MT_DEFAULTS: dict[str, Any] = {
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 128,
    "decoder_ffn_dim": 128,
    "max_position_embeddings": 512,
}

#: NLLB/M2M100 special tokens at ids 0-3, as in the real checkpoints.
_MT_SPECIAL_TOKENS: tuple[str, ...] = ("<s>", "<pad>", "</s>", "<unk>")


def reference_dir(resources_dir: str | Path, hub_id: str) -> Path:
    """The folder of a real checkpoint's definition files (config, special tokens, template;
    ``resources/models/PROVENANCE.md`` says where each came from)."""
    path = Path(paths.model_reference(str(resources_dir), hub_id))
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no reference files for '{hub_id}': {path}/config.json is missing "
                                f"(resources/models/PROVENANCE.md lists the checkpoints tiny copies can be built of)")
    return path


def verify_reference(resources_dir: str | Path, hub_id: str, chat_template: str | Path | None = None) -> None:
    """Check every reference file of ``hub_id`` (and the chat template written into the copy)
    against ``<resources_dir>/models/SHA256SUMS``: an altered or unlisted file is a
    :class:`mlpt.io.ChecksumError` naming it (the workflow calls this unless ``data.verify_checksums``
    is off)."""
    from . import io

    reference = reference_dir(resources_dir, hub_id)
    files = sorted(f for f in reference.iterdir() if f.is_file())
    io.verify_checksums(Path(resources_dir) / paths.MODELS_CHECKSUMS, [*files, *([chat_template] if chat_template else [])])


# --------------------------------------------------------------------------- #
# Causal-LM tokenizer
# --------------------------------------------------------------------------- #
def _byte_level_bpe(vocab_size: int) -> tuple[Tokenizer, trainers.BpeTrainer]:
    """An untrained byte-level BPE (digits split one by one, as Qwen's and Gemma's) and its trainer."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    # As GPT-2/Qwen: keeps character offsets right.
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    return tok, trainer


def build_lm_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: str | Path) -> Tokenizer:
    """Train the shared vocabulary of tiny causal LMs (a byte-level BPE) into ``out_dir/tokenizer.json``.

    Any text round-trips exactly (byte level: nothing is unknown) and digits are split one per
    token. It has no special tokens yet: :func:`build_causal_lm` adds those of the model family
    it copies, with its BOS behaviour and chat template.

    Args:
        texts: training texts (consumed once; any iterable).
        vocab_size: target vocabulary size including the 256 byte symbols; a small corpus may
            give fewer.
        out_dir: directory to write (created if missing).
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size={vocab_size} is below the byte alphabet (256)")
    out_dir = Path(out_dir)
    tok, trainer = _byte_level_bpe(vocab_size)
    tok.train_from_iterator(texts, trainer=trainer)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    return tok


def _family_tokenizer(bpe_dir: Path, ref: Path, chat_template: str | None) -> PreTrainedTokenizerFast:
    """The shared BPE with the special tokens, BOS behaviour and chat template of the checkpoint in ``ref``.

    The family's marker tokens (``special_tokens.json``: ``marker_ids``, in the real id order) are
    added after the vocabulary; those the real tokenizer does not treat as special (Qwen3's
    ``<think>``) stay non-special, so decoding keeps them like the real one does.
    """
    from tokenizers import AddedToken

    info = json.loads((ref / "special_tokens.json").read_text(encoding="utf-8"))
    tok = Tokenizer.from_file(str(bpe_dir / "tokenizer.json"))
    special = info.get("special_in_tokenizer", {})
    markers = sorted(info["marker_ids"], key=info["marker_ids"].get)
    tok.add_tokens([AddedToken(m, special=special.get(m, True), normalized=False) for m in markers])
    if info.get("add_bos_token"):  # Gemma: plain text starts with <bos>
        bos = info["bos_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tok.token_to_id(bos))])
    names = {k: info.get(k) for k in ("bos_token", "eos_token", "pad_token", "unk_token")}
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        **{k: v for k, v in names.items() if v},
        chat_template=chat_template,
        clean_up_tokenization_spaces=False,
        model_max_length=info.get("model_max_length") or 1_000_000,
    )


# --------------------------------------------------------------------------- #
# Causal LMs
# --------------------------------------------------------------------------- #
def _layer_types(real: list[str] | None, n_layers: int) -> list[str] | None:
    """The attention pattern for ``n_layers``: all full stays all full; a sliding/full mix
    (Gemma3: 5 sliding, 1 full) becomes sliding/full alternating, ending on a full layer."""
    if not real:
        return None
    if set(real) == {"full_attention"}:
        return ["full_attention"] * n_layers
    types = ["full_attention" if i % 2 == 1 else "sliding_attention" for i in range(n_layers)]
    types[-1] = "full_attention"
    return types


def _text_sizes(real_text: dict[str, Any], raw_text: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """:data:`TEXT_SIZES` under ``spec``, with the head width and the key/value heads of a model
    that derives them (see :data:`TEXT_SIZES`); ValueError for a spec that contradicts that."""
    sizes = {**TEXT_SIZES, **spec}
    hidden, heads = sizes["hidden_size"], sizes["num_attention_heads"]
    real_hd, real_heads = real_text.get("head_dim"), real_text["num_attention_heads"]
    if "head_dim" not in raw_text and real_hd in (None, real_text["hidden_size"] // real_heads):
        if hidden % heads:
            raise ValueError(f"hidden_size {hidden} is not a multiple of num_attention_heads {heads}, and the "
                             f"real model's head width is hidden_size / num_attention_heads")
        if "head_dim" in spec and spec["head_dim"] != hidden // heads:
            raise ValueError(f"head_dim {spec['head_dim']}: the real model has no head width of its own "
                             f"(hidden_size / num_attention_heads = {hidden // heads}); leave head_dim unset")
        if real_hd is None:  # Qwen1.5: the config class has no head_dim at all
            sizes.pop("head_dim")
        else:  # Mistral: the config class stores hidden_size / num_attention_heads
            sizes["head_dim"] = hidden // heads
    if real_text.get("num_key_value_heads") in (None, real_heads) and "num_key_value_heads" not in spec:
        sizes["num_key_value_heads"] = heads  # multi-head attention stays multi-head
    return sizes


def _shrink_text(text: dict[str, Any], sizes: dict[str, Any], real_layer_types: list[str] | None) -> None:
    text.update(sizes)
    n = sizes["num_hidden_layers"]
    if "layer_types" in text:  # Mistral's config has none (one sliding window for every layer)
        text["layer_types"] = _layer_types(real_layer_types, n)
    if "query_pre_attn_scalar" in text:  # Gemma3 scales attention by head_dim (256 in the real models)
        text["query_pre_attn_scalar"] = sizes["head_dim"]
    if "max_window_layers" in text:
        text["max_window_layers"] = n
    text.pop("sliding_window_pattern", None)
    text["dtype"] = "float32"


def tiny_config(ref: Path, spec: dict[str, Any], tokenizer):
    """The real config of ``ref`` with the sizes of ``spec`` (over :data:`TEXT_SIZES`), the tiny
    tokenizer's vocabulary and special ids, and a tiny vision tower for an image-text model."""
    from transformers import AutoConfig

    real = AutoConfig.from_pretrained(ref)
    if real.model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(f"{ref}: model_type '{real.model_type}' is not one of {', '.join(SUPPORTED_MODEL_TYPES)}")
    unknown = sorted(set(spec) - set(TEXT_SIZES))
    if unknown:
        raise ValueError(f"unknown tiny spec key(s) {unknown}; sizes that can be set: {sorted(TEXT_SIZES)}")
    d = real.to_dict()
    raw = json.loads((ref / "config.json").read_text(encoding="utf-8"))
    sizes = _text_sizes(d.get("text_config", d), raw.get("text_config", raw), spec)
    ids = {"vocab_size": len(tokenizer), "bos_token_id": tokenizer.bos_token_id,
           "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    if "text_config" in d and "vision_config" in d:  # image-text (Gemma3-4B)
        real_text = real.text_config
        _shrink_text(d["text_config"], sizes, getattr(real_text, "layer_types", None))
        d["text_config"].update(ids)
        d["vision_config"].update(VISION_SIZES)
        d["mm_tokens_per_image"] = MM_TOKENS_PER_IMAGE
        for key, token in (("image_token_index", "<image_soft_token>"), ("boi_token_index", "<start_of_image>"),
                           ("eoi_token_index", "<end_of_image>")):
            d[key] = tokenizer.convert_tokens_to_ids(token)
        d.pop("image_token_id", None)
    else:
        _shrink_text(d, sizes, getattr(real, "layer_types", None))
        d.update(ids)
    d["dtype"] = "float32"
    return type(real).from_dict(d)


def n_parameters(model: torch.nn.Module) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())


def build_causal_lm(
    like: str,
    spec: dict[str, Any] | None,
    tokenizer_dir: str | Path,
    out_dir: str | Path,
    seed: int = 0,
    resources_dir: str | Path = "resources",
    chat_template: str | None = None,
) -> int:
    """Build a random-initialised tiny copy of the checkpoint ``like`` and save it to ``out_dir``.

    The copy has the real checkpoint's architecture class, model type, attention pattern, rope,
    tied embeddings and (for an image-text model) a vision tower, shrunk in size only; a tokenizer
    with the real special tokens, BOS behaviour and chat template over the shared BPE of
    ``tokenizer_dir``; and the real generation config's end-of-answer ids mapped to the tiny ids.

    Args:
        like: Hugging Face id of the real checkpoint (``resources/models/<owner>--<name>/``).
        spec: sizes over :data:`TEXT_SIZES`; anything else raises ValueError.
        tokenizer_dir: a directory written by :func:`build_lm_tokenizer`.
        out_dir: directory to write; it becomes a complete model id.
        seed: ``torch.manual_seed`` before initialisation (same seed, same weights).
        resources_dir: the folder holding ``models/``.
        chat_template: the template to use when the real checkpoint carries none (its
            ``chat_template.jinja`` is absent), as ``hub.download`` does for the real one.

    Returns:
        The number of parameters (tied embeddings counted once).
    """
    from transformers import AutoModelForCausalLM

    ref = reference_dir(resources_dir, like)
    own = ref / "chat_template.jinja"
    template = own.read_text(encoding="utf-8") if own.is_file() else chat_template
    tok = _family_tokenizer(Path(tokenizer_dir), ref, template)
    config = tiny_config(ref, spec or {}, tok)
    torch.manual_seed(seed)
    if "vision_config" in config.to_dict():
        from transformers import AutoModelForImageTextToText

        model = AutoModelForImageTextToText.from_config(config)
    else:
        model = AutoModelForCausalLM.from_config(config)
    model = model.to(torch.float32).eval()
    stops = [tok.convert_tokens_to_ids(t) for t in _real_stop_tokens(ref)]
    model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, pad_token_id=tok.pad_token_id,
                                               eos_token_id=stops if len(stops) > 1 else stops[0])
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    n = n_parameters(model)
    log.info("built a tiny %s (%s) with %d parameters in %s", like, type(model).__name__, n, out_dir)
    return n


def _real_stop_tokens(ref: Path) -> list[str]:
    """The tokens the real generation config stops at (its eos_token_id, as token strings)."""
    info = json.loads((ref / "special_tokens.json").read_text(encoding="utf-8"))
    by_id = {i: t for t, i in info["marker_ids"].items()}
    gen = ref / "generation_config.json"
    ids = json.loads(gen.read_text(encoding="utf-8")).get("eos_token_id") if gen.is_file() else None
    ids = ids if ids is not None else info["eos_token_id"]
    return [by_id[i] for i in (ids if isinstance(ids, list) else [ids])]


# --------------------------------------------------------------------------- #
# NLLB-style MT model
# --------------------------------------------------------------------------- #
def _config_kwargs(
    defaults: dict[str, Any], spec: dict[str, Any], config_cls: type
) -> dict[str, Any]:
    """Merge ``spec`` over ``defaults``; a key must be a default or an argument/attribute of ``config_cls``."""
    spec = dict(spec or {})
    reference = config_cls()
    accepted = set(defaults) | (
        set(inspect.signature(config_cls.__init__).parameters) - {"self", "kwargs"}
    )
    unknown = sorted(k for k in spec if k not in accepted and not hasattr(reference, k))
    if unknown:
        raise ValueError(
            f"unknown spec key(s) {unknown} for {config_cls.__name__}; defaults are {sorted(defaults)}, "
            f"and other {config_cls.__name__} arguments are accepted"
        )
    return {**defaults, **spec}


def _mt_alphabet(texts: list[str], max_size: int) -> list[str]:
    """Every character of ``texts`` plus printable ASCII, most frequent first if over ``max_size``.

    BPE without byte fallback maps characters outside the alphabet to
    ``<unk>``; keeping them all makes training texts round-trip exactly.
    """
    # Only " " is replaced by the Metaspace "▁"; other whitespace (\n, \xa0) needs a symbol.
    counts = Counter(ch for text in texts for ch in text if ch != " ")
    ascii_chars = [c for c in string.printable if c != " "]
    ascii_set = set(ascii_chars)
    rest = [c for c, _ in counts.most_common() if c not in ascii_set]
    chars = ascii_chars + rest
    if len(chars) > max_size:
        log.warning(
            "MT alphabet has %d characters; keeping the %d most frequent (%d rare ones become <unk>)",
            len(chars),
            max_size,
            len(chars) - max_size,
        )
        chars = chars[:max_size]
    return sorted(chars)


def _train_nllb_tokenizer(texts: list[str], vocab_size: int, src_lang: str):
    """Metaspace BPE trained with ``tokenizers``, wrapped as an ``NllbTokenizer``."""
    from transformers import NllbTokenizer

    # Leave at least a quarter of the vocabulary for merges.
    alphabet = _mt_alphabet(texts, max_size=max(1, (vocab_size * 3) // 4))
    bt = Tokenizer(models.BPE(unk_token="<unk>"))
    bt.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always"
    )
    bt.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(_MT_SPECIAL_TOKENS),
        initial_alphabet=alphabet + ["▁"],
        limit_alphabet=len(alphabet) + 1,
        show_progress=False,
    )
    bt.train_from_iterator(texts, trainer=trainer)
    vocab = bt.get_vocab()
    for i, token in enumerate(_MT_SPECIAL_TOKENS):
        assert vocab[token] == i, (token, vocab[token])
    merges = [
        tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1))
        for m in json.loads(bt.to_str())["model"]["merges"]
    ]
    return NllbTokenizer(vocab=vocab, merges=merges, src_lang=src_lang)


def build_mt_model(
    texts: Iterable[str],
    vocab_size: int,
    spec: dict[str, Any] | None,
    out_dir: str | Path,
    seed: int = 0,
    src_lang: str = "eng_Latn",
) -> int:
    """Build a random-initialised NLLB-style translation model with its tokenizer in ``out_dir``.

    The tokenizer is an ``NllbTokenizer`` over a Metaspace BPE trained on
    ``texts`` (specials ``<s> <pad> </s> <unk>`` at ids 0-3, then the BPE
    vocabulary, then the 202 FAIRSEQ language codes such as ``ben_Beng`` and
    ``<mask>``). Every character of ``texts`` (plus printable ASCII) is in the
    alphabet unless that would leave under a quarter of ``vocab_size`` for
    merges; other characters become ``<unk>`` (no byte fallback).

    The model is an ``M2M100ForConditionalGeneration`` (NLLB's architecture)
    with pad 1, bos 0, eos 2 and decoder start 2. Translate with
    ``generate(**batch, forced_bos_token_id=tok.convert_tokens_to_ids("ben_Beng"))``;
    reload the tokenizer with ``AutoTokenizer.from_pretrained(out_dir, src_lang=...)``
    (``tok(text, src_lang=...)`` is silently ignored: set ``tok.src_lang``).

    Args:
        texts: training texts for the tokenizer.
        vocab_size: BPE vocabulary size before the language codes are added.
        spec: overrides of :data:`MT_DEFAULTS`; other ``M2M100Config``
            attributes pass through, anything else raises ValueError.
        out_dir: directory to write; it becomes a complete model id.
        seed: ``torch.manual_seed`` before initialisation.
        src_lang: the tokenizer's default source language code.

    Returns:
        The number of parameters (shared embeddings counted once).
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    texts = [t for t in texts if t]
    if not texts:
        raise ValueError("build_mt_model needs at least one non-empty text")
    tok = _train_nllb_tokenizer(texts, vocab_size, src_lang)
    special_ids = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2}
    for name, i in special_ids.items():
        assert getattr(tok, name) == i, (name, getattr(tok, name))
    kwargs = _config_kwargs(MT_DEFAULTS, spec or {}, M2M100Config)
    config = M2M100Config(
        **kwargs,
        vocab_size=len(tok),
        **special_ids,
        decoder_start_token_id=2,
        dtype="float32",
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config).to(torch.float32).eval()
    model.generation_config = GenerationConfig(**special_ids, decoder_start_token_id=2)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    n = n_parameters(model)
    log.info("built M2M100 with %d parameters in %s", n, out_dir)
    return n


def fit_chats(model, tokenizer, chats: list[tuple[str, str]], steps: int, lr: float, batch: int = 16,
              seed: int = 1):
    """Fit ``model`` to ``chats`` ((prompt, response) pairs, rendered by the tokenizer's chat
    template, every token trained) with ``steps`` AdamW steps on seeded random batches, and return
    it in eval mode: a tiny model that has learnt to end its answers, for tests and benchmarks of
    decoding (a random one never stops)."""
    import random

    from . import prompts

    seqs = [tokenizer("".join(prompts.chat_completion(tokenizer, p, r)), add_special_tokens=False)["input_ids"]
            for p, r in chats]
    torch.manual_seed(0)
    opt, rng = torch.optim.AdamW(model.parameters(), lr=lr), random.Random(seed)
    model.train()
    for _ in range(steps):
        rows = rng.sample(seqs, batch)
        width = max(map(len, rows))
        ids = torch.tensor([s + [tokenizer.pad_token_id] * (width - len(s)) for s in rows])
        labels = torch.tensor([s + [-100] * (width - len(s)) for s in rows])
        model(input_ids=ids, labels=labels).loss.backward()
        opt.step()
        opt.zero_grad()
    return model.eval()
