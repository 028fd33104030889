"""Translation stage: source-language records → one language, structure preserved.

Only natural-language text is ever sent to the MT model. Each field is cut into segments, and the
segments that carry structure are passed through unchanged:

- math ``question`` / ``reasoning``: every line separately (MT models work per sentence and the
  line structure of a chain of thought survives), with GSM8K calculator annotations ``<<48/2=24>>``
  kept verbatim in place;
- api ``question`` (the dialogue): only the text after ``User:`` / ``AI:`` turns; other lines
  (earlier API requests and their results) are kept verbatim. API descriptions, the gold call and
  the gold answer are never translated.

Backends (config ``translation.backend``): ``seq2seq`` runs any Hugging Face encoder-decoder MT
model (NLLB, M2M100) with language codes from the config (``languages.<code>.nllb``). Existing
human translations (MGSM) are used through the *reference* path: aligned by item id, and a
missing id is an error, never invented.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from .data import CALC_ANNOTATION

log = logging.getLogger(__name__)

Segments = list[tuple[str, bool]]  # (text, translate?)
TURN = re.compile(r"^(User|AI):\s?")
HAS_LETTER = re.compile(r"[^\W\d_]")


def _text_segment(text: str) -> Segments:
    """Split off leading/trailing whitespace so only the core text is translated."""
    if not HAS_LETTER.search(text):
        return [(text, False)]
    core = text.strip()
    start = text.index(core)
    out: Segments = []
    if start:
        out.append((text[:start], False))
    out.append((core, True))
    if start + len(core) < len(text):
        out.append((text[start + len(core) :], False))
    return out


def segment_math(text: str) -> Segments:
    out: Segments = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append(("\n", False))
        pos = 0
        for m in CALC_ANNOTATION.finditer(line):
            out += _text_segment(line[pos : m.start()]) if m.start() > pos else []
            out.append((m.group(0), False))
            pos = m.end()
        if pos < len(line):
            out += _text_segment(line[pos:])
    return out


def segment_dialogue(text: str) -> Segments:
    out: Segments = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append(("\n", False))
        m = TURN.match(line)
        if m:
            out.append((m.group(0), False))
            out += _text_segment(line[m.end() :]) if m.end() < len(line) else []
        else:
            out.append((line, False))
    return out


SEGMENTERS: dict[str, dict[str, Callable[[str], Segments]]] = {
    "math": {"question": segment_math, "reasoning": segment_math},
    "api_call": {"question": segment_dialogue},
}


def join(segments: Segments) -> str:
    return "".join(text for text, _ in segments)


class Seq2SeqTranslator:
    """Batched generation with a Hugging Face seq2seq MT model (NLLB / M2M100 style)."""

    def __init__(self, model_path: str, codes: dict[str, str], batch_size: int = 16, num_beams: int = 1,
                 max_new_tokens: int = 256, device: str | None = None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model_path).to(self.device).eval()
        self.codes, self.batch_size = codes, batch_size
        self.num_beams, self.max_new_tokens = num_beams, max_new_tokens
        self.max_input = min(getattr(self.tokenizer, "model_max_length", 512) or 512, 512)
        self.truncated = 0

    def __call__(self, texts: Sequence[str], src: str, tgt: str, progress: bool = True) -> list[str]:
        from tqdm import tqdm

        self.tokenizer.src_lang = self.codes[src]  # passing src_lang per call is silently ignored
        forced = self.tokenizer.convert_tokens_to_ids(self.codes[tgt])
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # length-bucketed batches
        out: list[str] = [""] * len(texts)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for idx in tqdm(batches, desc=f"translate {src}->{tgt}", disable=not progress, mininterval=5):
            batch = self.tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True)
            if batch["input_ids"].shape[1] > self.max_input:
                self.truncated += sum(int(m.sum()) > self.max_input for m in batch["attention_mask"])
                batch = self.tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True,
                                       truncation=True, max_length=self.max_input)
            with self.torch.no_grad():
                gen = self.model.generate(**batch.to(self.device), forced_bos_token_id=forced,
                                          num_beams=self.num_beams, max_new_tokens=self.max_new_tokens)
            for i, text in zip(idx, self.tokenizer.batch_decode(gen, skip_special_tokens=True)):
                out[i] = text.strip()
        return out


def translate_records(records: list[dict], kind: str, src: str, tgt: str, translator) -> tuple[list[dict], dict]:
    """Translate the natural-language segments of every record; return (records, qc counts)."""
    fields = SEGMENTERS[kind]
    jobs: list[tuple[int, str, Segments]] = []
    unique: dict[str, None] = {}
    for i, rec in enumerate(records):
        for name, segmenter in fields.items():
            if name in rec:
                segs = segmenter(rec[name])
                jobs.append((i, name, segs))
                unique.update({text: None for text, tr in segs if tr})
    sources = list(unique)
    log.info("%d records, %d distinct text segments to translate %s->%s", len(records), len(sources), src, tgt)
    translated = dict(zip(sources, translator(sources, src, tgt))) if sources else {}

    out = [dict(rec, lang=tgt, source=f"mt:{src}->{tgt}", flags=[]) for rec in records]
    for i, name, segs in jobs:
        out[i][name] = join([(translated[text] if tr else text, tr) for text, tr in segs])
    qc = {"records": len(out), "segments": len(sources), "empty": 0}
    for rec in out:
        for name in fields:
            if name in rec and not rec[name].strip():
                rec["flags"].append(f"empty_{name}")
                qc["empty"] += 1
                rec[name] = "(empty)"  # keep the row parallel; the flag says it is unusable
    return out, qc


def from_references(records: list[dict], references: list[dict], tgt: str, where: str) -> list[dict]:
    """Take human translations for ``records`` from ``references`` (aligned by id)."""
    by_id = {r["id"]: r for r in references if r["lang"] == tgt}
    missing = [r["id"] for r in records if r["id"] not in by_id]
    if missing:
        raise ValueError(f"{where}: no '{tgt}' reference for {len(missing)} item(s), e.g. {missing[:5]}")
    return [dict(by_id[r["id"]], split=r["split"]) for r in records]


def run(source_file: str, references_file: str, out_file: str, qc_file: str, *, task_kind: str, src: str, tgt: str,
        splits: list[str], backend: dict, codes: dict[str, str], mt_model: str | None) -> dict:
    """The ``translate`` rule: write every needed split of ``tgt`` (references first, else MT)."""
    from . import io

    records = [r for r in io.read_jsonl(source_file, schema="example") if r["split"] in splits]
    references = list(io.read_jsonl(references_file, schema="example"))
    have_reference = {(r["lang"], r["split"]) for r in references}
    out: list[dict] = []
    qc: dict = {"lang": tgt, "backend": backend["backend"], "splits": {}}
    translator = None
    for split in splits:
        part = [r for r in records if r["split"] == split]
        if tgt == src:
            out += part
            qc["splits"][split] = {"records": len(part), "method": "source"}
        elif (tgt, split) in have_reference:
            out += from_references(part, references, tgt, references_file)
            qc["splits"][split] = {"records": len(part), "method": "reference"}
        else:
            if translator is None:
                translator = Seq2SeqTranslator(mt_model, codes, batch_size=backend["batch_size"],
                                               num_beams=backend["num_beams"], max_new_tokens=backend["max_new_tokens"])
            done, counts = translate_records(part, task_kind, src, tgt, translator)
            out += done
            qc["splits"][split] = dict(counts, method=f"mt:{backend['backend']}")
    if translator is not None:
        qc["truncated_inputs"] = translator.truncated
    io.write_jsonl(out_file, out, schema="example")
    io.write_json(qc_file, qc)
    return qc


# --- measured MT quality against human translations ---------------------------------------------

#: BLEU tokenisation per script: character level where words are not space-separated.
CHAR_BLEU = {"ja", "zh", "th"}


def score_translations(hypotheses: list[str], references: list[str], lang: str) -> dict:
    """Corpus chrF (the primary, tokenisation-free metric) and BLEU of one language (sacrebleu)."""
    import sacrebleu

    tokenize = "char" if lang in CHAR_BLEU else "13a"
    return {
        "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
        "bleu": round(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score, 2),
        "bleu_tokenize": tokenize,
    }


def measure_quality(sources: dict[str, tuple[str, str]], out_csv: str, *, src: str, backend: dict,
                    codes: dict[str, str], mt_model: str | None, translator=None) -> list[dict]:
    """Translate every source-language test item that has human translations (MGSM: the English
    test questions) with the configured MT backend and score it against the human versions, per task
    and language. This measures the backend only: these items never enter training.

    ``sources`` maps task -> (source records file, references file)."""
    import csv

    from . import io

    rows = []
    for task, (source_file, references_file) in sources.items():
        records = {r["id"]: r for r in io.read_jsonl(source_file, schema="example")
                   if r["lang"] == src and r["split"] == "test"}
        by_lang: dict[str, list[dict]] = {}
        for ref in io.read_jsonl(references_file, schema="example"):
            if ref["id"] in records:
                by_lang.setdefault(ref["lang"], []).append(ref)
        for lang, refs in by_lang.items():
            if translator is None:
                translator = Seq2SeqTranslator(mt_model, codes, batch_size=backend["batch_size"],
                                               num_beams=backend["num_beams"], max_new_tokens=backend["max_new_tokens"])
            hypotheses = translator([records[r["id"]]["question"] for r in refs], src, lang)
            rows.append({"task": task, "lang": lang, "n": len(refs), "backend": backend["backend"],
                         **score_translations(hypotheses, [r["question"] for r in refs], lang)})
    with io.atomic_path(out_csv) as fh:
        writer = csv.DictWriter(fh, fieldnames=["task", "lang", "n", "backend", "chrf", "bleu", "bleu_tokenize"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
