"""Structure protection before MT: only natural-language text is ever sent to the MT model.

Each field is cut into segments, and the segments that carry structure are passed through unchanged:

- math ``question`` / ``reasoning`` (:func:`segment_math`): every line separately (MT models work
  per sentence and the line structure of a chain of thought survives), with GSM8K calculator
  annotations ``<<48/2=24>>`` kept verbatim in place;
- api ``question``, the dialogue (:func:`segment_dialogue`): only the text after ``User:`` /
  ``AI:`` turns (without a trailing ``TIME: 2034-01-01 08:00:00`` stamp); other lines (earlier API
  requests and their results) are kept verbatim. API descriptions and parameter keys are never
  translated, and an API name (of the item's API descriptions or of its gold call) written in a
  turn ("call the AddMeeting API") is replaced by a placeholder before MT and restored verbatim.
- API value consistency (:func:`linked_values`): a string argument of the gold call that appears
  verbatim in a turn is replaced there by a placeholder ``[V0]`` before MT. If it is natural
  language (:func:`is_natural_language`: not a number, date, time, e-mail, URL, id or list/dict
  literal, and not under an id-like key) it is translated once, on its own, and that translation
  replaces the placeholder and is written into the gold call (``call`` and its canonical
  ``answer``); otherwise the value is restored verbatim. Either way the translated query and its
  call still agree. Gold calls are read with the scorer's reader (:func:`mlpt.scoring.read_call`),
  so API-Bank's own quoting (``attendees='['John', 'Jane']'``, not Python) is handled as Python
  calls are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from .data import CALC_ANNOTATION
from .scoring import read_call

Segments = list[tuple[str, bool]]  # (text, translate?)
TURN = re.compile(r"^(User|AI):\s?")
TIME_STAMP = re.compile(r"\s*TIME:\s*\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
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


def _per_line(text: str, segment_line: Callable[[str], Segments]) -> Segments:
    """The segments of every line of ``text``; the line breaks are kept as structure."""
    out: Segments = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append(("\n", False))
        out += segment_line(line)
    return out


def _math_line(line: str) -> Segments:
    """The text of a line between GSM8K calculator annotations; the annotations kept verbatim."""
    out: Segments = []
    pos = 0
    for m in CALC_ANNOTATION.finditer(line):
        out += _text_segment(line[pos : m.start()]) if m.start() > pos else []
        out.append((m.group(0), False))
        pos = m.end()
    if pos < len(line):
        out += _text_segment(line[pos:])
    return out


def _dialogue_line(line: str) -> Segments:
    """A ``User:`` / ``AI:`` turn's text (without a trailing time stamp); any other line kept verbatim."""
    m = TURN.match(line)
    if not m:
        return [(line, False)]
    out: Segments = [(m.group(0), False)]
    turn = line[m.end() :]
    stamp = TIME_STAMP.search(turn)
    if stamp and stamp.start() > 0:
        out += _text_segment(turn[: stamp.start()]) + [(stamp.group(0), False)]
    elif turn:
        out += _text_segment(turn)
    return out


def segment_math(text: str) -> Segments:
    return _per_line(text, _math_line)


def segment_dialogue(text: str) -> Segments:
    return _per_line(text, _dialogue_line)


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
