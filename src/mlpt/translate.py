"""Translation stage: source-language records → one language, structure preserved.

Only natural-language text is ever sent to the MT model. Each field is cut into segments, and the
segments that carry structure are passed through unchanged:

- math ``question`` / ``reasoning``: every line separately (MT models work per sentence and the
  line structure of a chain of thought survives), with GSM8K calculator annotations ``<<48/2=24>>``
  kept verbatim in place;
- api ``question`` (the dialogue): only the text after ``User:`` / ``AI:`` turns (without a
  trailing ``TIME: 2034-01-01 08:00:00`` stamp); other lines (earlier API requests and their
  results) are kept verbatim. API descriptions and parameter keys are never translated, and an
  API name (of the item's API descriptions or of its gold call) written in a turn ("call the
  AddMeeting API") is replaced by a placeholder before MT and restored verbatim.
- API value consistency: a string argument of the gold call that appears verbatim in a turn is
  replaced there by a placeholder ``[V0]`` before MT. If it is natural language
  (:func:`is_natural_language`: not a number, date, time, e-mail, URL, id or list/dict literal, and
  not under an id-like key) it is translated once, on its own, and that translation replaces the placeholder
  and is written into the gold call (``call`` and its canonical ``answer``); otherwise the value
  is restored verbatim. Either way the translated query and its call still agree. Gold calls are
  read with the scorer's reader (:func:`mlpt.scoring.read_call`), so API-Bank's own quoting
  (``attendees='['John', 'Jane']'``, not Python) is handled as Python calls are.
- Segments longer than ``translation.max_segment_chars`` are split into sentences with
  language-aware rules (:mod:`mlpt.sentences`) and re-joined with the original separators.

Backends (config ``translation.backend``), one callable interface ``translator(texts, src, tgt)
-> list[str]``: ``seq2seq`` runs any Hugging Face encoder-decoder MT model (NLLB, M2M100) with
language codes from the config (``languages.<code>.nllb``); ``llm`` prompts an instruction-tuned
causal LM through its chat template (optional few-shot examples); ``reference`` uses only
existing parallel translations. Existing human translations (MGSM) are always used where they
exist: aligned by item id, and a missing id is an error, never invented.

Scale: the distinct MT inputs of a job are sorted by length and cut into shards of
``translation.shard_size``; each finished shard is written to a work directory (outside the
job's declared outputs) under a fingerprint of its texts and of everything else that decides the
output (:func:`shard_settings`: code version, backend settings, language codes, seed, the MT
weights by content), so a killed job that is run again translates only the shards it had not
finished, and a changed setting or model never reuses a shard. Every record that went
through MT is then checked (:mod:`mlpt.translation_qc`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from . import config as study_config
from . import models, sentences
from . import translation_qc as tqc
from .data import CALC_ANNOTATION
from .languages import bleu_tokenize
from .scoring import canonical_call, read_call

__all__ = ["CALC_ANNOTATION", "LLMTranslator", "Seq2SeqTranslator", "make_translator", "run", "translate_records"]

log = logging.getLogger(__name__)

Segments = list[tuple[str, bool]]  # (text, translate?)
TURN = re.compile(r"^(User|AI):\s?")
TIME_STAMP = re.compile(r"\s*TIME:\s*\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
HAS_LETTER = re.compile(r"[^\W\d_]")
BACKENDS = ("seq2seq", "llm", "reference")
#: The config schema's defaults (``translation.max_segment_chars``, ``translation.shard_size``), for callers
#: that pass no validated settings.
DEFAULT_MAX_SEGMENT_CHARS = study_config.schema_default("translation", "max_segment_chars")
DEFAULT_SHARD_SIZE = study_config.schema_default("translation", "shard_size")


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
        if not m:
            out.append((line, False))
            continue
        out.append((m.group(0), False))
        turn = line[m.end() :]
        stamp = TIME_STAMP.search(turn)
        if stamp and stamp.start() > 0:
            out += _text_segment(turn[: stamp.start()]) + [(stamp.group(0), False)]
        elif turn:
            out += _text_segment(turn)
    return out


SEGMENTERS: dict[str, dict[str, Callable[[str], Segments]]] = {
    "math": {"question": segment_math, "reasoning": segment_math},
    "api_call": {"question": segment_dialogue},
}


def join(segments: Segments) -> str:
    return "".join(text for text, _ in segments)


# --- API values: translated once, the same in the query and the gold call -------------------------

NON_LINGUISTIC_VALUE = re.compile(
    r"^[\d\s.,:/+\-%$€£¥()]*$"  # numbers, amounts, dates, times, phone numbers
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}"  # a date or a time anywhere
    r"|\S+@\S+\.\S+"  # e-mail
    r"|://|^www\.|\.(?:com|org|net|io)\b"  # URL
    r"|^\S*(?:\d\S*[A-Za-z]|[A-Za-z]\S*\d|_)\S*$"  # one token mixing letters and digits, or with '_': an id
    r"|^\s*[\[{]"  # a list or dict written as a string (API-Bank's attendees='['John', 'Jane']'): data
)
#: Words of a parameter key (snake_case or camelCase) whose values are identifiers, not language.
NON_LINGUISTIC_KEY_WORDS = {"id", "ids", "email", "url", "link", "username", "password", "token", "key", "code",
                            "date", "datetime", "time", "timestamp", "phone", "number", "zip"}
KEY_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
#: Keys of an API description that hold the API's name.
API_NAME_KEYS = ("name", "apiCode")
PLACEHOLDER = "[V{}]"
PLACEHOLDER_LIKE = re.compile(r"\[\s*V\s*\d+\s*\]")


def is_natural_language(key: str, value: str) -> bool:
    """Whether a call argument is natural-language text that should be translated."""
    key_words = {w.lower() for w in KEY_WORD.findall(key)}
    return (bool(HAS_LETTER.search(value)) and not NON_LINGUISTIC_VALUE.search(value.strip())
            and not key_words & NON_LINGUISTIC_KEY_WORDS)


def string_arguments(call: str) -> list[tuple[str, str, tuple[int, int]]]:
    """(key, value, character span of the literal) of every string argument of the call in ``call``,
    written in Python or in API-Bank's own quoting (:func:`mlpt.scoring.read_call`, the scorer's
    reader); no call, no arguments."""
    written = read_call(call)
    if written is None:
        return []
    return [(a.key, a.value, (a.start, a.end)) for a in written.arguments if isinstance(a.value, str)]


def api_names(record: dict) -> list[str]:
    """Names of an item's APIs: every API description's (``name``, or ``apiCode`` in API-Bank's
    training data) and the gold call's."""
    names = []
    for line in record.get("apis", "").splitlines():
        try:
            spec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(spec, dict):
            names += [spec[key] for key in API_NAME_KEYS if isinstance(spec.get(key), str)]
    written = read_call(record.get("call", ""))
    if written is not None:
        names.append(written.name)
    return list(dict.fromkeys(names))


def linked_values(record: dict, segments: Segments) -> list[tuple[str, bool]]:
    """Text of a turn that must agree with the gold call, each with whether it is natural language
    (translated once, the same in turn and call) or not (kept verbatim in both): the string
    arguments of the gold call and the API names (:func:`api_names`) that appear verbatim in a
    turn. Empty when a turn already contains placeholder-like text, which restoring would confuse."""
    turns = [text for text, tr in segments if tr]
    if any(PLACEHOLDER_LIKE.search(t) for t in turns):
        return []
    candidates = [(v, is_natural_language(k, v)) for k, v, _ in string_arguments(record.get("call", ""))]
    candidates += [(name, False) for name in api_names(record)]
    values: dict[str, bool] = {}
    for value, natural in candidates:
        if value not in values and any(_value_pattern([value]).search(t) for t in turns):
            values[value] = natural
    return list(values.items())


def _value_pattern(values: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def protect_values(text: str, values: Sequence[str]) -> str:
    """``text`` with every occurrence of a value replaced by its placeholder ``[V<index>]``."""
    if not values:
        return text
    return _value_pattern(values).sub(lambda m: PLACEHOLDER.format(values.index(m.group(0))), text)


def restore_values(text: str, source: str, translations: Sequence[str]) -> tuple[str, bool]:
    """Put the value translations back for the placeholders; False if one was lost or duplicated."""
    intact = True
    for k, value in enumerate(translations):
        pattern = re.compile(rf"\[\s*V\s*{k}\s*\]")
        expected = source.count(PLACEHOLDER.format(k))
        intact &= len(pattern.findall(text)) == expected
        text = pattern.sub(lambda _m, v=value: v, text)
    return text, intact


def substitute_call(call: str, translations: dict[str, str]) -> str:
    """The gold call with each translated string argument replaced (keys and names untouched)."""
    for _, value, (start, end) in reversed(string_arguments(call)):
        if value in translations:
            quote = next(c for c in call[start:end] if c in "'\"")
            literal = quote + translations[value].replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
            call = call[:start] + literal + call[end:]
    return call


# --- backends: one callable interface translator(texts, src, tgt) -> list[str] --------------------


class _BatchedTranslator:
    """Length-bucketed batches, progress in the log, and counted (never silent) truncation.

    Subclasses load ``self.tokenizer`` and implement :meth:`_encode` and :meth:`_generate`."""

    batch_size: int
    max_input: int

    def __init__(self):
        self.truncated = 0  # inputs longer than the model's window (cut, counted, reported)
        self.hit_max_new_tokens = 0  # outputs that stopped at max_new_tokens instead of ending
        self.bucketed = True  # False: batches in input order (benchmarks/translate_throughput.py compares)

    def __call__(self, texts: Sequence[str], src: str, tgt: str, progress: bool = True) -> list[str]:
        from tqdm import tqdm

        self._prepare(src, tgt)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if self.bucketed else list(range(len(texts)))
        out: list[str] = [""] * len(texts)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for idx in tqdm(batches, desc=f"translate {src}->{tgt}", disable=not progress, mininterval=5):
            inputs = self._encode([texts[i] for i in idx], src, tgt)
            lengths = inputs["attention_mask"].sum(dim=1)
            if int(lengths.max()) > self.max_input:
                self.truncated += int((lengths > self.max_input).sum())
                inputs = self._encode([texts[i] for i in idx], src, tgt, truncate=True)
            for i, text in zip(idx, self._generate(inputs, tgt)):
                out[i] = text.strip()
        return out

    def _prepare(self, src: str, tgt: str) -> None:
        """Per-call setup (e.g. the tokenizer's source language)."""

    def _count_unfinished(self, new_tokens) -> None:
        eos = self.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        pad = self.tokenizer.pad_token_id
        if new_tokens.shape[1] >= self.max_new_tokens:
            self.hit_max_new_tokens += sum(not ({int(t) for t in row} & eos) and int(row[-1]) != pad
                                           for row in new_tokens)


class Seq2SeqTranslator(_BatchedTranslator):
    """Batched generation with a Hugging Face seq2seq MT model (NLLB / M2M100 style)."""

    def __init__(self, model_path: str, codes: dict[str, str], batch_size: int = 16, num_beams: int = 1,
                 max_new_tokens: int = 256, device: str | None = None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        super().__init__()
        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model_path).to(self.device).eval()
        self.codes, self.batch_size = codes, batch_size
        self.num_beams, self.max_new_tokens = num_beams, max_new_tokens
        self.max_input = min(getattr(self.tokenizer, "model_max_length", 512) or 512, 512)

    def _prepare(self, src: str, tgt: str) -> None:
        self.tokenizer.src_lang = self.codes[src]  # passing src_lang per call is silently ignored

    def _encode(self, texts: list[str], src: str, tgt: str, truncate: bool = False):
        return self.tokenizer(texts, return_tensors="pt", padding=True, truncation=truncate,
                              max_length=self.max_input if truncate else None)

    def _generate(self, inputs, tgt: str) -> list[str]:
        forced = self.tokenizer.convert_tokens_to_ids(self.codes[tgt])
        with self.torch.no_grad():
            gen = self.model.generate(**inputs.to(self.device), forced_bos_token_id=forced,
                                      num_beams=self.num_beams, max_new_tokens=self.max_new_tokens)
        self._count_unfinished(gen[:, 1:])  # after the decoder start token
        return self.tokenizer.batch_decode(gen, skip_special_tokens=True)


class LLMTranslator(_BatchedTranslator):
    """An instruction-tuned causal LM prompted through its chat template to translate each text.

    ``few_shot`` maps a target language to ``[{source, target}, ...]`` examples, given as earlier
    user/assistant turns. The prompt asks to keep placeholders (``[V0]``) and numbers unchanged;
    structure protection is the same as for ``seq2seq`` (the model never sees calculator marks,
    API names, keys or non-linguistic values)."""

    SYSTEM = ("Translate the user's text from {src} to {tgt}. Keep placeholders such as [V0] and all numbers "
              "exactly as they are. Reply with the translation only.")

    def __init__(self, model_path: str, names: dict[str, str], batch_size: int = 8, max_new_tokens: int = 256,
                 few_shot: dict[str, list[dict]] | None = None, device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__()
        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"  # an over-long prompt keeps its end (the generation prompt)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_path).to(self.device).eval()
        self.names, self.few_shot = names, few_shot or {}
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        window = getattr(self.model.config, "max_position_embeddings", None) or 4096
        self.max_input = max(window - max_new_tokens, 1)

    def messages(self, text: str, src: str, tgt: str) -> list[dict]:
        system = self.SYSTEM.format(src=self.names.get(src, src), tgt=self.names.get(tgt, tgt))
        msgs = [{"role": "system", "content": system}]
        for shot in self.few_shot.get(tgt, []):
            msgs += [{"role": "user", "content": shot["source"]}, {"role": "assistant", "content": shot["target"]}]
        return msgs + [{"role": "user", "content": text}]

    def _encode(self, texts: list[str], src: str, tgt: str, truncate: bool = False):
        prompts = [self.tokenizer.apply_chat_template(self.messages(t, src, tgt), tokenize=False, add_generation_prompt=True)
                   for t in texts]
        return self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False,
                              truncation=truncate, max_length=self.max_input if truncate else None)

    def _generate(self, inputs, tgt: str) -> list[str]:
        with self.torch.no_grad():
            gen = self.model.generate(**inputs.to(self.device), do_sample=False, max_new_tokens=self.max_new_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id)
        new = gen[:, inputs["input_ids"].shape[1] :]
        self._count_unfinished(new)
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)


def language_names(languages: dict[str, dict]) -> dict[str, str]:
    """Display names of the config's languages (the llm backend's prompt names them)."""
    return {code: spec.get("name", code) for code, spec in languages.items()}


def make_translator(backend: dict, codes: dict[str, str], mt_model: str | None, names: dict[str, str] | None = None):
    """The configured MT backend as a callable; None for ``reference`` (no model)."""
    kind = backend["backend"]
    if kind == "reference":
        return None
    if kind == "seq2seq":
        return Seq2SeqTranslator(mt_model, codes, batch_size=backend["batch_size"], num_beams=backend["num_beams"],
                                 max_new_tokens=backend["max_new_tokens"])
    if kind == "llm":
        if "hub_id" not in backend.get("model", {"hub_id": mt_model}):
            raise ValueError("key 'translation/model': the llm backend needs hub_id (an instruction-tuned causal LM); "
                             "tiny builds a seq2seq model")
        return LLMTranslator(mt_model, names or {}, batch_size=backend["batch_size"],
                             max_new_tokens=backend["max_new_tokens"], few_shot=backend.get("llm", {}).get("few_shot"))
    raise ValueError(f"key 'translation/backend': unknown backend '{kind}'; expected one of {BACKENDS}")


# --- sharded, resumable translation of a job's distinct inputs -----------------------------------


#: Version of this stage's MT code: bump it when a change to this module changes what MT returns for
#: the same texts and settings (a prompt, output post-processing), so older finished shards are not resumed.
CODE_VERSION = 2
#: Backend keys that do not change an MT output: the checks after MT, and how texts are grouped in shards
#: (a shard's texts are part of its fingerprint).
NOT_MT_SETTINGS = ("qc", "shard_size")


def shard_settings(backend: dict, *, src: str, tgt: str, codes: dict[str, str], names: dict[str, str],
                   mt_model: str | None, seed: int | None) -> dict:
    """Everything besides its texts that decides what MT returns for a shard, for the shard's fingerprint:
    the code version, every backend setting, the MT model's language codes and the language names
    (the llm prompt) of ``src`` and ``tgt``, the seed and the MT weights (:func:`mlpt.models.fingerprint`)."""
    return {
        "code_version": CODE_VERSION,
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


# --- measured MT quality against human translations ---------------------------------------------

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
