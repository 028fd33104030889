"""sft.batching: step_sorted keeps every optimiser step's examples and its update, and removes padding."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from mlpt import batching, tiny

ROOT = Path(__file__).resolve().parents[2]


def _steps(batches: list[list[list[int]]], accum: int) -> list[list[int]]:
    """The sorted example ids of each optimiser step, over all ranks."""
    n = len(batches[0]) // accum
    return [sorted(i for rank in batches for mb in rank[k * accum:(k + 1) * accum] for i in mb) for k in range(n)]


@pytest.fixture(scope="module")
def gsm8k_lengths(tmp_path_factory) -> list[int]:
    """Token lengths of the shipped GSM8K training items (question + answer), tiny vocabulary."""
    rows = [json.loads(line) for line in (ROOT / "resources/gsm8k/train.jsonl").open(encoding="utf-8")]
    texts = [r["question"] + "\n" + r["answer"] for r in rows]
    d = tmp_path_factory.mktemp("bpe")
    bpe = tiny.build_lm_tokenizer(texts[:2000], 2000, d)
    return [len(e.ids) for e in bpe.encode_batch(texts)]


@pytest.mark.parametrize("world", [1, 2, 4])
def test_step_sorted_steps_hold_the_examples_of_the_random_recipe(world):
    random.seed(0)
    lengths = [random.randint(20, 900) for _ in range(3000)]
    accum = 512 // (8 * world)
    for epoch in (0, 1):
        plain = batching.step_batches(lengths, 512, 8, world, seed=3, batching="random", epoch=epoch)
        rsorted = batching.step_batches(lengths, 512, 8, world, seed=3, batching="step_sorted", epoch=epoch)
        assert _steps(plain, accum) == _steps(rsorted, accum)
        assert sorted(i for step in _steps(plain, accum) for i in step) == list(range(3000))  # each once
    other_seed = batching.step_batches(lengths, 512, 8, world, seed=4, batching="random")
    assert _steps(other_seed, accum) != _steps(plain, accum)  # the check can fail


def test_step_sorted_removes_the_padding_of_the_paper_batch_shape(gsm8k_lengths):
    """8 per device x 64 accumulation = 512 per step: random ~1/3 padding, step_sorted <= 2%."""
    share = {b: batching.padding_share(gsm8k_lengths, [mb for rank in batching.step_batches(
        gsm8k_lengths, 512, 8, 1, seed=1, batching=b) for mb in rank]) for b in ("random", "step_sorted")}
    assert share["random"] > 0.2
    assert share["step_sorted"] <= 0.02


def test_the_summed_gradient_of_a_step_does_not_depend_on_how_it_is_cut(tmp_path):
    """Loss normalised by the real tokens of the whole step: random and sorted micro-batches give the
    same gradient to float precision."""
    from mlpt.sft import CompletionCollator

    tiny.build_lm_tokenizer(["some words to learn a vocabulary from, 0123456789"] * 20, 300, tmp_path / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64,
                                                  "num_hidden_layers": 1}, tmp_path / "tok", tmp_path / "m",
                         resources_dir=ROOT / "resources")
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    g = torch.Generator().manual_seed(0)
    lengths = [int(x) for x in torch.randint(4, 60, (32,), generator=g)]
    feats = [{"input_ids": torch.randint(0, 200, (n,), generator=g).tolist()} for n in lengths]
    for f in feats:
        f["labels"] = [-100] * 2 + f["input_ids"][2:]
    collate = CompletionCollator(pad_id=0)
    n_items = sum(sum(1 for x in f["labels"][1:] if x != -100) for f in feats)

    def step_gradient(batches):
        model.zero_grad()
        for mb in batches:
            model(**collate([feats[i] for i in mb]), num_items_in_batch=n_items).loss.backward()
        return torch.cat([p.grad.flatten() for p in model.parameters()])

    plain = batching.step_batches(lengths, 32, 4, 1, seed=0, batching="random")[0]
    rsorted = batching.step_batches(lengths, 32, 4, 1, seed=0, batching="step_sorted")[0]
    assert plain != rsorted
    a, b = step_gradient(plain), step_gradient(rsorted)
    assert torch.allclose(a, b, atol=1e-6, rtol=1e-5)
    assert not torch.allclose(a, step_gradient(plain[:4]), atol=1e-6)  # the check can fail


def test_counting_collator_measures_padding():
    from mlpt.sft import CompletionCollator

    counter = batching.CountingCollator(CompletionCollator(pad_id=0))
    counter([{"input_ids": [1, 2, 3, 4], "labels": [1, 2, 3, 4]}, {"input_ids": [1, 2], "labels": [1, 2]}])
    assert (counter.real_tokens, counter.positions) == (6, 8) and counter.padding_share == 0.25
