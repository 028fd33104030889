"""The logit lens: what each layer would predict if the model stopped there.

The paper reads the intermediate layers of a model through its own output head: the hidden state
of the prompt's last token after layer l goes through the final norm and the LM head, and the
softmax of the result is layer l's next-token distribution. Per layer it follows the probability
of the English label token against that of the target-language label token (the first token of
each, as it would follow the prompt's opening quote) and the entropy of the distribution.

Rows are the embedding output (row 0) and the output of every decoder layer (rows 1..L), all
taken *before* the final norm, so row L through norm and head is exactly the model's own
next-token distribution (the normalisation check the tests make). The states are read with
forward hooks on the input embeddings and on every decoder layer, not from ``hidden_states``,
whose last entry already has the final norm applied in some implementations.

Works for any decoder whose layers are a ``ModuleList`` (``layers``, ``h`` or ``layer``) and
whose final norm is a child named ``norm``, ``final_layernorm``, ``final_layer_norm`` or ``ln_f``,
or else its last child whose class name contains "Norm" (Qwen: ``model.model.norm``; Gemma: the
same, with its ``1 + weight`` RMSNorm and scaled embeddings handled by the modules themselves). A
final logit soft-cap in the config is applied as the model applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .batches import encode_left_padded, length_batches, model_device
from .labels import first_token_id

__all__ = ["LensResult", "decoder_layers", "final_norm", "layer_distributions", "layer_states", "logit_lens"]

_NORM_NAMES = ("norm", "final_layernorm", "final_layer_norm", "ln_f")
_LAYER_NAMES = ("layers", "h", "layer")


def _decoder(model) -> torch.nn.Module:
    """The decoder stack (``model.model`` for the causal LMs of the study)."""
    get = getattr(model, "get_decoder", None)
    decoder = get() if callable(get) else None
    return decoder if isinstance(decoder, torch.nn.Module) else getattr(model, "model", model)


def final_norm(model) -> torch.nn.Module:
    """The norm applied after the last decoder layer (see the module docstring)."""
    decoder = _decoder(model)
    for name in _NORM_NAMES:
        module = getattr(decoder, name, None)
        if isinstance(module, torch.nn.Module):
            return module
    for _, module in reversed(list(decoder.named_children())):
        if "norm" in type(module).__name__.lower():
            return module
    raise ValueError(f"no final norm found in {type(decoder).__name__}")


def decoder_layers(model) -> torch.nn.ModuleList:
    """The decoder layers, in order."""
    decoder = _decoder(model)
    for name in _LAYER_NAMES:
        module = getattr(decoder, name, None)
        if isinstance(module, torch.nn.ModuleList) and len(module):
            return module
    raise ValueError(f"no decoder layers found in {type(decoder).__name__}")


@torch.no_grad()
def layer_states(model, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The (batch x tokens x hidden) states of the embedding output and of every decoder layer,
    before the final norm, for one encoded batch (:func:`~mlpt.spontaneous.batches.encode_left_padded`)."""
    states: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        states.append(output[0] if isinstance(output, tuple) else output)

    hooks = [model.get_input_embeddings().register_forward_hook(keep)]
    hooks += [layer.register_forward_hook(keep) for layer in decoder_layers(model)]
    try:
        model(**batch, logits_to_keep=1)
    finally:
        for h in hooks:
            h.remove()
    expected = len(decoder_layers(model)) + 1
    if len(states) != expected:
        raise RuntimeError(f"captured {len(states)} states, expected {expected} (embeddings and each layer once)")
    return states


def _text_config(model):
    config = model.config
    return getattr(config, "text_config", None) or config


@torch.no_grad()
def layer_distributions(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The (layers + 1) x batch x logit-width float32 next-token distributions of the lens at the
    last position of every row (rows are left-padded, so it is the last real token)."""
    norm, head = final_norm(model), model.get_output_embeddings()
    cap = getattr(_text_config(model), "final_logit_softcapping", None)
    out = []
    for h in layer_states(model, batch):
        logits = head(norm(h[:, -1:, :]))[:, 0, :].float()
        if cap:
            logits = torch.tanh(logits / cap) * cap
        out.append(torch.softmax(logits, dim=-1))
    return torch.stack(out)


@dataclass
class LensResult:
    """Per layer (rows: embeddings, then layers 1..L) and prompt (columns)."""

    english: np.ndarray  # probability of the English label token
    target: np.ndarray  # probability of the target-language label token
    entropy: np.ndarray  # entropy of the layer's distribution, in nats
    english_ids: list[int]
    target_ids: list[int]


def _per_prompt(words: str | Sequence[str], n: int, what: str) -> list[str]:
    if isinstance(words, str):
        return [words] * n
    if len(words) != n:
        raise ValueError(f"{len(words)} {what} words for {n} prompts")
    return list(words)


def logit_lens(
    model,
    tokenizer,
    prompts: Sequence[str],
    english_words: str | Sequence[str],
    target_words: str | Sequence[str],
    *,
    batch_size: int = 8,
) -> LensResult:
    """The logit lens over ``prompts`` (see the module docstring).

    Args:
        model: a causal LM.
        tokenizer: its tokenizer, with a pad token.
        prompts: plain-text prompts ending where the answer begins (after the opening quote).
        english_words: the English label word, one for all prompts or one per prompt (e.g. each
            item's gold label).
        target_words: the target-language label word(s) (e.g. the test file's localized answer).
        batch_size: prompts per forward pass.
    """
    n = len(prompts)
    en_ids = [first_token_id(tokenizer, w) for w in _per_prompt(english_words, n, "English")]
    tg_ids = [first_token_id(tokenizer, w) for w in _per_prompt(target_words, n, "target")]
    layers = len(decoder_layers(model)) + 1
    english, target, entropy = (np.zeros((layers, n)) for _ in range(3))
    device = model_device(model)
    for idx in length_batches(tokenizer, prompts, batch_size):
        probs = layer_distributions(model, encode_left_padded(tokenizer, [prompts[i] for i in idx], device))
        cols = torch.arange(len(idx))
        english[:, idx] = probs[:, cols, [en_ids[i] for i in idx]].cpu().numpy()
        target[:, idx] = probs[:, cols, [tg_ids[i] for i in idx]].cpu().numpy()
        entropy[:, idx] = (-(probs * torch.log(probs.clamp_min(1e-45))).sum(-1)).clamp_min(0).cpu().numpy()
    return LensResult(english, target, entropy, en_ids, tg_ids)
