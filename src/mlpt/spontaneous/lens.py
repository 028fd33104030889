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

The authors' lens (study B's default, :func:`authors_lens`; their ``zsm_emotion_2shot.py`` with
``llamawrapper.py`` at the pinned commit, read for this project, none of their code or text shipped):

* prompts: their Amazon 2-shot exemplars with *localized* label words (``情感: "积极"``), the
  review, and the localized answer field with its opening quote. Those strings are read at run time
  from their fetched script (:func:`read_authors_script`, parsed with :mod:`ast`, never executed):
  the ``prompt_prefix`` dictionary, each language's query suffix and their gold-to-English label
  mapping. The script has prompts for 16 languages (en zh ja hi sw bn it no es is bg sv sl ms th
  ru; not de fr nl pl), and its mapping lacks the Bulgarian labels (their script stops with an
  UnboundLocalError at the first bg item): such a language is skipped with the reason recorded
  (:func:`authors_languages`).
* per item, two token sets: the prefix tokens of the gold English label and of the gold localized
  label, built as their ``process_tokens`` builds them (:func:`authors_token_ids`); an item whose
  two sets share a token (any language but English) or either set is empty is dropped, counted.
* per decoder layer (rows 1..L: the output of each block through the final norm and the head; no
  embedding row), at the last position: the probability summed over each set, the same over both
  labels' sets ("any": their ``all_possible_*``), and the entropy in **bits**; the mean over items
  with their Gaussian 95% interval (mean +- 1.96 sd / sqrt(n)).
* labelled extras (``extra_*``): the first-token probabilities this project measured before.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .batches import encode_left_padded, length_batches, model_device
from .labels import authors_token_ids, first_token_id
from .study import ANALYSIS_FILES

__all__ = ["AUTHORS_SCRIPT", "AuthorsLens", "AuthorsScript", "LensResult", "authors_languages", "authors_lens",
           "authors_prompts", "decoder_layers", "final_norm", "layer_distributions",
           "layer_states", "logit_lens", "read_authors_script"]

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


# --------------------------------------------------------------------------- #
# The authors' lens
# --------------------------------------------------------------------------- #
#: The authors' logit-lens script, by path in their repository (fetched at the pinned commit,
#: checked against resources/spontaneous/reference.sha256).
AUTHORS_SCRIPT = ANALYSIS_FILES["lens"]
#: Their SentencePiece word-boundary marker (``add_spaces``).


@dataclass(frozen=True)
class AuthorsScript:
    """What the authors' lens script defines (:func:`read_authors_script`)."""

    prefixes: dict[str, str]  # language -> the 2-shot exemplar block, localized labels
    suffixes: dict[str, str]  # language -> what follows the review: "\n<localized field>: \""
    to_english: dict[str, str]  # gold label word (any language) -> English label


def _str_constants(node: ast.AST) -> list[str]:
    """The string constants under ``node``, in source order."""
    found = [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return [n.value for n in sorted(found, key=lambda n: (n.lineno, n.col_offset))]


def _compared(test: ast.AST, name: str) -> list[str]:
    """The string constants ``name`` is compared with (``==``) in an ``if`` test, or []."""
    out = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == name \
                and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq) \
                and isinstance(node.comparators[0], ast.Constant) and isinstance(node.comparators[0].value, str):
            out.append(node.comparators[0].value)
    return out


def _assigned(body: Sequence[ast.stmt], name: str) -> ast.AST | None:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return stmt.value
    return None


def read_authors_script(path: str | Path) -> AuthorsScript:
    """Parse the authors' lens script (never executed): the ``prompt_prefix`` dictionary, each
    ``if target_lang == '<lang>': prompt = [prompt_prefix[...] + '\\n' + i + '<suffix>' ...]``
    branch's suffix, and the ``if out_token_str == ... : latent_token_str = '<English>'``
    mapping. ValueError naming the file where one of them is missing."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    prefixes: dict[str, str] | None = None
    suffixes: dict[str, str] = {}
    to_english: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "prompt_prefix"
                                                for t in node.targets) and isinstance(node.value, ast.Dict):
            prefixes = ast.literal_eval(node.value)
        if not isinstance(node, ast.If):
            continue
        query = _assigned(node.body, "prompt")
        langs = _compared(node.test, "target_lang")
        if len(langs) == 1 and isinstance(query, ast.ListComp):
            constants = _str_constants(query.elt)
            if constants and constants[-1].startswith("\n"):
                suffixes[langs[0]] = constants[-1]
        english = _assigned(node.body, "latent_token_str")
        if isinstance(english, ast.Constant) and isinstance(english.value, str):
            for word in _compared(node.test, "out_token_str"):
                to_english.setdefault(word, english.value)
    missing = [what for what, got in (("prompt_prefix", prefixes), ("query suffixes", suffixes),
                                      ("gold-to-English mapping", to_english)) if not got]
    if missing:
        raise ValueError(f"{path}: no {', '.join(missing)} found (not the authors' lens script?)")
    return AuthorsScript(dict(prefixes), suffixes, to_english)


def authors_languages(script: AuthorsScript, languages: Sequence[str],
                      gold: dict[str, Sequence[str]]) -> tuple[list[str], dict[str, str]]:
    """(the languages of ``languages`` the authors' lens runs in, {skipped language: reason}).
    ``gold`` gives each language's gold label words (its test file's answers)."""
    kept, skipped = [], {}
    for lang in languages:
        if lang not in script.prefixes or lang not in script.suffixes:
            have = [x for x in script.prefixes if x in script.suffixes]
            skipped[lang] = (f"the authors' lens script ({AUTHORS_SCRIPT}) has no prompt for '{lang}' "
                             f"(it has {len(have)} languages: {' '.join(have)})")
            continue
        unmapped = sorted({w for w in gold.get(lang, ()) if w not in script.to_english})
        if unmapped:
            skipped[lang] = (f"the authors' gold-to-English label mapping ({AUTHORS_SCRIPT}) lacks {unmapped}: "
                             "their script fails on the first such item (latent_token_str unbound)")
            continue
        kept.append(lang)
    return kept, skipped


def authors_prompts(script: AuthorsScript, lang: str, texts: Sequence[str]) -> list[str]:
    """The lens prompts of ``texts`` (reviews) in ``lang``: exemplars, ``\\n``, review, suffix."""
    return [script.prefixes[lang] + "\n" + text + script.suffixes[lang] for text in texts]


@dataclass
class AuthorsLens:
    """The authors' lens over one language's prompts: rows are decoder layers 1..L, columns the
    kept items (``kept``: their indices among the prompts)."""

    english: np.ndarray  # probability summed over the gold English label's token set
    target: np.ndarray  # probability summed over the gold localized label's token set
    english_any: np.ndarray  # summed over the union of every English label's set
    target_any: np.ndarray  # summed over the union of every localized label's set
    entropy_bits: np.ndarray  # entropy of the layer's distribution, in bits
    extra_english_first: np.ndarray  # extra: the first token of the English label only
    extra_target_first: np.ndarray  # extra: the first token of the localized label only
    kept: list[int]
    dropped: dict[str, list[int]] = field(default_factory=dict)  # reason -> prompt indices

    def summary(self) -> dict:
        """Per layer: the mean over kept items and the half-width of their Gaussian 95% interval
        (the authors' ``plot_ci``: 1.96 x the sample standard deviation / sqrt(n))."""
        n = len(self.kept)
        out: dict = {"n": n, "dropped": {k: len(v) for k, v in self.dropped.items()}}
        for key in ("english", "target", "english_any", "target_any", "entropy_bits", "extra_english_first",
                    "extra_target_first"):
            arr = getattr(self, key)
            out[key] = arr.mean(axis=1).tolist() if n else [None] * arr.shape[0]
            if key in ("english", "target", "entropy_bits"):
                sd = arr.std(axis=1, ddof=1) if n > 1 else np.full(arr.shape[0], np.nan)
                out[f"{key}_ci"] = (1.96 * sd / np.sqrt(max(n, 1))).tolist()
        return out


def authors_lens(model, tokenizer, prompts: Sequence[str], english_words: Sequence[str], target_words: Sequence[str],
                 *, drop_overlap: bool = True, first_token_of_prefixes: bool | None = None,
                 batch_size: int = 8) -> AuthorsLens:
    """The authors' lens (see the module docstring) over ``prompts``, given each item's gold
    English label and gold localized label; ``drop_overlap`` is false for English (the authors'
    ``target_lang != 'en'``)."""
    n = len(prompts)
    if len(english_words) != n or len(target_words) != n:
        raise ValueError(f"{len(english_words)} English and {len(target_words)} target words for {n} prompts")
    sets: dict[str, tuple[int, ...]] = {}

    def ids(word: str) -> tuple[int, ...]:
        if word not in sets:
            sets[word] = authors_token_ids(tokenizer, word, first_token_of_prefixes)
        return sets[word]

    kept, dropped = [], {"empty_token_set": [], "overlap": []}
    for i, (en, tg) in enumerate(zip(english_words, target_words)):
        if not ids(en) or not ids(tg):
            dropped["empty_token_set"].append(i)
        elif drop_overlap and set(ids(en)) & set(ids(tg)):
            dropped["overlap"].append(i)
        else:
            kept.append(i)
    any_en = sorted({t for w in set(english_words) for t in ids(w)})
    any_tg = sorted({t for w in set(target_words) for t in ids(w)})
    layers = len(decoder_layers(model))
    arrays = {k: np.zeros((layers, len(kept))) for k in ("english", "target", "english_any", "target_any",
                                                         "entropy_bits", "extra_english_first", "extra_target_first")}
    first_en = {w: first_token_id(tokenizer, w) for w in set(english_words)}
    first_tg = {w: first_token_id(tokenizer, w) for w in set(target_words)}
    device = model_device(model)
    column = {item: c for c, item in enumerate(kept)}
    for idx in length_batches(tokenizer, [prompts[i] for i in kept], batch_size):
        items = [kept[j] for j in idx]
        probs = layer_distributions(model, encode_left_padded(tokenizer, [prompts[i] for i in items], device))[1:]
        probs = probs.double()
        cols = [column[i] for i in items]
        for b, i in enumerate(items):
            p = probs[:, b, :]
            arrays["english"][:, cols[b]] = p[:, list(ids(english_words[i]))].sum(-1).cpu().numpy()
            arrays["target"][:, cols[b]] = p[:, list(ids(target_words[i]))].sum(-1).cpu().numpy()
            arrays["english_any"][:, cols[b]] = p[:, any_en].sum(-1).cpu().numpy()
            arrays["target_any"][:, cols[b]] = p[:, any_tg].sum(-1).cpu().numpy()
            arrays["extra_english_first"][:, cols[b]] = p[:, first_en[english_words[i]]].cpu().numpy()
            arrays["extra_target_first"][:, cols[b]] = p[:, first_tg[target_words[i]]].cpu().numpy()
            plogp = torch.where(p > 0, p * torch.log2(p.clamp_min(1e-300)), torch.zeros_like(p))
            arrays["entropy_bits"][:, cols[b]] = (-plogp.sum(-1)).clamp_min(0).cpu().numpy()
    return AuthorsLens(**arrays, kept=kept, dropped=dropped)
