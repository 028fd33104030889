"""Measured MT quality: chrF and BLEU of a task's MT backend against human translations
(``tables/mt_quality.csv``), BLEU with each language's tokeniser from the language table."""

from __future__ import annotations

import logging

from .languages import bleu_tokenize
from .mt_backends import language_names, make_translator

log = logging.getLogger(__name__)


def score_translations(hypotheses: list[str], references: list[str], lang: str) -> dict:
    """Corpus chrF (the primary, tokenisation-free metric) and BLEU of one language (sacrebleu), BLEU
    with the language's tokeniser (``bleu_tokenize`` in the language table: character level where
    words are not separated by spaces)."""
    import sacrebleu

    tokenize = bleu_tokenize(lang)
    return {
        "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
        "bleu": round(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score, 2),
        "bleu_tokenize": tokenize,
    }


def measure_quality(sources: dict[str, tuple[str, str]], out_csv: str, *, src: str, backend: dict,
                    codes: dict[str, str], mt_model: str | None, translator=None,
                    languages: dict[str, dict] | None = None) -> list[dict]:
    """Translate every source-language test item that has human translations (MGSM: the English
    test questions) with the configured MT backend and score it against the human versions, per task
    and language. This measures the backend only: these items never enter training. With the
    ``reference`` backend there is no MT to measure (the table has a header only).

    ``sources`` maps task -> (source records file, references file)."""
    import csv

    from . import io

    rows = []
    if backend["backend"] == "reference" and translator is None:
        log.info("backend 'reference': no machine translation to measure")
        sources = {}
    for task, (source_file, references_file) in sources.items():
        records = {r["id"]: r for r in io.read_jsonl(source_file, schema="example")
                   if r["lang"] == src and r["split"] == "test"}
        by_lang: dict[str, list[dict]] = {}
        for ref in io.read_jsonl(references_file, schema="example"):
            if ref["id"] in records:
                by_lang.setdefault(ref["lang"], []).append(ref)
        for lang, refs in by_lang.items():
            if translator is None:
                translator = make_translator(backend, codes, mt_model, language_names(languages or {}))
            hypotheses = translator([records[r["id"]]["question"] for r in refs], src, lang)
            rows.append({"task": task, "lang": lang, "n": len(refs), "backend": backend["backend"],
                         **score_translations(hypotheses, [r["question"] for r in refs], lang)})
    with io.atomic_path(out_csv) as fh:
        writer = csv.DictWriter(fh, fieldnames=["task", "lang", "n", "backend", "chrf", "bleu", "bleu_tokenize"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
