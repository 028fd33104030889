"""Mixture stage: the items a task's mixtures share, then one SFT data file per mixture.

Every mixture gives each of its languages the same N parallel items, and every mixture of a task
draws from the same items, so a mixture with k languages has k·N examples whatever its languages:

1. :func:`select_items` (once per task) reads the translated train/val records of every language
   that any mixture of the task trains on and keeps the items present in *all* of them. An item the
   translation QC dropped in one language (policy ``drop``) is thereby removed from every mixture of
   the task, also from those without that language; "more languages" never means "fewer items".
   The selection file lists the shared ids, their hash, and per language what was missing.
2. :func:`build` (per mixture) takes exactly the selected items from each of its languages. QC flags
   on kept records are informational (policies ``flag`` and ``keep`` drop nothing, so every item is
   shared). Prompts and responses are rendered by :mod:`mlpt.prompts` exactly as evaluation renders
   them. The contamination guard stops the run if any item of a test split — by id, or by
   normalised question text — would enter training or validation data.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

from . import io, prompts
from .data import text_hash

log = logging.getLogger(__name__)

#: The splits a mixture trains and validates on.
SPLITS = ("train", "val")
#: Why an item is left out of every mixture of a task (written into the selection file).
DROP_REASON = ("missing from the translated records of the listed languages (removed there by translation QC, "
               "policy drop): removed from every mixture of the task, so all its mixtures train on the same items")


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


def _train_val(path: str) -> list[dict]:
    return [r for r in io.read_jsonl(path, schema="example") if r["split"] in SPLITS]


def select_items(language_files: dict[str, str], out_file: str, *, task: str) -> dict:
    """The ``select_items`` rule: the train/val items present in every language of ``language_files``
    (every language any mixture of ``task`` trains on), written to ``out_file``.

    The file holds the shared ids per split (``items``), their count and hash (``sha256``), per
    language how many items it lacked (``dropped``), each removed item with the languages that lacked
    it (``dropped_ids``) and why they are removed (``reason``). Raises ValueError when no item of a
    split is left."""
    present = {lang: {(r["split"], r["id"]) for r in _train_val(path)} for lang, path in language_files.items()}
    shared = set.intersection(*present.values())
    removed = sorted(set.union(*present.values()) - shared)
    items = {split: sorted(rid for s, rid in shared if s == split) for split in SPLITS}
    dropped = {lang: {split: sum(1 for key in removed if key[0] == split and key not in keys) for split in SPLITS}
               for lang, keys in present.items()}
    empty = [split for split in SPLITS if not items[split]]
    if empty:
        raise ValueError(f"task '{task}': no {'/'.join(empty)} item is present in every training language "
                         f"{list(language_files)}; items missing per language: {dropped}")
    selection = {
        "task": task, "languages": list(language_files),
        "counts": {split: len(ids) for split, ids in items.items()},
        "sha256": io.content_hash(items),
        "dropped": dropped,
        "dropped_ids": [{"split": split, "id": rid, "languages": [lang for lang, keys in present.items()
                                                                   if (split, rid) not in keys]}
                        for split, rid in removed],
        "reason": DROP_REASON,
        "items": items,
    }
    if removed:
        log.warning("task %s: %d item(s) missing in some training language (dropped there by translation QC) are "
                    "removed from every mixture of the task; missing per language: %s", task, len(removed), dropped)
    io.write_json(out_file, selection)
    log.info("task %s: every mixture trains on %s items per language", task, selection["counts"])
    return selection


def build(language_files: dict[str, str], items_file: str, guard_file: str, phrases_file: str, out_file: str,
          manifest_file: str, *, kind: str, mixture: str, seed: int) -> dict:
    """The ``build_mixture`` rule: the task's selected items (``items_file``, from :func:`select_items`)
    in every language of ``language_files``, rendered, shuffled and written with a manifest."""
    selection = io.read_json(items_file)
    guard = io.read_json(guard_file)
    phrases = prompts.load_phrases(phrases_file)
    unselected = [lang for lang in language_files if lang not in selection["languages"]]
    if unselected:
        raise ValueError(f"{items_file}: mixture '{mixture}' trains on {unselected}, which the task's item selection "
                         f"did not read (it read {selection['languages']})")
    keys = sorted((split, rid) for split in SPLITS for rid in selection["items"][split])
    per_lang = {}
    for lang, path in language_files.items():
        recs = _train_val(path)
        check_contamination(recs, guard, path)
        per_lang[lang] = {(r["split"], r["id"]): r for r in recs}
        missing = [f"{split}:{rid}" for split, rid in keys if (split, rid) not in per_lang[lang]]
        if missing:
            raise ValueError(f"{path}: {len(missing)} item(s) selected for every mixture are missing "
                             f"({items_file} was made from other records): {missing[:20]}")

    out = []
    for lang, by_key in per_lang.items():
        for key in keys:
            rec = by_key[key]
            out.append({"id": rec["id"], "lang": lang, "split": rec["split"],
                        "prompt": prompts.render_prompt(kind, rec, phrases),
                        "response": prompts.render_response(kind, rec, phrases), "answer": rec["answer"]})
    random.Random(f"{seed}:{mixture}").shuffle(out)
    io.write_jsonl(out_file, out, schema="train_record")
    counts = Counter((r["lang"], r["split"]) for r in out)
    manifest = {
        "mixture": mixture, "languages": list(language_files), "seed": seed,
        "counts": {lang: {s: counts[(lang, s)] for s in SPLITS} for lang in language_files},
        "items": {"sha256": selection["sha256"], **selection["counts"]},
        "dropped_ids": [d["id"] for d in selection["dropped_ids"]],
        "content_sha256": io.file_sha256(out_file),
    }
    io.write_json(manifest_file, manifest)
    log.info("mixture %s: %s", mixture, manifest["counts"])
    return manifest
