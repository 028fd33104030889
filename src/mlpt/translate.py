"""Translation stage: source-language records → one language, structure preserved.

The ``translate`` rule calls :func:`run`: every split of the target language is taken from the
source (the source language itself), from existing human translations (aligned by item id; a
missing id is an error, never invented), or machine-translated by :func:`translate_records`. The
parts live in modules of their own, re-exported here for callers:

- :mod:`mlpt.mt_structure`: what of a record reaches the MT model (segmentation, calculator marks,
  dialogue markup, API names and values held back by placeholders) and how the output is put back;
- :mod:`mlpt.sentences`: segments longer than ``translation.max_segment_chars`` cut into
  sentences by the source language's rules, translated one by one and re-joined;
- :mod:`mlpt.mt_backends`: the ``seq2seq`` and ``llm`` backends behind one callable interface;
- :mod:`mlpt.translation_qc`: the checks every machine-translated record gets;
- :mod:`mlpt.mt_quality`: chrF and BLEU of a backend against human translations.

Scale (this module): the distinct MT inputs of a job are sorted by length and cut into shards of
``translation.shard_size``; each finished shard is written to a work directory (outside the
job's declared outputs) under a fingerprint of its texts and of everything else that decides the
output (:func:`shard_settings`: the MT code's hash, backend settings, language codes, seed, the MT
weights by content), so a killed job that is run again translates only the shards it had not
finished, and a changed setting or model never reuses a shard.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from . import config as study_config
from . import code_version, models, sentences
from . import translation_qc as tqc
from .data import CALC_ANNOTATION
from .mt_backends import BACKENDS, LLMTranslator, Seq2SeqTranslator, language_names, make_translator
from .mt_quality import measure_quality, score_translations
from .mt_structure import (
    PLACEHOLDER_LIKE,
    SEGMENTERS,
    TURN,
    api_names,
    is_natural_language,
    join,
    linked_values,
    protect_values,
    restore_values,
    segment_dialogue,
    segment_math,
    string_arguments,
    substitute_call,
)
from .scoring import canonical_call

__all__ = [
    "BACKENDS", "CALC_ANNOTATION", "DEFAULT_MAX_SEGMENT_CHARS", "DEFAULT_SHARD_SIZE", "LLMTranslator",
    "PLACEHOLDER_LIKE", "Seq2SeqTranslator", "TURN", "api_names", "from_references", "is_natural_language", "join",
    "language_names", "linked_values", "make_translator", "measure_quality", "plan_records", "protect_values",
    "restore_values", "run", "score_translations", "segment_dialogue", "segment_math", "shard_settings",
    "string_arguments", "substitute_call", "translate_records", "translate_sharded",
]

log = logging.getLogger(__name__)

#: The config schema's defaults (``translation.max_segment_chars``, ``translation.shard_size``), for callers
#: that pass no validated settings.
DEFAULT_MAX_SEGMENT_CHARS = study_config.schema_default("translation", "max_segment_chars")
DEFAULT_SHARD_SIZE = study_config.schema_default("translation", "shard_size")


# --- sharded, resumable translation of a job's distinct inputs -----------------------------------


#: Backend keys that do not change an MT output: the checks after MT, and how texts are grouped in shards
#: (a shard's texts are part of its fingerprint).
NOT_MT_SETTINGS = ("qc", "shard_size")


def shard_settings(backend: dict, *, src: str, tgt: str, codes: dict[str, str], names: dict[str, str],
                   mt_model: str | None, seed: int | None) -> dict:
    """Everything besides its texts that decides what MT returns for a shard, for the shard's fingerprint:
    the MT code (:func:`mlpt.code_version.module_hash`: this module and every package module it
    reaches, so no shard made by other code is resumed), every backend setting, the MT model's language codes and the language names
    (the llm prompt) of ``src`` and ``tgt``, the seed and the MT weights (:func:`mlpt.models.fingerprint`)."""
    return {
        "code": code_version.module_hash("translate"),
        "backend": {k: v for k, v in backend.items() if k not in NOT_MT_SETTINGS},
        "languages": {side: {"lang": lang, "code": codes.get(lang), "name": names.get(lang)}
                      for side, lang in (("src", src), ("tgt", tgt))},
        "seed": seed,
        "model": models.fingerprint(mt_model),
    }


def translate_sharded(texts: Sequence[str], translator, src: str, tgt: str, *, shard_size: int = DEFAULT_SHARD_SIZE,
                      work_dir: str | Path | None = None, settings: dict | None = None) -> tuple[dict[str, str], dict]:
    """Translate distinct ``texts`` in length-sorted shards; return ({text: translation}, stats).

    With ``work_dir``, every finished shard is written there as ``<fingerprint>.json`` (the
    fingerprint covers the shard's texts, src, tgt and ``settings``), and a shard found there is
    reused instead of translated again: a killed job resumes where it stopped."""
    from tqdm import tqdm

    from . import io

    order = sorted(dict.fromkeys(texts), key=lambda t: (len(t), t))
    shards = [order[i : i + shard_size] for i in range(0, len(order), shard_size)]
    stats = {"shards": len(shards), "shards_resumed": 0, "truncated_inputs": 0, "hit_max_new_tokens": 0}
    done: dict[str, str] = {}
    for shard in tqdm(shards, desc=f"shards {src}->{tgt}", mininterval=5, disable=len(shards) < 2):
        key = io.content_hash({"texts": shard, "src": src, "tgt": tgt, "settings": settings or {}})[:24]
        path = Path(work_dir) / f"{key}.json" if work_dir else None
        saved = io.read_json(path) if path is not None and path.exists() else None
        if saved is not None and saved["texts"] == shard:
            stats["shards_resumed"] += 1
        else:
            before = {c: getattr(translator, c, 0) for c in ("truncated", "hit_max_new_tokens")}
            outputs = translator(shard, src, tgt)
            saved = {"texts": shard, "outputs": outputs,
                     "truncated_inputs": getattr(translator, "truncated", 0) - before["truncated"],
                     "hit_max_new_tokens": getattr(translator, "hit_max_new_tokens", 0) - before["hit_max_new_tokens"]}
            if path is not None:
                io.write_json(path, saved)
        done.update(zip(shard, saved["outputs"]))
        stats["truncated_inputs"] += saved.get("truncated_inputs", 0)
        stats["hit_max_new_tokens"] += saved.get("hit_max_new_tokens", 0)
    if stats["shards_resumed"]:
        log.info("resumed %d of %d finished shards from %s", stats["shards_resumed"], len(shards), work_dir)
    return done, stats


# --- records ---------------------------------------------------------------------------------------


class _Piece:
    """One segment sent to MT: its placeholder-protected text cut into sentence units."""

    def __init__(self, text: str, values: Sequence[str], src: str, max_chars: int):
        self.protected = protect_values(text, values)
        self.units = sentences.split(self.protected, src, max_chars)

    def output(self, translated: dict[str, str], value_translations: Sequence[str]) -> tuple[str, bool]:
        joined = sentences.join([(translated[unit], sep) for unit, sep in self.units])
        return restore_values(joined, self.protected, value_translations)


def plan_records(records: list[dict], kind: str, src: str, max_segment_chars: int = DEFAULT_MAX_SEGMENT_CHARS):
    """What MT must do for ``records``: per record (linked API values as (value, natural language?),
    {field: [(text, translate?, _Piece or None)]}), and the distinct MT inputs in first-seen order."""
    fields = SEGMENTERS[kind]
    plans = []
    unique: dict[str, None] = {}
    for rec in records:
        segmented = {name: segmenter(rec[name]) for name, segmenter in fields.items() if name in rec}
        values = linked_values(rec, segmented["question"]) if kind == "api_call" else []
        protected = [v for v, _ in values]
        plan = {name: [(text, tr, _Piece(text, protected, src, max_segment_chars) if tr else None) for text, tr in segs]
                for name, segs in segmented.items()}
        unique.update({v: None for v, natural in values if natural})
        unique.update({unit: None for segs in plan.values() for _, _, p in segs if p for unit, _ in p.units})
        plans.append((values, plan))
    return plans, list(unique)


def translate_records(records: list[dict], kind: str, src: str, tgt: str, translator, *,
                      checker: tqc.Checker | None = None, max_segment_chars: int = DEFAULT_MAX_SEGMENT_CHARS,
                      shards: dict | None = None) -> tuple[list[dict], dict]:
    """Translate the natural-language segments of every record; return (records, counts).

    Each record gets ``flags``: the QC checks it failed (``checker``; without one, the default
    settings and no language ID). ``shards`` are keyword arguments of :func:`translate_sharded`."""
    checker = checker or tqc.Checker(tqc.Settings(), languages=())
    plans, sources = plan_records(records, kind, src, max_segment_chars)
    log.info("%d records, %d distinct MT inputs %s->%s", len(records), len(sources), src, tgt)
    translated, stats = translate_sharded(sources, translator, src, tgt, **(shards or {})) if sources else ({}, {})

    out = []
    for rec, (values, plan) in zip(records, plans):
        new = dict(rec, lang=tgt, source=f"mt:{src}->{tgt}", flags=[])
        value_translations = [translated[v] if natural else v for v, natural in values]
        pairs, intact = [], True
        for name, segs in plan.items():
            parts = []
            for text, _, piece in segs:
                if piece is None:
                    parts.append(text)
                    continue
                result, ok = piece.output(translated, value_translations)
                parts.append(result)
                pairs.append((text, result))
                intact &= ok
            new[name] = "".join(parts)
        if any(natural for _, natural in values):
            call = substitute_call(rec["call"], {v: t for (v, natural), t in zip(values, value_translations) if natural})
            answer = canonical_call(call)
            if answer is None:  # keep the English call; the record is flagged
                intact = False
            else:
                new["call"], new["answer"] = call, answer
        flags = checker.check(pairs, [(rec[name], new[name]) for name in plan], tgt)
        new["flags"] = flags + (["structure"] if not intact and "structure" not in flags else [])
        for name in plan:
            if not new[name].strip():
                new[name] = "(empty)"  # keep the row parallel (schema: non-empty); the flag says it is unusable
        out.append(new)
    counts = {"records": len(out), "segments": len(sources), **stats}
    return out, counts


def from_references(records: list[dict], references: list[dict], tgt: str, where: str) -> list[dict]:
    """Take human translations for ``records`` from ``references`` (aligned by id)."""
    by_id = {r["id"]: r for r in references if r["lang"] == tgt}
    missing = [r["id"] for r in records if r["id"] not in by_id]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:50]) + (f", ... ({len(missing) - 50} more)" if len(missing) > 50 else "")
        raise ValueError(f"{where}: no '{tgt}' reference for {len(missing)} item(s): {shown}")
    return [dict(by_id[r["id"]], split=r["split"]) for r in records]


def run(source_file: str, references_file: str, out_file: str, qc_file: str, *, task_kind: str, src: str, tgt: str,
        splits: list[str], backend: dict, codes: dict[str, str], mt_model: str | None,
        languages: dict[str, dict] | None = None, work_dir: str | None = None, seed: int | None = None) -> dict:
    """The ``translate`` rule: write every needed split of ``tgt`` (references first, else MT).

    ``languages`` is the config's ``languages`` (names for the llm prompt, the language-ID set);
    ``work_dir`` holds finished MT shards for resuming, under a fingerprint of everything that
    decides their output (:func:`shard_settings`); ``seed`` seeds the MT backend."""
    from . import io

    languages = languages or {src: {}, tgt: {}}
    records = [r for r in io.read_jsonl(source_file, schema="example") if r["split"] in splits]
    references = list(io.read_jsonl(references_file, schema="example"))
    have_reference = {(r["lang"], r["split"]) for r in references}
    settings = tqc.Settings.from_config(backend.get("qc"))
    checker = tqc.Checker(settings, languages)
    names = language_names(languages)
    out: list[dict] = []
    qc: dict = {"lang": tgt, "backend": backend["backend"], "splits": {}}
    translator = shards = None
    for split in splits:
        part = [r for r in records if r["split"] == split]
        if tgt == src:
            out += part
            qc["splits"][split] = {"records": len(part), "method": "source"}
        elif (tgt, split) in have_reference or backend["backend"] == "reference":
            out += from_references(part, references, tgt, references_file)
            qc["splits"][split] = {"records": len(part), "method": "reference"}
        else:
            if translator is None:
                if seed is not None:
                    from transformers import set_seed

                    set_seed(seed)
                translator = make_translator(backend, codes, mt_model, names)
                # fingerprinted after loading: a hub model is then in the local cache, with its revision
                shards = {"shard_size": backend.get("shard_size", DEFAULT_SHARD_SIZE), "work_dir": work_dir,
                          "settings": shard_settings(backend, src=src, tgt=tgt, codes=codes, names=names,
                                                     mt_model=mt_model, seed=seed)}
            done, counts = translate_records(part, task_kind, src, tgt, translator, checker=checker,
                                             max_segment_chars=backend.get("max_segment_chars", DEFAULT_MAX_SEGMENT_CHARS),
                                             shards=shards)
            kept, qc_counts = tqc.apply_policy(done, settings.policy, split)
            log.info("QC %s %s: %s", tgt, split, tqc.describe(qc_counts))
            out += kept
            qc["splits"][split] = dict(counts, **qc_counts, method=f"mt:{backend['backend']}")
    for key in ("truncated_inputs", "hit_max_new_tokens"):
        total = sum(s.get(key, 0) for s in qc["splits"].values())
        if translator is not None:
            qc[key] = total
        if total:
            log.warning("%d MT input(s) %s", total, "were cut to the model's window" if key == "truncated_inputs"
                        else "stopped at max_new_tokens before the model ended them")
    io.write_jsonl(out_file, out, schema="example")
    io.write_json(qc_file, qc)
    return qc
