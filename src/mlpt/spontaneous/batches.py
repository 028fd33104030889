"""Batches of prompts for a forward pass (label scoring, the logit lens, the PCA probe): grouped
by token length and padded on the left, so that the last position of every row is its prompt's
last token."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["encode_left_padded", "length_batches", "model_device"]


def model_device(model) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    return next(iter(model.parameters()), torch.empty(0)).device


def encode_left_padded(tokenizer, texts: Sequence[str], device=None) -> dict[str, torch.Tensor]:
    """``input_ids``, ``attention_mask`` and ``position_ids`` for ``texts``, padded on the left so
    that the last position of every row is its last real token. Position ids count real tokens
    only (as generation does), so a prompt gets the same positions whatever it is batched with.
    The tokenizer's own special tokens are added (Gemma's ``<bos>``; none for Qwen)."""
    if tokenizer.pad_token_id is None:
        raise ValueError("the tokenizer has no pad token (load it with mlpt.prompts.load_tokenizer)")
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        enc = tokenizer(list(texts), return_tensors="pt", padding=True)
    finally:
        tokenizer.padding_side = side
    mask = enc["attention_mask"]
    out = {"input_ids": enc["input_ids"], "attention_mask": mask, "position_ids": (mask.cumsum(-1) - 1).clamp(min=0)}
    return {k: v.to(device) for k, v in out.items()} if device is not None else out


def length_batches(tokenizer, texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices of ``texts`` in batches of similar token length (less padding), longest first."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    lengths = [len(ids) for ids in tokenizer(list(texts))["input_ids"]] if texts else []
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
