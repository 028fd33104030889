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
Recipes and gotchas: ``/work/shared/NOTES.md``, "Tiny models of real architectures".
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
    AutoTokenizer,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)

__all__ = [
    "CHAT_TEMPLATE",
    "LM_SPECIAL_TOKENS",
    "SUPPORTED_ARCHS",
    "build_lm_tokenizer",
    "build_causal_lm",
    "build_mt_model",
]

log = logging.getLogger(__name__)

#: ChatML, as in Qwen's templates. The assistant content and its ``<|im_end|>``
#: are wrapped in ``{% generation %}`` so that
#: ``apply_chat_template(..., return_assistant_tokens_mask=True)`` and TRL's
#: ``assistant_only_loss`` train the end-of-turn token too.
CHAT_TEMPLATE: str = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)

#: Special tokens of the causal-LM tokenizer, in id order (ids 0, 1, 2).
#: ``<|endoftext|>`` is bos and pad; ``<|im_end|>`` (end of turn) is eos, so
#: generation stops at the end of an assistant turn.
LM_SPECIAL_TOKENS: tuple[str, ...] = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
_LM_BOS = _LM_PAD = "<|endoftext|>"
_LM_EOS = "<|im_end|>"

#: NLLB/M2M100 special tokens at ids 0-3, as in the real checkpoints.
_MT_SPECIAL_TOKENS: tuple[str, ...] = ("<s>", "<pad>", "</s>", "<unk>")

#: Defaults of the causal-LM spec (``build_causal_lm``).
CAUSAL_LM_DEFAULTS: dict[str, Any] = {
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "max_position_embeddings": 1024,
    "tie_word_embeddings": True,
}

#: Extra defaults for Gemma3: its own defaults (head_dim 256, window 4096,
#: a 1-in-6 full-attention pattern) are poor for a tiny model.
GEMMA3_DEFAULTS: dict[str, Any] = {"sliding_window": 512}

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

SUPPORTED_ARCHS: tuple[str, ...] = ("qwen3", "gemma3")


# --------------------------------------------------------------------------- #
# Causal-LM tokenizer
# --------------------------------------------------------------------------- #
def _byte_level_bpe(vocab_size: int) -> tuple[Tokenizer, trainers.BpeTrainer]:
    """An untrained byte-level BPE (digits split one by one, like Qwen) and its trainer."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    # As GPT-2/Qwen: keeps character offsets right (assistant masks use them).
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(LM_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    return tok, trainer


def build_lm_tokenizer(
    texts: Iterable[str], vocab_size: int, out_dir: str | Path
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer for a causal LM and save it to ``out_dir``.

    Like Qwen's: digits are split one per token, any text round-trips exactly
    (byte level, so nothing is unknown), no bos is prepended on encode.
    ``<|endoftext|>`` (id 0) is bos and pad, ``<|im_start|>`` is id 1 and
    ``<|im_end|>`` (id 2) is eos. The chat template is :data:`CHAT_TEMPLATE`.

    Args:
        texts: training texts (consumed once; any iterable).
        vocab_size: target vocabulary size including the 3 special tokens and
            the 256 byte symbols; a small corpus may give fewer.
        out_dir: directory to write (created if missing).

    Returns:
        The tokenizer reloaded from ``out_dir`` with ``AutoTokenizer``.
    """
    n_min = len(LM_SPECIAL_TOKENS) + 256
    if vocab_size < n_min:
        raise ValueError(
            f"vocab_size={vocab_size} is below the byte alphabet plus specials ({n_min})"
        )
    out_dir = Path(out_dir)
    tok, trainer = _byte_level_bpe(vocab_size)
    tok.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=_LM_BOS,
        eos_token=_LM_EOS,
        pad_token=_LM_PAD,
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
        model_max_length=1_000_000,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(out_dir)
    return AutoTokenizer.from_pretrained(out_dir)


# --------------------------------------------------------------------------- #
# Causal LMs
# --------------------------------------------------------------------------- #
def _gemma3_layer_types(n_layers: int) -> list[str]:
    """Alternate sliding/full attention, ending on a full layer (2 layers: sliding, full)."""
    types = [
        "full_attention" if i % 2 == 1 else "sliding_attention" for i in range(n_layers)
    ]
    types[-1] = "full_attention"
    return types


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
            f"and other {config_cls.__name__} arguments are accepted "
            "(in transformers 5, rope_theta goes inside rope_parameters)"
        )
    return {**defaults, **spec}


def _causal_config(arch: str, spec: dict[str, Any], special_ids: dict[str, int]):
    """The config for ``arch`` (see :data:`SUPPORTED_ARCHS`)."""
    if arch == "qwen3":
        from transformers import Qwen3Config

        kwargs = _config_kwargs(CAUSAL_LM_DEFAULTS, spec, Qwen3Config)
        return Qwen3Config(**kwargs, **special_ids, dtype="float32")
    if arch == "gemma3":
        from transformers import Gemma3TextConfig

        kwargs = _config_kwargs(
            {**CAUSAL_LM_DEFAULTS, **GEMMA3_DEFAULTS}, spec, Gemma3TextConfig
        )
        kwargs.setdefault("query_pre_attn_scalar", kwargs["head_dim"])
        kwargs.setdefault(
            "layer_types", _gemma3_layer_types(kwargs["num_hidden_layers"])
        )
        kwargs["sliding_window"] = min(
            kwargs["sliding_window"], kwargs["max_position_embeddings"]
        )
        return Gemma3TextConfig(**kwargs, **special_ids, dtype="float32")
    raise ValueError(f"unknown arch {arch!r}; supported: {', '.join(SUPPORTED_ARCHS)}")


def _model_class(arch: str) -> type[PreTrainedModel]:
    if arch == "qwen3":
        from transformers import Qwen3ForCausalLM

        return Qwen3ForCausalLM
    from transformers import Gemma3ForCausalLM

    return Gemma3ForCausalLM


def _set_generation_ids(
    model: PreTrainedModel, special_ids: dict[str, int], **extra: int
) -> None:
    """Write the special ids into the model's generation config."""
    model.generation_config = GenerationConfig(**special_ids, **extra)


def n_parameters(model: torch.nn.Module) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())


def build_causal_lm(
    arch: str,
    spec: dict[str, Any] | None,
    tokenizer_dir: str | Path,
    out_dir: str | Path,
    seed: int = 0,
) -> int:
    """Build a random-initialised causal LM and save it, with its tokenizer, to ``out_dir``.

    Args:
        arch: ``"qwen3"`` (Qwen3ForCausalLM) or ``"gemma3"`` (Gemma3ForCausalLM
            with a text-only Gemma3TextConfig).
        spec: config overrides; defaults in :data:`CAUSAL_LM_DEFAULTS` (plus
            ``sliding_window=512`` for gemma3, whose ``query_pre_attn_scalar``
            defaults to ``head_dim`` and ``layer_types`` to alternating
            sliding/full ending on full). Other attributes of the config class
            are passed through; anything else raises ValueError.
        tokenizer_dir: a directory written by :func:`build_lm_tokenizer`; the
            vocabulary size (``len(tokenizer)``) and bos/eos/pad ids come from
            it and override any in ``spec``.
        out_dir: directory to write; it becomes a complete model id.
        seed: ``torch.manual_seed`` before initialisation (same seed, same weights).

    Returns:
        The number of parameters (tied embeddings counted once).
    """
    if arch not in SUPPORTED_ARCHS:
        raise ValueError(
            f"unknown arch {arch!r}; supported: {', '.join(SUPPORTED_ARCHS)}"
        )
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    special_ids = {
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
    }
    if None in special_ids.values():
        raise ValueError(
            f"tokenizer in {tokenizer_dir} lacks a special token: {special_ids}"
        )
    config = _causal_config(arch, {**(spec or {}), "vocab_size": len(tok)}, special_ids)
    torch.manual_seed(seed)
    model = _model_class(arch)(config).to(torch.float32).eval()
    _set_generation_ids(model, special_ids)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tok.model_max_length = config.max_position_embeddings  # the copy matches the model
    tok.save_pretrained(out_dir)
    n = n_parameters(model)
    log.info("built %s with %d parameters in %s", arch, n, out_dir)
    return n


# --------------------------------------------------------------------------- #
# NLLB-style MT model
# --------------------------------------------------------------------------- #
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
    _set_generation_ids(model, special_ids, decoder_start_token_id=2)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    n = n_parameters(model)
    log.info("built M2M100 with %d parameters in %s", n, out_dir)
    return n
