"""Scoring of model generations: math answers (MGSM) and API calls (API-Bank).

* Math: :func:`extract_number` reads the final numeric answer of a generation, as its language
  writes numbers; :func:`normalize_number` reads a gold answer; :func:`numbers_equal` compares them.
* API calls: :func:`read_call` finds and parses the first call in a text (:class:`WrittenCall`,
  with where each value is written); :func:`parse_api_call` gives it for matching
  (:class:`ApiCall`), :func:`canonical_call` as a string, :func:`calls_match` compares two.
* :func:`score` applies one of the two by task kind.

Standard library only (the language table is read through :mod:`mlpt.languages`). Every public
function is pure and never raises on odd model output; only an unknown ``kind`` of :func:`score`
and a language the table does not list raise.

A number is returned in canonical form: a plain ASCII decimal string, without thousands
separators, leading zeros, trailing fractional zeros or a trailing ``.``; a leading ``-`` for
negatives, ``-0`` is ``0``: ``"1234"``, ``"-18"``, ``"1.5"``, ``"18.00" -> "18"``.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Sequence

from .languages import NumberNotation, number_notation

__all__ = [
    "ApiCall",
    "CallArgument",
    "NumberNotation",
    "WrittenCall",
    "calls_match",
    "canonical_call",
    "extract_number",
    "normalize_number",
    "normalize_value",
    "number_notation",
    "numbers_equal",
    "parse_api_call",
    "read_call",
    "score",
    "to_ascii_digits",
]

# --------------------------------------------------------------------------
# Math
# --------------------------------------------------------------------------

_PUNCT_MAP = {
    "\uff0c": ",",  # full-width comma
    "\uff0e": ".",  # full-width full stop
    "\uff0d": "-",  # full-width hyphen-minus
    "\u2212": "-",  # minus sign
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
}


class _AsciiDigitTable(dict):
    """``str.translate`` table mapping any Unicode decimal digit to ASCII, filled lazily."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        if char in _PUNCT_MAP:
            value = _PUNCT_MAP[char]
        elif codepoint > 127 and unicodedata.category(char) == "Nd":
            value = str(unicodedata.decimal(char))
        else:
            value = char  # every other character maps to itself
        self[codepoint] = value
        return value


_ASCII_DIGITS = _AsciiDigitTable()


def to_ascii_digits(text: str) -> str:
    """``text`` with every Unicode decimal digit (category Nd: Bengali ০-৯, Thai ๐-๙, Telugu ౦-౯,
    Devanagari ०-९, Arabic-Indic ٠-٩, full-width ０-９, ...) replaced by its ASCII digit
    (:func:`unicodedata.decimal`; superscripts such as ``²`` are not decimal digits and stay), and
    full-width ``，`` ``．`` ``－``, the minus sign ``−`` (U+2212) and the Arabic separators ``٫``
    ``٬`` by ``,`` ``.`` ``-``. One character for one, so positions do not move."""
    return text.translate(_ASCII_DIGITS)


_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_SPACE_SEP = f"[{_SPACES}]"
_SIGN = r"(?P<sign>(?<![A-Za-z0-9)\]}])-[$€£¥₹]?)?(?<!\d)"
#: Language-neutral reading (no language given): every common notation, tried in this order.
_NEUTRAL_RE = re.compile(
    _SIGN + r"(?:"
    r"(?P<comma>[1-9]\d{0,2}(?:,\d{3}(?!\d))+(?:\.\d+)?)"
    r"|(?P<eudot>[1-9]\d{0,2}(?:\.\d{3}(?!\d))+,\d+)"
    r"|(?P<dots>[1-9]\d{0,2}(?:\.\d{3}(?!\d)){2,})"
    rf"|(?P<space>[1-9]\d{{0,2}}(?:{_SPACE_SEP}\d{{3}}(?!\d))+(?:[.,]\d+)?)"
    r"|(?P<plain>\d+(?:[.,]\d+(?![.,]\d))?)"
    r")",
    re.ASCII,
)
_GAP_LIMIT = 40
_SENTENCE_END = re.compile(r"[.。!！?？।॥]")
_NUMERIC_STR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


@lru_cache(maxsize=64)
def _number_re(notation: NumberNotation | None) -> re.Pattern[str]:
    """The number pattern of ``notation`` (None: the language-neutral one)."""
    if notation is None:
        return _NEUTRAL_RE
    groups = "|".join(
        rf"(?:{_SPACE_SEP if sep == ' ' else re.escape(sep)}\d{{3}}(?!\d))+" for sep in notation.thousands
    )
    decimal = re.escape(notation.decimal)
    return re.compile(
        _SIGN + r"(?:"
        rf"(?P<grouped>[1-9]\d{{0,2}}(?:{groups})(?:{decimal}\d+)?)"
        r"|(?P<plain>\d+(?:[.,]\d+(?![.,]\d))?)"
        r")",
        re.ASCII,
    )


def _canonical_decimal(int_part: str, frac_part: str, negative: bool) -> str:
    """Canonical ASCII decimal from digit strings (exact, no float rounding)."""
    int_part = int_part.lstrip("0") or "0"
    frac_part = frac_part.rstrip("0")
    body = f"{int_part}.{frac_part}" if frac_part else int_part
    return "-" + body if negative and body != "0" else body


def _match_to_canonical(match: re.Match[str], notation: NumberNotation | None) -> str:
    """Canonical string of one match of ``_number_re(notation)``."""
    kind = match.lastgroup
    raw = match.group(kind)
    if kind == "grouped":  # digits, the language's thousands separators and perhaps its decimal mark
        plain = "".join(c for c in raw if c.isdigit() or c == notation.decimal).replace(notation.decimal, ".")
    elif kind == "comma":
        plain = raw.replace(",", "")
    elif kind in ("eudot", "dots"):
        plain = raw.replace(".", "").replace(",", ".")
    elif kind == "space":
        plain = re.sub(_SPACE_SEP, "", raw).replace(",", ".")
    else:
        plain = raw.replace(",", ".")
    int_part, _, frac_part = plain.partition(".")
    return _canonical_decimal(int_part, frac_part, negative=bool(match.group("sign")))


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = phrase.strip().rstrip(":：").split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)


def _last_phrase_end(text: str, answer_phrases: Sequence[str]) -> int | None:
    """End index of the last occurrence of any phrase, or None."""
    best: tuple[int, int] | None = None  # (start, end)
    for phrase in answer_phrases:
        pattern = _phrase_pattern(phrase)
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            if best is None or (m.start(), m.end()) > best:
                best = (m.start(), m.end())
    return None if best is None else best[1]


def _gap_ok(gap: str) -> bool:
    """Whether the text between an answer phrase and a number is acceptable."""
    rest = gap.lstrip()
    return len(rest) <= _GAP_LIMIT and "\n" not in rest and not _SENTENCE_END.search(rest)


def _number_after_phrase(text: str, answer_phrases: Sequence[str], notation: NumberNotation | None) -> str | None:
    end = _last_phrase_end(text, answer_phrases)
    if end is None:
        return None
    match = _number_re(notation).search(text, end)
    if match is None or not _gap_ok(text[end : match.start()]):
        return None
    return _match_to_canonical(match, notation)


def _all_numbers(text: str, notation: NumberNotation | None = None) -> list[str]:
    return [_match_to_canonical(m, notation) for m in _number_re(notation).finditer(text)]


def extract_number(text: str, answer_phrases: Sequence[str] = (), lang: str | None = None) -> str | None:
    """The final numeric answer of a generation in language ``lang``, in canonical form, or None
    when the text holds no number. Digits are first made ASCII (:func:`to_ascii_digits`).

    Which number
        1. The first number after the LAST occurrence of any of ``answer_phrases`` (matched
           case-insensitively; any run of whitespace in a phrase matches any run of whitespace;
           a trailing ``:``/``：`` of a phrase is optional). Between the phrase and the number
           may stand up to 40 characters of anything except digits, sentence-final punctuation
           (``. 。 ! ！ ? ？ । ॥``) and a newline after the first non-space character:
           whitespace, ``:``, ``—``, ``**``, ``$ € ¥ ₹ £``, ``\\boxed{``, a short word ("Janet
           makes $18"). Words and units after the number are ignored ("答えは18個です", "18
           dollars").
        2. Otherwise (no phrase given, none occurs, or the last one is not followed by an
           acceptable number): the LAST number in the text.

    Numbers in a known language (``lang`` given)
        The language's thousands separators and decimal mark (:class:`NumberNotation`) come from
        ``numbers`` in the language table, ``resources/prompts/phrases.yaml``
        (:func:`number_notation`). At each position, in this order:

        * grouped: a first group of 1-3 digits not starting with 0, then groups of exactly 3
          digits, each after the same kind of thousands separator of the language, then
          optionally the language's decimal mark and digits. In German (``.`` and space group,
          ``,`` is decimal) ``80.000`` is 80000, ``1.234.567,5`` is 1234567.5 and ``70.000.`` at
          a sentence end is 70000; in French ``80 000`` (any space, also U+00A0/U+202F) is
          80000; in English ``70,000`` is 70000 and ``1,234.5`` is 1234.5;
        * otherwise digits with an optional decimal part ``[.,]digits``, either mark: the
          language's own (``3,5`` in German) or the other one, which models write too (``1.5``
          in German, ``3,5`` in English, are 1.5 and 3.5). A separator that groups thousands in
          the language never reads as a decimal mark before exactly three digits: German
          ``1.234`` is 1234, English ``1,234`` is 1234, whereas German ``1,234`` and English
          ``1.234`` are 1.234.

    Numbers with no language (``lang=None``; gold answers)
        Every common notation, tried in this order at each position:

        * comma grouping ``1,234`` / ``1,234,567.5``: a first group of 1-3 digits not starting
          with 0, then groups of exactly 3 digits -> thousands;
        * European ``1.234,5`` (dot groups followed by a decimal comma) -> 1234.5;
        * dot grouping with at least two groups ``1.234.567`` -> 1234567;
        * space grouping with an ASCII space, no-break space (U+00A0), thin space (U+2009) or
          narrow no-break space (U+202F): ``1 234`` -> 1234 (groups of exactly 3 digits; an
          optional ``.5``/``,5`` decimal part);
        * otherwise digits with an optional decimal part ``[.,]digits``: a single comma NOT
          followed by exactly three digits is a decimal comma (``3,5`` -> 3.5) and a single
          ``.`` is always a decimal point (``1.5`` stays ``1.5``, ``1.234`` is 1.234, never
          1234).

    Both readings
        * A ``.`` or ``,`` not followed by a digit is punctuation (``is 18.`` -> 18).
        * A ``-`` directly before the number (or before a currency symbol before it, ``-$5``)
          is a minus sign unless it follows an ASCII letter, a digit or a closing bracket,
          where it is a hyphen or a subtraction (``3-4``, ``COVID-19``, ``23-15=8``): ``-18``,
          ``(-18)``, ``答えは-18`` are negative.
        * Where a space groups thousands (no language; es, fr, ru, de), "2 300-gram bags" reads
          2300."""
    if isinstance(answer_phrases, str):
        answer_phrases = (answer_phrases,)
    notation = number_notation(lang)
    text = to_ascii_digits(text)
    phrases = [to_ascii_digits(p) for p in answer_phrases]
    after_phrase = _number_after_phrase(text, phrases, notation)
    if after_phrase is not None:
        return after_phrase
    numbers = _all_numbers(text, notation)
    return numbers[-1] if numbers else None


def normalize_number(s: str) -> str | None:
    """A gold answer in canonical form, read with no language (:func:`extract_number`: MGSM writes
    every gold the English way, whatever the language; ``"2,125" -> "2125"``); None unless it
    holds exactly one number."""
    numbers = _all_numbers(to_ascii_digits(str(s)))
    return numbers[0] if len(numbers) == 1 else None


def numbers_equal(pred: str | None, gold: str) -> bool:
    """Numeric equality of a predicted and a gold answer (tolerance 1e-9)."""
    if pred is None:
        return False
    a, b = normalize_number(pred), normalize_number(gold)
    if a is None or b is None:
        return False
    if a == b:
        return True
    with localcontext() as ctx:
        ctx.prec = max(len(a), len(b)) + 12
        return abs(Decimal(a) - Decimal(b)) <= Decimal("1e-9")


# --------------------------------------------------------------------------
# API calls
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiCall:
    """A parsed API call: name and (key, normalised value) pairs sorted by key."""

    name: str
    args: tuple[tuple[str, str], ...]

    def canonical(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self.args)
        return f"{self.name}({inner})"


_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*\(")
_MAX_CANDIDATES = 64
_ARGUMENT_SEPARATOR = re.compile(r",\s*(?=[A-Za-z_][A-Za-z0-9_]*\s*=(?!=))")
_KEY_VALUE = re.compile(r"\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(?P<value>.*?)\s*", re.DOTALL)
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError)
_Canon = str | list | dict  # normalised structure: every leaf is a str


def _normalize_number_string(s: str) -> str:
    negative = s.startswith("-")
    int_part, _, frac_part = s.lstrip("-").partition(".")
    return _canonical_decimal(int_part, frac_part, negative)


def _float_to_string(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return repr(x)
    return _normalize_number_string(format(Decimal(repr(x)), "f"))


def _canon_string(s: str) -> _Canon:
    s = " ".join(s.split())
    if _NUMERIC_STR.fullmatch(s):
        return _normalize_number_string(s)
    if s[:1] in ("[", "{"):
        try:
            parsed = ast.literal_eval(s)
        except _PARSE_ERRORS:
            return s
        if isinstance(parsed, (list, tuple, dict, set, frozenset)):
            return _canon(parsed)
    return s


def _canon(value: object) -> _Canon:
    """Recursive normalisation: scalars to strings, containers to lists/dicts of them."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_to_string(value)
    if isinstance(value, str):
        return _canon_string(value)
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canon(v) for v in value), key=_dump)
    if isinstance(value, dict):
        return {_as_key(_canon(k)): _canon(v) for k, v in value.items()}
    return " ".join(str(value).split())  # complex, bytes, ...


def _as_key(c: _Canon) -> str:
    return c if isinstance(c, str) else _dump(c)


def _dump(c: _Canon) -> str:
    return json.dumps(c, sort_keys=True, ensure_ascii=False)


def normalize_value(value: object) -> str:
    """The normalised string form of one argument value of an API call:

    * a string: surrounding whitespace stripped, inner runs of whitespace collapsed to one space;
      case is kept (matching is case-sensitive);
    * a number: its canonical form, so ``5``, ``5.0``, ``'5'`` and ``'5.0'`` all become ``"5"``;
      a string is a number only if it looks like one without leading zeros
      (``-?(0|[1-9][0-9]*)(\\.[0-9]+)?``), so ids such as ``'007'`` and dates stay verbatim;
    * ``True``/``False``/``None``: ``"True"``/``"False"``/``"None"`` (the string ``'True'``
      equals the boolean);
    * lists, tuples, dicts and sets: ``json.dumps(..., sort_keys=True, ensure_ascii=False)`` of
      the structure with every leaf normalised by these rules (sets sorted); a string that is
      itself a list or dict literal (``'['John', 'Jane']'``, common in API-Bank gold) is parsed
      and normalised the same way, so quoted and unquoted lists match."""
    return _as_key(_canon(value))


@dataclass(frozen=True)
class CallArgument:
    """One ``key=value`` argument as written: the literal spans ``text[start:end]`` (a string's
    quotes included); ``value`` is what it holds (a ``str`` for a quoted string) and
    ``normalized`` its :func:`normalize_value`."""

    key: str
    value: object
    normalized: str
    start: int
    end: int


@dataclass(frozen=True)
class WrittenCall:
    """A call as written in a text (Python or API-Bank syntax): the name, the call's span
    ``text[start:end]`` and the arguments in written order."""

    name: str
    start: int
    end: int
    arguments: tuple[CallArgument, ...]

    def api_call(self) -> ApiCall:
        """The call for matching: arguments sorted by key, values normalised."""
        return ApiCall(name=self.name, args=tuple(sorted((a.key, a.normalized) for a in self.arguments)))


def _balanced_end(text: str, open_paren: int, honour_quotes: bool) -> int | None:
    """Index just past the ``)`` matching ``text[open_paren]``, or None."""
    depth, quote, i = 0, None, open_paren
    while i < len(text):
        ch = text[i]
        if quote is not None:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif honour_quotes and ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _argument(key: str, value: object, start: int, end: int) -> CallArgument:
    return CallArgument(key, value, normalize_value(value), start, end)


def _call_from_tree(tree: ast.Expression, span: str, offset: int) -> WrittenCall | None:
    """The call of a parsed Python span (``ast`` positions are UTF-8 bytes within a line)."""
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
        return None
    lines = span.split("\n")
    line_starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def position(lineno: int, col: int) -> int:
        return offset + line_starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    arguments: list[CallArgument] = []
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg in {a.key for a in arguments}:
            return None
        node = keyword.value
        arguments.append(_argument(keyword.arg, ast.literal_eval(node), position(node.lineno, node.col_offset),
                                   position(node.end_lineno, node.end_col_offset)))
    return WrittenCall(call.func.id, offset, offset + len(span), tuple(arguments))


_NOT_A_VALUE = object()


def _api_bank_value(raw: str) -> object:
    """A literal if ``raw`` is one, else the verbatim inside of matching quotes, else _NOT_A_VALUE."""
    try:
        return ast.literal_eval(raw)
    except _PARSE_ERRORS:
        pass
    if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
        quote = raw[0]
        return raw[1:-1].replace("\\" + quote, quote)
    return _NOT_A_VALUE


def _call_from_api_bank_syntax(text: str, start: int, end: int) -> WrittenCall | None:
    """API-Bank's call syntax, which is not always Python: a quoted value may hold unescaped
    quotes of its own kind (``attendees='['John', 'Jane']'``) and a key may be a Python keyword
    (``from='USD'``). A value runs to the next ``, key=`` or to the closing parenthesis."""
    open_paren = text.index("(", start)
    inner_start, inner_end = open_paren + 1, end - 1
    inner = text[inner_start:inner_end].rstrip()
    if inner.endswith(","):
        inner = inner[:-1]
    bounds = [inner_start] + [m for sep in _ARGUMENT_SEPARATOR.finditer(inner)
                              for m in (inner_start + sep.start(), inner_start + sep.end())]
    bounds.append(inner_start + len(inner))
    arguments: list[CallArgument] = []
    if inner.strip():
        for piece_start, piece_end in zip(bounds[::2], bounds[1::2]):
            pair = _KEY_VALUE.fullmatch(text, piece_start, piece_end)
            if pair is None or pair.group("key") in {a.key for a in arguments}:
                return None
            value = _api_bank_value(pair.group("value"))
            if value is _NOT_A_VALUE:
                return None
            arguments.append(_argument(pair.group("key"), value, pair.start("value"), pair.end("value")))
    return WrittenCall(text[start:open_paren], start, end, tuple(arguments))


def _read_span(text: str, start: int, end: int) -> WrittenCall | None:
    """The call ``text[start:end]``: Python first, API-Bank's syntax only when it is not Python."""
    span = text[start:end]
    try:
        tree = ast.parse(span, mode="eval")
    except _PARSE_ERRORS:
        return _call_from_api_bank_syntax(text, start, end)
    return _call_from_tree(tree, span, start)


def read_call(text: str) -> WrittenCall | None:
    """The first readable ``Name(key=value, ...)`` call in ``text`` with where each value is
    written (the translation stage puts translated values back into gold calls there), or None;
    never raises. Model output looks like ``API-Request: [ModifyRegistration(appointment_id=
    '34567890', new_appointment_date='2023-03-26')]``, possibly with prose around it and without
    the prefix or the brackets.

    Locating the call
        Every ``Identifier(`` (ASCII identifier, no space before ``(``) is a candidate, left to
        right. Its span runs to the matching ``)``; parentheses inside quoted strings (single or
        double quotes, backslash escapes) do not count; where the quotes never balance
        (``name='O'Brien'``), the span is found again counting parentheses only. No balanced span:
        not a call. The first candidate that parses wins; candidates inside a span that was
        balanced but did not parse are skipped (``Outer(x=Inner(y=1))`` gives None, not
        ``Inner``). Only the first 64 candidates are tried, which bounds the otherwise quadratic
        cost on degenerate output such as ``f(f(f(f(...``.

    Parsing
        ``ast.parse(span, mode="eval")`` must give a call of a plain name with keyword arguments
        only (no positional arguments, no ``**kw``, no repeated keyword); each value is read with
        :func:`ast.literal_eval` (strings, numbers, True/False/None, lists, tuples, dicts, sets).
        A span that is not valid Python is read in API-Bank's own syntax (an unescaped inner
        quote, as in API-Bank's gold ``attendees='['John Smith', 'Jane Doe']'``, or a keyword as
        an argument name, ``from='USD'``): the text between the parentheses is split at every
        comma followed by ``identifier=``; each piece must be ``key=value`` where the value is a
        Python literal or else is wrapped in matching quotes (the text inside is then taken
        verbatim, ``\\'``/``\\"`` unescaped). Anything else: None. Inside a broken string a
        literal ", key=" is split."""
    skip_until = 0
    candidates = _CANDIDATE_RE.finditer(text)
    for candidate in itertools.islice(candidates, _MAX_CANDIDATES):
        if candidate.start() < skip_until:
            continue
        open_paren = candidate.end() - 1
        end = _balanced_end(text, open_paren, honour_quotes=True)
        if end is None:
            end = _balanced_end(text, open_paren, honour_quotes=False)
        if end is None:
            continue
        try:
            call = _read_span(text, candidate.start(), end)
        except _PARSE_ERRORS:
            call = None
        if call is not None:
            return call
        skip_until = end
    return None


def parse_api_call(text: str) -> ApiCall | None:
    """The first parseable ``Name(key=value, ...)`` call in ``text``, or None (never raises)."""
    call = read_call(text)
    return None if call is None else call.api_call()


def canonical_call(text: str) -> str | None:
    """The first call of ``text`` (:func:`parse_api_call`) as ``Name(k1='v1', k2='v2')``, keys sorted
    and values normalised (:func:`normalize_value`, ``repr``-quoted), or None: two texts hold the
    same call exactly when their canonical strings are equal."""
    call = parse_api_call(text)
    return None if call is None else call.canonical()


def calls_match(pred_text: str, gold_text: str) -> bool:
    """Exact match of the first calls of the two texts: same API name, same set of argument names,
    every value equal after :func:`normalize_value`."""
    pred, gold = parse_api_call(pred_text), parse_api_call(gold_text)
    return pred is not None and gold is not None and pred == gold


# --------------------------------------------------------------------------
# Dispatcher
# --------------------------------------------------------------------------


def score(
    kind: str, prediction: str, gold: str, answer_phrases: Sequence[str] = (), lang: str | None = None
) -> tuple[str | None, bool]:
    """(extracted canonical answer, correct) for ``kind`` in {"math", "api_call"}; ``lang`` is the
    language of the prediction (how it writes numbers)."""
    if kind == "math":
        answer = extract_number(prediction, answer_phrases, lang)
        return answer, numbers_equal(answer, gold)
    if kind == "api_call":
        return canonical_call(prediction), calls_match(prediction, gold)
    raise ValueError(f"unknown scoring kind {kind!r}; expected 'math' or 'api_call'")
