"""Language-aware sentence splitting of long text before machine translation.

Seq2seq MT models have a fixed input window (512 tokens for NLLB/M2M100), so a long segment is
cut into sentences, each sentence is translated on its own, and the translations are re-joined
with the original separators. :func:`split` returns ``(piece, separator)`` pairs whose
concatenation is exactly the input, so the split is lossless.

How a language's sentences end is its ``sentence_end`` in the language table
(:func:`mlpt.languages.sentence_end`; a language without one is an error), one of:

- ``latin`` (Latin and Cyrillic scripts): ``.``, ``!`` or ``?`` followed by whitespace;
- ``cjk`` (Japanese, Chinese): the full-width ``。！？`` (no space follows them), and ``!?`` + space;
- ``danda`` (Bengali, Telugu, which writes both ``.`` and ``।``): the danda ``।`` (and ``॥``), and
  ``.!?`` + space;
- ``space`` (Thai, which has no sentence punctuation): sentences are separated by spaces, so every
  whitespace run is a boundary, and the pieces are packed back into phrases up to the limit.

A sentence still longer than the limit is cut at whitespace runs into pieces of at most
``max_chars`` characters. A piece without whitespace that is still too long is kept whole; the
translator counts (and reports) input over its window, it never truncates silently.
"""

from __future__ import annotations

import re

from . import languages

Pieces = list[tuple[str, str]]  # (text, separator that followed it)

LATIN_END = r"(?<=[.!?])\s+"
CJK_END = r"(?<=[。！？])(?![。！？」』）])\s*|" + LATIN_END
DANDA_END = r"(?<=[।॥])\s*|" + LATIN_END
WHITESPACE = r"\s+"

#: The boundary pattern of each ``sentence_end`` of the language table (:data:`mlpt.languages.SENTENCE_ENDS`).
BOUNDARY: dict[str, re.Pattern[str]] = {
    "latin": re.compile(LATIN_END),
    "cjk": re.compile(CJK_END),
    "danda": re.compile(DANDA_END),
    "space": re.compile(WHITESPACE),
}
_WHITESPACE = re.compile(WHITESPACE)


def _split_on(text: str, boundary: re.Pattern[str]) -> Pieces:
    """Cut ``text`` at every non-final match of ``boundary``; the match becomes the separator."""
    pieces: Pieces = []
    start = 0
    for m in boundary.finditer(text):
        if m.start() == start or m.end() == len(text):  # no empty pieces; keep a trailing separator on the last piece
            continue
        pieces.append((text[start : m.start()], m.group(0)))
        start = m.end()
    pieces.append((text[start:], ""))
    return pieces


def _pack(pieces: Pieces, max_chars: int) -> Pieces:
    """Greedily merge consecutive pieces (with their separators) into chunks of at most ``max_chars``."""
    out: Pieces = []
    for text, sep in pieces:
        if out and len(out[-1][0]) + len(out[-1][1]) + len(text) <= max_chars:
            prev, prev_sep = out[-1]
            out[-1] = (prev + prev_sep + text, sep)
        else:
            out.append((text, sep))
    return out


def split(text: str, lang: str, max_chars: int) -> Pieces:
    """``text`` as ``(piece, separator)`` pairs, each piece at most ``max_chars`` where possible.

    Text that fits is returned whole. ``"".join(p + s for p, s in split(...)) == text`` always."""
    end = languages.sentence_end(lang)
    if len(text) <= max_chars:
        return [(text, "")]
    out: Pieces = []
    for sentence, sep in _split_on(text, BOUNDARY[end]):
        if len(sentence) <= max_chars:
            out.append((sentence, sep))
            continue
        words = _pack(_split_on(sentence, _WHITESPACE), max_chars)
        words[-1] = (words[-1][0], words[-1][1] + sep)
        out += words
    return _pack(out, max_chars) if end == "space" else out  # phrases, not sentences


def join(pieces: Pieces) -> str:
    return "".join(text + sep for text, sep in pieces)
