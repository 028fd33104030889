"""Which examples share an optimiser step and a forward pass (``sft.batching``), and how much padding
that costs.

An optimiser step of the paper's recipe takes a global batch of 512 examples: 64 micro-batches of 8
on one GPU, or fewer per GPU on several. With random micro-batches about a third of the positions a
GPU computes are padding. Two ways to cut it:

* ``group_by_length`` (transformers' length-grouped sampler) sorts across the whole epoch: little
  padding, but it changes which examples share an optimiser step — another recipe.
* ``step_sorted`` keeps every optimiser step's examples exactly those of the random recipe (the next
  ``global_batch_size`` examples of one seeded permutation per epoch) and only regroups them inside
  the step: sorted by length and cut into micro-batches of balanced cost, dealt so that no rank waits
  on the longest (transformers' ``BatchRebalanceSampler``, whose micro-batches may differ in size).
  With the loss normalised by the real tokens of the whole step (transformers'
  ``num_items_in_batch``), the update equals the random recipe's up to float summation order (tested).

``random`` is the same permutation cut into equal micro-batches in permutation order.
"""

from __future__ import annotations

import numpy as np
from transformers.trainer_pt_utils import BatchRebalanceSampler

BATCHINGS = ("random", "step_sorted", "group_by_length")


class StepSampler(BatchRebalanceSampler):
    """Per optimiser step, the next ``effective_batch_size`` examples of a permutation seeded by
    ``seed + epoch``; this rank's micro-batches of them, length-sorted and cost-balanced (``sort``)
    or in permutation order, ``grad_accum`` per step."""

    def __init__(self, lengths: list[int], effective_batch_size: int, dp_size: int, grad_accum: int, *,
                 seed: int, rank: int = 0, sort: bool = True):
        # the parent seeds each epoch's permutation with seed + epoch: spread the run seeds apart so
        # that runs with seeds s and s + 1 do not share permutations shifted by one epoch
        super().__init__(lengths=lengths, effective_batch_size=effective_batch_size, dp_size=dp_size,
                         grad_accum=grad_accum, seed=seed * 1_000_003, rank=rank, drop_last=False)
        self.sort = sort

    def _assign(self, indices, lengths):
        if self.sort:
            return super()._assign(indices, lengths)
        # permutation order: micro-batch k of the step goes to rank k % dp_size, slot k // dp_size
        groups = np.array_split(np.asarray(indices), self.dp_size * self.grad_accum)
        return [[groups[slot * self.dp_size + r].tolist() for slot in range(self.grad_accum)]
                for r in range(self.dp_size)]


def step_batches(lengths: list[int], global_batch: int, micro_batch: int, world_size: int, *, seed: int,
                 batching: str, epoch: int = 0) -> list[list[list[int]]]:
    """Every rank's micro-batches (lists of example indices) of one epoch, in training order:
    ``[rank][i] -> indices``. ``group_by_length`` is approximated by transformers'
    ``LengthGroupedSampler`` on one process (what it does for one GPU)."""
    accum = global_batch // (micro_batch * world_size)
    if batching == "group_by_length":
        import torch
        from transformers.trainer_pt_utils import LengthGroupedSampler

        torch.manual_seed(seed + epoch)
        order = list(LengthGroupedSampler(micro_batch * accum, lengths=lengths))
        return [[order[i:i + micro_batch] for i in range(0, len(order), micro_batch)]]
    out = []
    for rank in range(world_size):
        sampler = StepSampler(lengths, global_batch, world_size, accum, seed=seed, rank=rank,
                              sort=batching == "step_sorted")
        sampler.set_epoch(epoch)
        out.append(list(sampler))
    return out


def padding_share(lengths: list[int], batches: list[list[int]]) -> float:
    """Padded positions / all positions computed, when every micro-batch is padded to its longest."""
    computed = sum(len(b) * max(lengths[i] for i in b) for b in batches if b)
    real = sum(lengths[i] for b in batches for i in b)
    return 1 - real / computed if computed else 0.0


class CountingCollator:
    """Wraps a collator and counts what the batches it builds cost: real tokens and computed
    positions (a padded batch computes rows × longest row; a padding-free row its real tokens)."""

    def __init__(self, collator):
        self.collator = collator
        self.real_tokens = 0
        self.positions = 0

    def __call__(self, features: list[dict]):
        batch = self.collator(features)
        self.real_tokens += sum(len(f["input_ids"]) for f in features)
        self.positions += batch["input_ids"].numel()
        return batch

    @property
    def padding_share(self) -> float:
        return 1 - self.real_tokens / self.positions if self.positions else 0.0
