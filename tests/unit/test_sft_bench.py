"""The SFT throughput benchmark counts padding right (no training here)."""

import importlib.util

import pytest
import torch

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("sft_throughput", ROOT / "benchmarks/sft_throughput.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_padding_fraction_of_a_right_padded_batch():
    # lengths 4, 2 and 1 padded to width 4: 7 real tokens in 12 positions
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    batch = {"input_ids": torch.zeros_like(mask), "attention_mask": mask}
    assert bench.batch_token_counts(batch) == (7, 12)
    assert bench.padding_fraction([bench.batch_token_counts(batch)]) == pytest.approx(5 / 12)


def test_padding_free_batches_have_no_padding_and_batches_are_pooled():
    flat = {"input_ids": torch.zeros((1, 7), dtype=torch.long)}  # three examples concatenated, no mask
    assert bench.batch_token_counts(flat) == (7, 7)
    assert bench.padding_fraction([(7, 12), (7, 7)]) == pytest.approx(5 / 19)  # by positions, not a mean of ratios
    assert bench.padding_fraction([]) == 0.0


def test_counting_collator_records_every_batch():
    counting = bench.CountingCollator(lambda feats: {"input_ids": torch.zeros((len(feats), 3)),
                                                     "attention_mask": torch.ones((len(feats), 3))})
    counting([{}, {}])
    counting([{}])
    assert counting.counts == [(6, 6), (3, 3)]


def test_exits_with_a_message_without_trl(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real_find_spec(name, *a))
    assert bench.main(["--steps", "2"]) == 2
    assert "TRL is not installed" in capsys.readouterr().err
