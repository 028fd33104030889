"""Tests for mlpt.spontaneous.lens: the logit lens on tiny Qwen3- and Gemma3-style models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mlpt import models, prompts, tiny
from mlpt.spontaneous import batches, labels, lens

ROOT = Path(__file__).resolve().parents[2]
TINY_SPEC = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 2,
             "num_key_value_heads": 1, "head_dim": 16}
FAMILIES = {"qwen": "Qwen/Qwen3-0.6B-Base", "gemma": "google/gemma-3-1b-pt"}
PROMPTS = ['Review: good\nAnswer: "', 'Review: a much longer review, with more words in it\n答案: "', 'x: "']


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict:
    """Tiny models of both families, with a final norm far from the identity (random weights in
    [0, 3)), so that reading a layer through the norm twice, or not at all, changes the
    log-probabilities by more than 0.1."""
    d = tmp_path_factory.mktemp("tiny_lens")
    texts = ['Review: good\nAnswer: "positive"', 'Review: bad\n答案: "消极"', "积极 positive negative"] * 30
    tiny.build_lm_tokenizer(texts, 320, d / "tok")
    out = {}
    for name, like in FAMILIES.items():
        tiny.build_causal_lm(like, TINY_SPEC, d / "tok", d / name, seed=0, resources_dir=ROOT / "resources")
        model, tok = models.load_causal_lm(d / name), prompts.load_tokenizer(str(d / name))
        gen = torch.Generator().manual_seed(1)
        norm = lens.final_norm(model)
        with torch.no_grad():
            norm.weight.copy_(torch.rand(norm.weight.shape, generator=gen) * 3)
        out[name] = (model, tok)
    return out


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_shapes_and_ranges(tiny_models, family):
    model, tok = tiny_models[family]
    res = lens.logit_lens(model, tok, PROMPTS, "positive", ["积极", "消极", "positive"], batch_size=2)
    n_layers = TINY_SPEC["num_hidden_layers"] + 1
    for arr in (res.english, res.target, res.entropy):
        assert arr.shape == (n_layers, len(PROMPTS))
    assert ((res.english >= 0) & (res.english <= 1)).all() and ((res.target >= 0) & (res.target <= 1)).all()
    assert (res.entropy >= 0).all() and (res.entropy <= np.log(len(tok)) + 1e-4).all()
    assert res.english_ids == [labels.first_token_id(tok, "positive")] * 3
    assert res.target_ids[2] == res.english_ids[2] != res.target_ids[0]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_last_layer_is_the_models_own_distribution(tiny_models, family):
    """The normalisation check: the lens's last row (padded batch) equals the model's next-token
    distribution (each prompt alone) to 1e-5."""
    model, tok = tiny_models[family]
    batch = batches.encode_left_padded(tok, PROMPTS)
    dists = lens.layer_distributions(model, batch)
    assert dists.shape[:2] == (TINY_SPEC["num_hidden_layers"] + 1, len(PROMPTS))
    res = lens.logit_lens(model, tok, PROMPTS, "positive", "积极", batch_size=3)
    for i, prompt in enumerate(PROMPTS):
        with torch.no_grad():
            own = torch.softmax(model(**tok(prompt, return_tensors="pt")).logits[0, -1].float(), -1)
        torch.testing.assert_close(dists[-1, i], own, atol=1e-5, rtol=0)
        torch.testing.assert_close(dists[-1, i].log(), own.log(), atol=1e-4, rtol=0)
        assert res.english[-1, i] == pytest.approx(float(own[res.english_ids[i]]), abs=1e-5)
        assert res.entropy[-1, i] == pytest.approx(float(-(own * own.log()).sum()), abs=1e-4)
    # the earlier rows are really other layers: they differ from the last
    assert (dists[0].log() - dists[-1].log()).abs().max() > 1e-2


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_states_are_the_layers_before_the_final_norm(tiny_models, family):
    model, tok = tiny_models[family]
    batch = batches.encode_left_padded(tok, PROMPTS)
    states = lens.layer_states(model, batch)
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states
    assert len(states) == len(hidden) == TINY_SPEC["num_hidden_layers"] + 1
    for mine, theirs in zip(states[:-1], hidden[:-1]):
        torch.testing.assert_close(mine, theirs)
    # the model's last hidden state is already normalised; ours is not, the norm makes them equal
    torch.testing.assert_close(lens.final_norm(model)(states[-1]), hidden[-1], atol=1e-5, rtol=1e-5)
    assert (states[-1] - hidden[-1]).abs().max() > 1e-3


def test_final_norm_and_layers_found_generically():
    class Stack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(5, 4)
            self.blocks = torch.nn.Linear(4, 4)
            self.h = torch.nn.ModuleList([torch.nn.Linear(4, 4)])
            self.out_ln = torch.nn.LayerNorm(4)

    class LM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = Stack()

    lm = LM()
    assert lens.final_norm(lm) is lm.model.out_ln
    assert lens.decoder_layers(lm) is lm.model.h
    lm.model.out_ln = torch.nn.Identity()
    with pytest.raises(ValueError, match="no final norm"):
        lens.final_norm(lm)


def test_per_prompt_words_must_match(tiny_models):
    model, tok = tiny_models["qwen"]
    with pytest.raises(ValueError, match="2 target words for 3 prompts"):
        lens.logit_lens(model, tok, PROMPTS, "positive", ["积极", "消极"])
