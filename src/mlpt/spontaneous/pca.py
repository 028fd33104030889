"""PCA of mean-pooled hidden states over parallel prompts: how aligned the languages are.

The authors' statistic (study B's default; their ``knowledge_finding.ipynb`` at the pinned
commit, read for this project, none of its code or text shipped):

* prompts: their Amazon 2-shot exemplars with localized label words, the review, and the
  localized answer field with its opening quote, for their 7 languages (en de fr hi th sw ms) x
  the 500 test items; the strings are read at run time from the fetched notebook
  (:func:`read_authors_notebook`, parsed with :mod:`json` and :mod:`ast`, never executed);
* states: the model's ``hidden_states`` (index 0: the embeddings; index l: after decoder layer l;
  the last index after the final norm, as transformers returns it), each prompt's mean over all
  its tokens (:func:`mean_pooled_hidden_states`; padding excluded by the attention mask);
* statistic: one PCA (first component) over the pooled states of every prompt at their layer
  (18, of Qwen1.5-1.8B's 24), then per language pair the **Pearson r between the first-component
  coordinates of parallel items** (item i in language a against item i in language b;
  :func:`pc1_pearson`): higher means the two languages' representations of the same item agree,
  i.e. better aligned. Their 9 pairs: en-de en-fr en-hi de-fr de-hi fr-hi en-th en-sw en-ms.
  The notebook uses scikit-learn's ``PCA(n_components=1)``; :func:`principal_components` (numpy
  SVD of the centred matrix) gives the same coordinates up to the component's sign, which a
  Pearson r between two languages' coordinates does not see (tested against scikit-learn).

Labelled extras (``extra_*``), the project's earlier measure:

* :func:`mean_pooled_states`: per layer (embedding output and every decoder layer, before the
  final norm, as :func:`mlpt.spontaneous.lens.layer_states` reads them), the mean of each prompt's
  token states over its real tokens (the attention mask excludes padding).
* :func:`principal_components`: PCA by SVD of the centred matrix (numpy), with a deterministic
  sign (the largest loading of each component is positive).
* :func:`correlation_ratio`: the correlation of the first component with language is measured by
  the correlation ratio eta = sqrt(between-language sum of squares / total sum of squares) of the
  first-component coordinates grouped by language. It is 1 when the coordinate is a function of
  the language alone and 0 when every language has the same mean (higher = more *separated*, the
  opposite direction of the authors' r). For two languages it equals |Pearson r| between the
  coordinate and a 0/1 language indicator (the point-biserial correlation).
* :func:`layer_pca`: all of it per layer.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import torch

from .batches import encode_left_padded, length_batches, model_device
from .lens import decoder_layers, layer_states
from .study import ANALYSIS_FILES

__all__ = ["AUTHORS_NOTEBOOK", "AUTHORS_PAIRS", "AuthorsNotebook", "LayerPCA", "all_pairs", "authors_prompts",
           "correlation_ratio", "layer_pca", "mean_pooled_hidden_states", "mean_pooled_states", "pc1_pearson",
           "principal_components", "read_authors_notebook"]

#: The authors' PCA notebook, by path in their repository (fetched at the pinned commit, checked
#: against resources/spontaneous/reference.sha256).
AUTHORS_NOTEBOOK = ANALYSIS_FILES["pca"]
#: The language pairs whose Pearson r the notebook prints, in its order.
AUTHORS_PAIRS = (("en", "de"), ("en", "fr"), ("en", "hi"), ("de", "fr"), ("de", "hi"), ("fr", "hi"), ("en", "th"),
                 ("en", "sw"), ("en", "ms"))


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


# --------------------------------------------------------------------------- #
# The authors' statistic
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class AuthorsNotebook:
    """What the authors' PCA notebook defines (:func:`read_authors_notebook`)."""

    prefixes: dict[str, str]  # language -> the 2-shot exemplar block, localized labels
    fields: dict[str, str]  # language -> the answer field with its colon and space ("情感: ")
    languages: tuple[str, ...]  # the languages it pools, in order
    layer: int | None  # the hidden_states index it runs the PCA at


def read_authors_notebook(path: str | Path) -> AuthorsNotebook:
    """Parse the authors' PCA notebook (never executed): the ``prompt_prefix`` and ``emotion_map``
    dictionaries, the ``for language in [...]`` list that pools the states and the ``layer = N``
    the statistic runs at. ValueError naming the file where one is missing."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    found: dict = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a notebook magic: not one of the cells read here
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if name in ("prompt_prefix", "emotion_map") and isinstance(node.value, ast.Dict):
                    found[name] = ast.literal_eval(node.value)
                elif name == "layer" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                    found["layer"] = node.value.value
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == "language" \
                    and isinstance(node.iter, ast.List):
                found["languages"] = tuple(ast.literal_eval(node.iter))
    missing = [k for k in ("prompt_prefix", "emotion_map", "languages") if k not in found]
    if missing:
        raise ValueError(f"{path}: no {', '.join(missing)} found (not the authors' PCA notebook?)")
    return AuthorsNotebook(found["prompt_prefix"], found["emotion_map"], found["languages"], found.get("layer"))


def authors_prompts(notebook: AuthorsNotebook, lang: str, texts: Sequence[str]) -> list[str]:
    """The notebook's prompts of ``texts`` (reviews) in ``lang``: exemplars, ``\\n``, review, ``\\n``,
    the answer field and an opening quote. KeyError for a language it has no prompt for."""
    if lang not in notebook.prefixes or lang not in notebook.fields:
        raise KeyError(f"the authors' PCA notebook ({AUTHORS_NOTEBOOK}) has no prompt for '{lang}' "
                       f"(it has {' '.join(x for x in notebook.prefixes if x in notebook.fields)})")
    return [notebook.prefixes[lang] + "\n" + text + "\n" + notebook.fields[lang] + '"' for text in texts]


@torch.no_grad()
def mean_pooled_hidden_states(model, tokenizer, prompts: Sequence[str], *, batch_size: int = 8) -> np.ndarray:
    """The (layers + 1) x prompts x hidden float32 array of each prompt's mean over its real
    tokens of the model's ``hidden_states`` (index 0 the embeddings, the last after the final
    norm), as the authors pool them."""
    out: np.ndarray | None = None
    device = model_device(model)
    for idx in length_batches(tokenizer, prompts, batch_size):
        batch = encode_left_padded(tokenizer, [prompts[i] for i in idx], device)
        hidden = model(**batch, output_hidden_states=True, logits_to_keep=1).hidden_states
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.stack([(h.float() * mask).sum(1) / mask.sum(1) for h in hidden])
        if out is None:
            out = np.zeros((pooled.shape[0], len(prompts), pooled.shape[-1]), dtype=np.float32)
        out[:, idx] = pooled.cpu().numpy()
    if out is None:
        raise ValueError("no prompts")
    return out


def all_pairs(languages: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of ``languages``, in their order."""
    return list(combinations(languages, 2))


def pc1_pearson(states: np.ndarray, languages: Sequence[str], n_items: int,
                pairs: Sequence[Sequence[str]]) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """The authors' statistic at one layer. ``states``: prompts x hidden, the ``n_items`` parallel
    items of each of ``languages`` in turn (language-major, item order the same in every
    language). Returns ({"a-b": Pearson r of the first-component coordinates of the items in a
    and in b}, the first two components' coordinates, their variance shares)."""
    states = np.asarray(states)
    if states.shape[0] != len(languages) * n_items:
        raise ValueError(f"{states.shape[0]} prompts, expected {len(languages)} languages x {n_items} items")
    coords, explained = principal_components(states, 2)
    pc1 = {lang: coords[k * n_items:(k + 1) * n_items, 0] for k, lang in enumerate(languages)}
    out = {}
    for a, b in pairs:
        if a not in pc1 or b not in pc1:
            raise ValueError(f"pair {a}-{b}: both languages must be among {list(languages)}")
        out[f"{a}-{b}"] = float(np.corrcoef(pc1[a], pc1[b])[0, 1])
    return out, coords, explained
