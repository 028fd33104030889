"""Validation accuracy during SFT: the paper's checkpoint-selection criterion.

After every epoch the model answers the mixture's validation prompts (real greedy generation,
wrapped in the model's chat template exactly as evaluation wraps the test prompts, stopped at the
template's end-of-turn marker) and :func:`mlpt.scoring.score` — the scorer behind the lm-eval
filters — marks each answer. The selection metric is the accuracy averaged over the mixture's
languages (each language weighs the same, whatever its number of items).

Under several processes (DDP, FSDP) the prompts are sharded: each rank answers every
``world_size``-th prompt and the answers are gathered, so every rank computes the same accuracy
(the Trainer's checkpoint choice agrees across ranks) for 1/world_size of the work. Every rank runs
the same number of batches and generates with ``synced_gpus``, because under FSDP each forward
pass is a collective that all ranks must join.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from . import prompts, scoring

log = logging.getLogger(__name__)


def select_records(records: list[dict], limit_per_language: int | None) -> list[dict]:
    """The validation records, at most ``limit_per_language`` per language (first by id)."""
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for rec in sorted((r for r in records if r["split"] == "val"), key=lambda r: (r["lang"], r["id"])):
        by_lang[rec["lang"]].append(rec)
    return [r for recs in by_lang.values() for r in recs[:limit_per_language]]


def _rank_and_world() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def generate(model, tokenizer, user_prompts: list[str], *, batch_size: int, max_new_tokens: int) -> list[str]:
    """Greedy answers to ``user_prompts``, cut at the chat template's end-of-turn token; sharded
    over the ranks of a distributed run and gathered (every rank returns all answers)."""
    rank, world = _rank_and_world()
    mine = list(range(rank, len(user_prompts), world))
    # equal shares: a short shard repeats a prompt (its answer is discarded), so every rank runs
    # the same batches
    share = -(-len(user_prompts) // world)
    padded = mine + [mine[-1] if mine else 0] * (share - len(mine))
    answers = _generate_local(model, tokenizer, [user_prompts[i] for i in padded], batch_size=batch_size,
                              max_new_tokens=max_new_tokens, synced=world > 1) if padded else []
    if world == 1:
        return answers
    import torch.distributed as dist

    gathered: list = [None] * world
    dist.all_gather_object(gathered, list(zip(mine, answers)))
    out = [""] * len(user_prompts)
    for pairs in gathered:
        for i, answer in pairs:
            out[i] = answer
    return out


def _generate_local(model, tokenizer, user_prompts: list[str], *, batch_size: int, max_new_tokens: int,
                    synced: bool) -> list[str]:
    import torch

    stop_ids = prompts.stop_token_ids(tokenizer)
    texts = [prompts.chat_prompt(tokenizer, p) for p in user_prompts]
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # generation continues every row from its last real token
    was_training, use_cache = model.training, model.config.use_cache
    model.eval()
    model.config.use_cache = True
    out: list[str] = [""] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
            batch = batch.to(next(model.parameters()).device)
            with torch.no_grad():
                gen = model.generate(**batch, do_sample=False, max_new_tokens=max_new_tokens,
                                     pad_token_id=tokenizer.pad_token_id, eos_token_id=stop_ids, synced_gpus=synced)
            for i, row in zip(idx, gen[:, batch["input_ids"].shape[1] :].tolist()):
                answer_ids, _ = prompts.cut_at_stop(row, stop_ids)
                out[i] = tokenizer.decode(answer_ids, skip_special_tokens=True)
    finally:
        tokenizer.padding_side = side
        model.config.use_cache = use_cache
        model.train(was_training)
    return out


def accuracy(model, tokenizer, records: list[dict], *, kind: str, answer_phrases: list[str], batch_size: int,
             max_new_tokens: int) -> dict:
    """{"accuracy": mean over languages, "by_language": {lang: accuracy}, "n": items} on ``records``."""
    answers = generate(model, tokenizer, [r["prompt"] for r in records], batch_size=batch_size,
                       max_new_tokens=max_new_tokens)
    hits: dict[str, list[bool]] = defaultdict(list)
    for rec, answer in zip(records, answers):
        hits[rec["lang"]].append(scoring.score(kind, answer, rec["answer"], answer_phrases, rec["lang"])[1])
    by_language = {lang: sum(h) / len(h) for lang, h in sorted(hits.items())}
    mean = sum(by_language.values()) / len(by_language) if by_language else 0.0
    return {"accuracy": mean, "by_language": by_language, "n": len(records)}
