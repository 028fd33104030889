"""Validation accuracy during SFT: the paper's checkpoint-selection criterion.

After every epoch the model answers the mixture's validation prompts (real greedy generation,
wrapped in the model's chat template exactly as evaluation wraps the test prompts, stopped at the
template's end-of-turn marker) and :func:`mlpt.scoring.score` — the scorer behind the lm-eval
filters — marks each answer. The selection metric is the accuracy averaged over the mixture's
languages (each language weighs the same, whatever its number of items).

Under several processes every rank validates the whole set: greedy decoding of the same prompts
gives the same answers on every rank, so no communication is needed and sharded (FSDP) models,
whose forward pass needs every rank, work unchanged.
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


def generate(model, tokenizer, user_prompts: list[str], *, batch_size: int, max_new_tokens: int) -> list[str]:
    """Greedy answers to ``user_prompts``, cut at the chat template's end-of-turn marker."""
    import torch

    stop = prompts.end_of_turn(tokenizer)
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
                                     pad_token_id=tokenizer.pad_token_id, stop_strings=[stop], tokenizer=tokenizer)
            # decoded and cut as lm-eval's HF backend does: special tokens dropped, text after the stop cut
            answers = tokenizer.batch_decode(gen[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
            for i, text in zip(idx, answers):
                out[i] = text.split(stop, 1)[0]
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
        hits[rec["lang"]].append(scoring.score(kind, answer, rec["answer"], answer_phrases)[1])
    by_language = {lang: sum(h) / len(h) for lang, h in sorted(hits.items())}
    mean = sum(by_language.values()) / len(by_language) if by_language else 0.0
    return {"accuracy": mean, "by_language": by_language, "n": len(records)}
