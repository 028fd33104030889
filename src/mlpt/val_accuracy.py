"""Validation accuracy during SFT: the paper's checkpoint-selection criterion.

After every epoch the model answers the mixture's validation prompts (real greedy generation,
wrapped in the model's chat template exactly as evaluation wraps the test prompts, stopped at the
template's end-of-turn marker) and :func:`mlpt.scoring.score` — the scorer behind the lm-eval
filters — marks each answer. The selection metric is the accuracy averaged over the mixture's
languages (each language weighs the same, whatever its number of items).

Under several processes (DDP, FSDP) the prompts are sharded: each rank answers every
``world_size``-th prompt and the answers are gathered, so every rank computes the same accuracy
(the Trainer's checkpoint choice agrees across ranks) for 1/world_size of the work.

How a rank decodes its share (``method``; benchmarks/decoding_waste.py measures them):

* ``static``: batches of ``batch_size`` prompts of similar token length (sorted), each row
  stopped at its end-of-turn or EOS token (``eos_token_id``); a batch still runs until its longest
  row ends. When the model is sharded by FSDP every forward pass is a collective that all ranks
  must join, so then (and only then) every rank runs the same number of batches (a short share
  repeats a prompt) and generates with ``synced_gpus``; a DDP or single-process model holds all
  its weights and decodes on its own.
* ``continuous``: transformers' continuous batching (``model.generate_batch``, paged KV cache):
  a row that ends frees its slot for the next prompt, so only the tokens each answer needs are
  decoded. Not for an FSDP-sharded model (its ranks would run different numbers of forward
  passes). A request that fails is answered again by ``static``.
* ``auto`` (the default): ``continuous`` on a CUDA model that FSDP does not shard, ``static``
  otherwise. On a CPU continuous batching gave the same answers and, in one measurement on a
  loaded 2-core machine, 2.1 s against 5.0 s for static batches of 32 (BENCHMARKS.md, "Decoding"),
  but its paged cache is sized by hand there (:func:`_continuous`), so the CPU default stays
  ``static`` until the demo has run with it.

Both give greedy generation's answers (checked against one-prompt ``generate`` on the tiny
models in tests/unit/test_val_accuracy.py). :func:`generate` also counts the positions decoded
and the useful ones (each row's tokens up to and including its stop), logged per pass and
returned by :func:`accuracy` under ``decoding``.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from . import prompts, scoring

log = logging.getLogger(__name__)

METHODS = ("auto", "static", "continuous")


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


def _sharded(model) -> bool:
    """Whether FSDP holds (some of) ``model``'s parameters, i.e. a forward pass is a collective."""
    from . import fsdp

    return fsdp.sharding_report(model).sharded > 0


def choose_method(model, method: str = "auto") -> str:
    """The decoding ``method`` that :func:`generate` uses for ``model`` (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"unknown validation decoding method '{method}' (one of {', '.join(METHODS)})")
    sharded = _sharded(model)
    if method == "continuous" and sharded:
        raise ValueError("continuous batching cannot decode an FSDP-sharded model (use 'static' or 'auto')")
    if method != "auto":
        return method
    cuda = next(model.parameters()).device.type == "cuda"
    return "continuous" if cuda and not sharded and hasattr(model, "generate_batch") else "static"


class DecodeCount:
    """Positions decoded (every row of a batch at every step it runs; each answer's own tokens for
    continuous batching) and useful positions (each row's tokens up to and including its stop, or
    all of them when it reaches the token budget)."""

    def __init__(self):
        self.decoded = self.useful = self.rows = 0

    def add(self, decoded: int, useful: int, rows: int) -> None:
        self.decoded, self.useful, self.rows = self.decoded + decoded, self.useful + useful, self.rows + rows

    def as_dict(self) -> dict:
        return {"decoded_positions": self.decoded, "useful_positions": self.useful, "rows": self.rows,
                "waste_ratio": round(self.decoded / self.useful, 4) if self.useful else None}


def generate(model, tokenizer, user_prompts: list[str], *, batch_size: int, max_new_tokens: int,
             method: str = "auto", count: DecodeCount | None = None) -> list[str]:
    """Greedy answers to ``user_prompts``, cut at the chat template's end-of-turn token; sharded
    over the ranks of a distributed run and gathered (every rank returns all answers). ``count``,
    when given, receives this rank's decoded and useful positions."""
    rank, world = _rank_and_world()
    method = choose_method(model, method)
    synced = world > 1 and _sharded(model)
    mine = list(range(rank, len(user_prompts), world))
    if synced:  # equal shares: a short shard repeats a prompt (its answer is discarded)
        share = -(-len(user_prompts) // world)
        mine_run = mine + [mine[-1] if mine else 0] * (share - len(mine))
    else:
        mine_run = mine
    texts = [prompts.chat_prompt(tokenizer, user_prompts[i]) for i in mine_run]
    local = _generate_local(model, tokenizer, texts, batch_size=batch_size, max_new_tokens=max_new_tokens,
                            synced=synced, method=method, count=count if count is not None else DecodeCount())
    answers = local[: len(mine)]
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


def _generate_local(model, tokenizer, texts: list[str], *, batch_size: int, max_new_tokens: int, synced: bool,
                    method: str, count: DecodeCount) -> list[str]:
    stop_ids = prompts.stop_token_ids(tokenizer)
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    was_training, use_cache = model.training, model.config.use_cache
    model.eval()
    model.config.use_cache = True
    out: list[list[int] | None] = [None] * len(texts)
    try:
        if method == "continuous" and ids:
            _continuous(model, tokenizer, ids, out, stop_ids, max_new_tokens, count)
        todo = [i for i, o in enumerate(out) if o is None]
        if todo:
            _static(model, tokenizer, ids, todo, out, stop_ids, batch_size, max_new_tokens, synced, count)
    finally:
        model.config.use_cache = use_cache
        model.train(was_training)
    return [tokenizer.decode(prompts.cut_at_stop(row, stop_ids)[0], skip_special_tokens=True) for row in out]


def _static(model, tokenizer, ids, todo, out, stop_ids, batch_size, max_new_tokens, synced, count) -> None:
    """Batches of similar token length, left-padded; every row stops at its own stop token."""
    import torch

    pad = tokenizer.pad_token_id
    device = next(model.parameters()).device
    order = sorted(todo, key=lambda i: len(ids[i]))  # similar lengths share a batch
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(ids[i]) for i in idx)  # left padding: every row continues from its last real token
        input_ids = torch.tensor([[pad] * (width - len(ids[i])) + ids[i] for i in idx], device=device)
        mask = torch.tensor([[0] * (width - len(ids[i])) + [1] * len(ids[i]) for i in idx], device=device)
        with torch.no_grad():
            gen = model.generate(input_ids=input_ids, attention_mask=mask, do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=pad, eos_token_id=stop_ids,
                                 synced_gpus=synced)
        rows = gen[:, width:].tolist()
        for i, row in zip(idx, rows):
            out[i] = row
        useful = sum(prompts.useful_positions(r, stop_ids) for r in rows)
        count.add(len(idx) * (len(rows[0]) if rows else 0), useful, len(idx))


def _continuous(model, tokenizer, ids, out, stop_ids, max_new_tokens, count) -> None:
    """transformers' continuous batching; requests it did not finish are left for :func:`_static`."""
    import torch
    from transformers import GenerationConfig

    config = GenerationConfig(do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=stop_ids,
                              pad_token_id=tokenizer.pad_token_id)
    cb_config = None
    if next(model.parameters()).device.type != "cuda":  # sized from GPU memory otherwise; on a CPU, by the work
        from transformers.generation.configuration_utils import ContinuousBatchingConfig

        page = 64
        longest = max(len(x) for x in ids) + max_new_tokens
        cb_config = ContinuousBatchingConfig(page_size=page, max_requests_per_batch=32, max_batch_tokens=1024,
                                             num_blocks=32 * -(-longest // page) + 1)
    try:
        with torch.no_grad():
            results = model.generate_batch(ids, generation_config=config, continuous_batching_config=cb_config,
                                           progress_bar=False)
    except Exception as e:  # noqa: BLE001 - any failure: the static path answers instead
        log.warning("continuous batching failed (%s); decoding the validation prompts in static batches", e)
        return
    finished = [r for r in results.values() if r.error is None and r.is_finished()]
    # generate_batch names requests req_<i> in input order
    for r in finished:
        i = int(r.request_id.removeprefix("req_"))
        row = list(r.generated_tokens)
        out[i] = row
        count.add(len(row), prompts.useful_positions(row, stop_ids), 1)


def accuracy(model, tokenizer, records: list[dict], *, kind: str, answer_phrases: list[str], batch_size: int,
             max_new_tokens: int, method: str = "auto") -> dict:
    """{"accuracy": mean over languages, "by_language": {lang: accuracy}, "n": items, "decoding":
    this rank's decoded and useful positions} on ``records``."""
    count = DecodeCount()
    answers = generate(model, tokenizer, [r["prompt"] for r in records], batch_size=batch_size,
                       max_new_tokens=max_new_tokens, method=method, count=count)
    hits: dict[str, list[bool]] = defaultdict(list)
    for rec, answer in zip(records, answers):
        hits[rec["lang"]].append(scoring.score(kind, answer, rec["answer"], answer_phrases, rec["lang"])[1])
    by_language = {lang: sum(h) / len(h) for lang, h in sorted(hits.items())}
    mean = sum(by_language.values()) / len(by_language) if by_language else 0.0
    decoding = dict(count.as_dict(), method=choose_method(model, method))
    log.info("validation decoding (%s): %d positions decoded for %d useful (%.2fx)", decoding["method"],
             count.decoded, count.useful, count.decoded / count.useful if count.useful else float("nan"))
    return {"accuracy": mean, "by_language": by_language, "n": len(records), "decoding": decoding}
