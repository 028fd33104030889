"""Constrained label scoring: the paper's answer to "which label did the model choose?".

A few-shot prompt ends with the answer field and an opening quote (``Answer: "``); the model's
next token starts its answer. The paper constrains the answer to the task's English label words
and scores each label by the *summed* next-token probability of every token that could begin the
label word. With the ``extended`` rule (the authors' rule is below), for a label word ``w`` the
prefix-token set holds every vocabulary token whose decoded bytes, with at most one leading space removed, form a non-empty prefix of the UTF-8
bytes of ``w``:

* plain prefixes (``p``, ``pos``, ``posit`` for "positive") and the same with the tokenizer's
  space marker (byte-level ``Ġpos``, SentencePiece ``▁pos``), because a model may or may not put
  a space after the quote;
* byte tokens: in a byte-level BPE every single byte is a token (``p`` is one), and a token
  holding part of a multi-byte character counts when its bytes are a prefix; in a SentencePiece
  vocabulary the byte-fallback tokens ``<0xNN>`` count the same way;
* never a special token, nor a bare space (it begins every label alike).

The score of a label is the sum of the next-token probabilities of its set, all labels from ONE
forward pass over the prompt; the prediction is the label with the highest score, ties broken by
a seeded random choice that depends only on the seed and the example's key (so a prediction does
not change with batch size or order). Prompts are plain text (base models, no chat template),
batched with left padding.

Two rules build the sets (``evaluation.label_tokens``; :data:`LABEL_TOKEN_RULES`):

* ``authors`` (the default): the set the authors' evaluation scripts build (their
  ``process_tokens``, the same in every ``*_eval_*shot*_enout.py`` and the logit-lens script),
  re-implemented here from its behaviour: every character prefix ``p`` of the word that is a
  vocabulary entry, as ``p`` or as ``▁p`` (SentencePiece's space marker; a byte-level vocabulary
  has no such entries), exact string lookups; the byte-fallback token ``<0xNN>`` of the first UTF-8
  byte of a word whose first character is not ASCII, where the vocabulary has it (SentencePiece);
  and, for Qwen (their test is ``"Qwen" in model_size``; here: a byte-level BPE, which in study B
  is exactly the Qwen1.5 family), the first token id of the tokenizer's encoding of each prefix.
  So for Qwen1.5 no ``Ġ``-prefixed token and no token holding part of a character counts
  (positive: ``p po pos posit positive``; 积极: ``积`` and ``积极``), and for Mistral the ``▁``
  forms and one ``<0xNN>`` do. :func:`authors_token_ids`.
* ``extended``: this project's byte rule below, a strict superset of ``authors`` on Qwen1.5
  (it adds ``Ġ``-prefixed and partial-character tokens). :func:`prefix_token_ids`.

Two controls:

* :func:`control_words` gives irrelevant label words ("ox", "horse", ...) to score in place of
  the task's labels (on the same prompts, or on prompts whose exemplars use them too, see
  :func:`mlpt.spontaneous.prompts.build_prompt`); :func:`positional_accuracy` reads their
  predictions as the task labels in the same positions.
* :func:`free_generation` generates a few tokens greedily, without constraint, and reports the
  share of outputs that start with none of the label words: the paper's "irrelevant output" rate.

Build the prefix-token sets once per tokenizer with :func:`label_token_sets` and pass them to
:func:`score_labels` for every batch of prompts.
"""

from __future__ import annotations

import json
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .batches import encode_left_padded, length_batches, model_device

__all__ = [
    "IRRELEVANT_WORDS",
    "LABEL_TOKEN_RULES",
    "authors_token_ids",
    "LabelScores",
    "LabelTokenSets",
    "FreeGeneration",
    "break_ties",
    "control_words",
    "first_token_id",
    "free_generation",
    "label_token_sets",
    "positional_accuracy",
    "score_labels",
    "starts_with_label",
    "token_bytes",
]

#: Label words unrelated to any task, for the irrelevant-label control (first k for k labels).
IRRELEVANT_WORDS: tuple[str, ...] = ("ox", "horse", "goat", "sheep")

_SENTENCEPIECE_SPACE = "▁"

#: How label token sets are built (see the module docstring): the authors' rule, or the extended one.
LABEL_TOKEN_RULES: tuple[str, ...] = ("authors", "extended")


# --------------------------------------------------------------------------- #
# What each token decodes to
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=1)
def _byte_level_decoder() -> dict[str, int]:
    """The inverse of the byte-level BPE alphabet (GPT-2's, used by Qwen): each of the 256
    bytes is written as one printable character (a space is ``Ġ``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


def _decoder_types(tokenizer) -> set[str]:
    """The types of the fast tokenizer's decoder and its nested decoders (e.g. ``ByteLevel``)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return set()
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if "type" in node:
                found.add(node["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(backend.to_str()).get("decoder"))
    return found


def is_byte_level(tokenizer) -> bool:
    """True for a byte-level BPE (its decoder maps the 256-character byte alphabet back to bytes)."""
    return "ByteLevel" in _decoder_types(tokenizer)


def _sentencepiece_bytes(token: str) -> bytes:
    if len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
        try:
            return bytes([int(token[3:5], 16)])
        except ValueError:
            pass
    return token.replace(_SENTENCEPIECE_SPACE, " ").encode("utf-8")


_TOKEN_BYTES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def token_bytes(tokenizer) -> list[bytes | None]:
    """The bytes each token id decodes to on its own (a leading space kept), ``None`` for special
    tokens. Computed once per tokenizer object.

    Byte-level BPE tokens are mapped back through the byte alphabet; other vocabularies are read
    as SentencePiece pieces (``▁`` is a space, ``<0xNN>`` is the byte NN). Tokens added to the
    vocabulary (not special) decode to their own text.
    """
    try:
        return _TOKEN_BYTES[tokenizer]
    except (KeyError, TypeError):
        pass
    special = set(tokenizer.all_special_ids)
    added = {i: t for t, i in tokenizer.get_added_vocab().items()}
    byte_level = is_byte_level(tokenizer)
    alphabet = _byte_level_decoder()
    out: list[bytes | None] = []
    for i, tok in enumerate(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))):
        if i in special or tok is None:
            out.append(None)
        elif i in added:
            out.append(added[i].encode("utf-8"))
        elif byte_level:
            try:
                out.append(bytes(alphabet[c] for c in tok))
            except KeyError:  # not in the byte alphabet: its own text
                out.append(tok.encode("utf-8"))
        else:
            out.append(_sentencepiece_bytes(tok))
    try:
        _TOKEN_BYTES[tokenizer] = out
    except TypeError:
        pass
    return out


def prefix_token_ids(tokens: Sequence[bytes | None], word: str) -> tuple[int, ...]:
    """The ids in ``tokens`` (as :func:`token_bytes` gives them) whose bytes, less at most one
    leading space, are a non-empty prefix of ``word``'s UTF-8 bytes."""
    target = word.encode("utf-8")
    ids = []
    for i, b in enumerate(tokens):
        if not b:
            continue
        stem = b[1:] if b[:1] == b" " else b
        if stem and target.startswith(stem):
            ids.append(i)
    return tuple(ids)


@dataclass(frozen=True)
class LabelTokenSets:
    """Each label word and the ids of its prefix tokens (see the module docstring)."""

    labels: tuple[str, ...]
    token_ids: tuple[tuple[int, ...], ...]

    def indicator(self, width: int, device=None) -> torch.Tensor:
        """A (labels x width) 0/1 float64 matrix: row k marks label k's prefix tokens. ``width``
        is the model's logit width, which may exceed the tokenizer's size (padded embeddings)."""
        m = torch.zeros(len(self.labels), width, dtype=torch.float64, device=device)
        for k, ids in enumerate(self.token_ids):
            m[k, list(ids)] = 1.0
        return m


def authors_token_ids(tokenizer, word: str, first_token_of_prefixes: bool | None = None) -> tuple[int, ...]:
    """The authors' label token set of ``word`` (the ``authors`` rule of the module docstring),
    sorted. ``first_token_of_prefixes`` switches on their Qwen branch (the first token of the
    tokenizer's encoding of every prefix, special tokens as the tokenizer adds them); None: on for
    a byte-level BPE."""
    vocab = tokenizer.get_vocab()
    prefixes = [word[:i] for i in range(1, len(word) + 1)]
    ids = {vocab[t] for p in prefixes for t in (p, _SENTENCEPIECE_SPACE + p) if t in vocab}
    first = word[:1].encode("utf-8")
    if first and first[0] >= 0x80 and f"<0x{first[0]:02X}>" in vocab:
        ids.add(vocab[f"<0x{first[0]:02X}>"])
    if first_token_of_prefixes is None:
        first_token_of_prefixes = is_byte_level(tokenizer)
    if first_token_of_prefixes:
        for p in prefixes:
            encoded = tokenizer(p)["input_ids"]
            if encoded:
                ids.add(int(encoded[0]))
    return tuple(sorted(ids))


def label_token_sets(tokenizer, labels: Sequence[str], rule: str = "authors") -> LabelTokenSets:
    """The token sets of ``labels`` under ``tokenizer`` by ``rule`` (``authors`` or ``extended``, see
    the module docstring); ValueError for a label that no token can begin (it could never be
    scored)."""
    if rule == "authors":
        sets = tuple(authors_token_ids(tokenizer, w) for w in labels)
    elif rule == "extended":
        tokens = token_bytes(tokenizer)
        sets = tuple(prefix_token_ids(tokens, w) for w in labels)
    else:
        raise ValueError(f"unknown label token rule '{rule}' (known: {', '.join(LABEL_TOKEN_RULES)})")
    empty = [w for w, ids in zip(labels, sets) if not ids]
    if empty:
        raise ValueError(f"no token of the vocabulary begins the label word(s) {empty}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"label words repeat: {list(labels)}")
    return LabelTokenSets(tuple(labels), sets)


def first_token_id(tokenizer, word: str, context: str = '"') -> int:
    """The first token of ``word`` as it follows ``context`` (the opening quote of the answer):
    the token after the context's own tokens in ``context + word``, or the first token of
    ``word`` alone where the two merge across the boundary."""
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"]
    full = tokenizer(context + word, add_special_tokens=False)["input_ids"]
    if full[: len(ctx)] == ctx and len(full) > len(ctx):
        return full[len(ctx)]
    return tokenizer(word, add_special_tokens=False)["input_ids"][0]


# --------------------------------------------------------------------------- #
# Forward passes
# --------------------------------------------------------------------------- #
@torch.no_grad()
def next_token_probs(model, tokenizer, texts: Sequence[str]) -> torch.Tensor:
    """The (len(texts) x logit width) float32 next-token distribution after each text, one
    forward pass over the batch."""
    batch = encode_left_padded(tokenizer, texts, model_device(model))
    logits = model(**batch, logits_to_keep=1).logits[:, -1, :]
    return torch.softmax(logits.float(), dim=-1)


# --------------------------------------------------------------------------- #
# Scoring
# --------------------------------------------------------------------------- #
@dataclass
class LabelScores:
    """Per example: the score of every label, the predicted label and whether it was a tie."""

    labels: tuple[str, ...]
    scores: np.ndarray  # (examples x labels) float64
    predictions: list[str]
    ties: np.ndarray  # (examples,) bool

    def rows(self, ids: Sequence[str] | None = None) -> list[dict]:
        """One plain dict per example (``id``, ``scores`` by label, ``prediction``, ``tie``)."""
        ids = [str(i) for i in range(len(self.predictions))] if ids is None else list(ids)
        return [{"id": rid, "scores": dict(zip(self.labels, map(float, row))), "prediction": pred, "tie": bool(tie)}
                for rid, row, pred, tie in zip(ids, self.scores, self.predictions, self.ties)]


def break_ties(scores: np.ndarray, seed: int, keys: Sequence[str], rtol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """The argmax of each row of ``scores`` and whether it was a tie.

    Labels whose score is within ``rtol`` (relative) of the row's best are tied; among tied labels
    one is drawn with a generator seeded by ``seed`` and the row's key, so the same key and seed
    always give the same label, whatever the other rows are.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if len(keys) != len(scores):
        raise ValueError(f"{len(keys)} keys for {len(scores)} rows of scores")
    best = scores.max(axis=1, keepdims=True) if len(scores) else np.zeros((0, 1))
    tied = scores >= best - rtol * np.abs(best)
    pred = np.empty(len(scores), dtype=np.int64)
    for r, (row, key) in enumerate(zip(tied, keys)):
        candidates = np.flatnonzero(row)
        if len(candidates) == 1:
            pred[r] = candidates[0]
        else:
            rng = np.random.default_rng([seed, zlib.crc32(str(key).encode("utf-8"))])
            pred[r] = rng.choice(candidates)
    return pred, tied.sum(axis=1) > 1


def score_labels(
    model,
    tokenizer,
    prompts: Sequence[str],
    labels: Sequence[str] | LabelTokenSets,
    *,
    seed: int = 0,
    keys: Sequence[str] | None = None,
    batch_size: int = 8,
    rule: str = "authors",
) -> LabelScores:
    """Score ``labels`` after every prompt and pick one label per prompt.

    Args:
        model: a causal LM (eval mode); its logits are read at the last position only.
        tokenizer: its tokenizer, with a pad token.
        prompts: plain-text prompts, each ending where the label word would begin.
        labels: the label words, or their :func:`label_token_sets` (build those once per tokenizer).
        seed: seed of the tie-break.
        keys: one stable key per prompt for the tie-break (e.g. the item id); default the index.
        batch_size: prompts per forward pass.
        rule: how the token sets of label words are built (ignored for ready sets).
    """
    sets = labels if isinstance(labels, LabelTokenSets) else label_token_sets(tokenizer, labels, rule)
    keys = [str(i) for i in range(len(prompts))] if keys is None else list(keys)
    scores = np.zeros((len(prompts), len(sets.labels)), dtype=np.float64)
    indicator = None
    for idx in length_batches(tokenizer, prompts, batch_size):
        probs = next_token_probs(model, tokenizer, [prompts[i] for i in idx])
        if indicator is None or indicator.shape[1] != probs.shape[1]:
            indicator = sets.indicator(probs.shape[1], probs.device)
        scores[idx] = (probs.double() @ indicator.T).cpu().numpy()
    pred, ties = break_ties(scores, seed, keys)
    return LabelScores(sets.labels, scores, [sets.labels[k] for k in pred], ties)


def control_words(n: int) -> tuple[str, ...]:
    """``n`` irrelevant label words for the control (``ox``, ``horse``, ...)."""
    if n > len(IRRELEVANT_WORDS):
        raise ValueError(f"only {len(IRRELEVANT_WORDS)} irrelevant words for {n} labels")
    return IRRELEVANT_WORDS[:n]


def positional_accuracy(predictions: Sequence[str], gold: Sequence[str], used: Sequence[str],
                        task_labels: Sequence[str]) -> float:
    """Accuracy of predictions made with the words ``used`` (e.g. the control words), each read as
    the task label in the same position (``used[k]`` stands for ``task_labels[k]``)."""
    if len(used) != len(task_labels):
        raise ValueError(f"{len(used)} words stand for {len(task_labels)} labels")
    if len(predictions) != len(gold) or not gold:
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} gold labels")
    meaning = dict(zip(used, task_labels))
    return sum(meaning[p] == g for p, g in zip(predictions, gold)) / len(gold)


# --------------------------------------------------------------------------- #
# Free generation: the irrelevant-output rate
# --------------------------------------------------------------------------- #
def starts_with_label(text: str, labels: Sequence[str]) -> bool:
    """True when ``text``, less leading white space, starts with one of ``labels`` (ignoring case)."""
    head = text.lstrip().casefold()
    return any(head.startswith(w.casefold()) for w in labels)


@dataclass
class FreeGeneration:
    """Greedy outputs, whether each starts with a label word, and the share that does not."""

    outputs: list[str]
    relevant: list[bool]

    @property
    def irrelevant_rate(self) -> float:
        return 1.0 - sum(self.relevant) / len(self.relevant) if self.relevant else float("nan")


@torch.no_grad()
def free_generation(
    model,
    tokenizer,
    prompts: Sequence[str],
    labels: Sequence[str],
    *,
    max_new_tokens: int | None = None,
    batch_size: int = 8,
) -> FreeGeneration:
    """Greedy, unconstrained continuations of ``prompts`` and whether each starts with a label.

    ``max_new_tokens`` defaults to the longest label's token count after the opening quote plus
    one, enough to write any label in full.
    """
    if max_new_tokens is None:
        max_new_tokens = 1 + max(len(tokenizer('"' + w, add_special_tokens=False)["input_ids"]) for w in labels)
    outputs = [""] * len(prompts)
    device = model_device(model)
    for idx in length_batches(tokenizer, prompts, batch_size):
        batch = encode_left_padded(tokenizer, [prompts[i] for i in idx], device)
        batch.pop("position_ids")  # generation derives them from the mask
        gen = model.generate(**batch, do_sample=False, max_new_tokens=max_new_tokens,
                             pad_token_id=tokenizer.pad_token_id)
        for i, row in zip(idx, gen[:, batch["input_ids"].shape[1] :].tolist()):
            outputs[i] = tokenizer.decode(row, skip_special_tokens=True)
    return FreeGeneration(outputs, [starts_with_label(o, labels) for o in outputs])
