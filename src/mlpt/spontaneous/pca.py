"""PCA of mean-pooled hidden states over parallel prompts, and how much of it is language.

The paper feeds the same items in several languages (parallel prompts) through a model, pools
each prompt's hidden states per layer, and projects them on their principal components: where the
first component separates the languages, the layer represents language more than content; a
model whose languages are better aligned separates them less.

* :func:`mean_pooled_states`: per layer (embedding output and every decoder layer, before the
  final norm, as :func:`mlpt.spontaneous.lens.layer_states` reads them), the mean of each prompt's
  token states over its real tokens (the attention mask excludes padding).
* :func:`principal_components`: PCA by SVD of the centred matrix (numpy), with a deterministic
  sign (the largest loading of each component is positive).
* :func:`correlation_ratio`: the correlation of the first component with language is measured by
  the correlation ratio eta = sqrt(between-language sum of squares / total sum of squares) of the
  first-component coordinates grouped by language. It is 1 when the coordinate is a function of
  the language alone and 0 when every language has the same mean. Eta is used rather than a
  Pearson r because it takes any number of languages (a language is a category, not a number) and
  ignores the arbitrary sign of a principal component; for two languages it equals |Pearson r|
  between the coordinate and a 0/1 language indicator (the point-biserial correlation).
* :func:`layer_pca`: all of it per layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .batches import encode_left_padded, length_batches, model_device
from .lens import decoder_layers, layer_states

__all__ = ["LayerPCA", "correlation_ratio", "layer_pca", "mean_pooled_states", "principal_components"]


@torch.no_grad()
def mean_pooled_states(model, tokenizer, prompts: Sequence[str], *, batch_size: int = 8) -> np.ndarray:
    """The (layers + 1) x prompts x hidden float32 array of attention-masked mean hidden states."""
    layers = len(decoder_layers(model)) + 1
    out: np.ndarray | None = None
    device = model_device(model)
    for idx in length_batches(tokenizer, prompts, batch_size):
        batch = encode_left_padded(tokenizer, [prompts[i] for i in idx], device)
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.stack([(h.float() * mask).sum(1) / mask.sum(1) for h in layer_states(model, batch)])
        if out is None:
            out = np.zeros((layers, len(prompts), pooled.shape[-1]), dtype=np.float32)
        out[:, idx] = pooled.cpu().numpy()
    if out is None:
        raise ValueError("no prompts")
    return out


def principal_components(x: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (samples x n_components) of the rows of ``x`` on its first principal components,
    and each component's share of the total variance."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(n_components, len(s))
    signs = np.sign(vt[np.arange(k), np.abs(vt[:k]).argmax(axis=1)])
    signs[signs == 0] = 1.0
    coords = u[:, :k] * s[:k] * signs
    total = float((s**2).sum())
    explained = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
    return coords, explained


def correlation_ratio(values: Sequence[float], groups: Sequence) -> float:
    """Eta of ``values`` grouped by ``groups`` (see the module docstring); NaN when the values do
    not vary."""
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups)
    if len(values) != len(groups):
        raise ValueError(f"{len(values)} values for {len(groups)} group labels")
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0:
        return float("nan")
    between = sum(float((groups == g).sum()) * (values[groups == g].mean() - values.mean()) ** 2
                  for g in np.unique(groups))
    return float(np.sqrt(min(1.0, between / total)))


@dataclass
class LayerPCA:
    """Per layer (rows: embeddings, then layers 1..L)."""

    coords: np.ndarray  # layers x prompts x components
    explained: np.ndarray  # layers x components: share of variance
    eta: np.ndarray  # layers: correlation ratio of the first component with language


def layer_pca(states: np.ndarray, languages: Sequence[str], n_components: int = 2) -> LayerPCA:
    """PCA of every layer's pooled states (layers x prompts x hidden, from
    :func:`mean_pooled_states`) and the correlation of the first component with ``languages``
    (one language code per prompt)."""
    states = np.asarray(states)
    if states.ndim != 3 or states.shape[1] != len(languages):
        raise ValueError(f"states of shape {states.shape} for {len(languages)} prompts (layers x prompts x hidden)")
    coords, explained, eta = [], [], []
    for layer in states:
        c, e = principal_components(layer, n_components)
        coords.append(c)
        explained.append(e)
        eta.append(correlation_ratio(c[:, 0], languages))
    return LayerPCA(np.stack(coords), np.stack(explained), np.asarray(eta))
