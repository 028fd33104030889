"""Mixture stage: parallel per-language records → one SFT data file with a manifest.

Each language contributes the same items: the ids present in *every* language of the mixture, so
all languages stay parallel (an item the translation QC dropped in one language is removed from all
languages of the mixture, and the manifest lists it under ``dropped_ids``). QC flags on kept records
are informational: the translation policy has already decided which records to keep. Prompts and
responses are rendered by :mod:`mlpt.prompts` exactly as evaluation renders them. The contamination guard stops the run if any item of a test split — by
id, or by normalised question text — would enter training or validation data.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

from . import io, prompts
from .data import text_hash

log = logging.getLogger(__name__)


class ContaminationError(RuntimeError):
    """A test item reached a training or validation mixture."""


def check_contamination(records: list[dict], guard: dict, where: str) -> None:
    test_ids, hashes = set(guard["ids"]), set(guard["hashes"])
    for rec in records:
        if rec["id"] in test_ids:
            raise ContaminationError(f"{where}: test item '{rec['id']}' ({rec['lang']}) is in a {rec['split']} mixture")
        if text_hash(rec["question"]) in hashes:
            raise ContaminationError(
                f"{where}: item '{rec['id']}' ({rec['lang']}, {rec['split']}) has the same text as a test item"
            )


def build(language_files: dict[str, str], guard_file: str, phrases_file: str, out_file: str, manifest_file: str, *,
          kind: str, mixture: str, seed: int) -> dict:
    guard = io.read_json(guard_file)
    phrases = prompts.load_phrases(phrases_file)
    per_lang = {}
    for lang, path in language_files.items():
        recs = [r for r in io.read_jsonl(path, schema="example") if r["split"] in ("train", "val")]
        check_contamination(recs, guard, path)
        per_lang[lang] = {(r["split"], r["id"]): r for r in recs}
    keys = set.intersection(*(set(d) for d in per_lang.values()))
    dropped = {lang: len(d) - len(keys) for lang, d in per_lang.items()}
    not_parallel = sorted(set.union(*(set(d) for d in per_lang.values())) - keys)
    if not_parallel:
        log.warning("%d item(s) missing in some language of the mixture (dropped there by translation QC) are "
                    "removed from every language to keep the mixture parallel: per language %s; items %s",
                    len(not_parallel), dropped, [f"{split}:{rid}" for split, rid in not_parallel])

    out = []
    for lang, by_key in per_lang.items():
        for key in sorted(keys):
            rec = by_key[key]
            out.append({"id": rec["id"], "lang": lang, "split": rec["split"],
                        "prompt": prompts.render_prompt(kind, rec, phrases),
                        "response": prompts.render_response(kind, rec, phrases), "answer": rec["answer"]})
    random.Random(f"{seed}:{mixture}").shuffle(out)
    io.write_jsonl(out_file, out, schema="train_record")
    counts = Counter((r["lang"], r["split"]) for r in out)
    manifest = {
        "mixture": mixture, "languages": list(language_files), "seed": seed,
        "counts": {lang: {s: counts[(lang, s)] for s in ("train", "val")} for lang in language_files},
        "dropped_not_parallel": dropped, "dropped_ids": [rid for _, rid in not_parallel],
        "content_sha256": io.file_sha256(out_file),
    }
    io.write_json(manifest_file, manifest)
    log.info("mixture %s: %s", mixture, manifest["counts"])
    return manifest
