"""The language table: everything the code knows about a language, kept as data.

The table is ``prompts/phrases.yaml`` under a resources folder (:data:`PHRASES_FILE`); the project
ships one (:data:`SHIPPED_TABLE`). Each entry of its ``languages`` holds the language's prompt
phrases (used by :mod:`mlpt.prompts`) and how the language writes text:

- ``numbers``: its thousands separators and decimal mark (:class:`NumberNotation`, read by
  :mod:`mlpt.scoring` to understand an answer);
- ``sentence_end``: how its sentences end, one of :data:`SENTENCE_ENDS` (their patterns are in
  :mod:`mlpt.sentences`, which cuts long text before machine translation);
- ``bleu_tokenize``: sacrebleu's tokeniser for BLEU of text in it, one of :data:`BLEU_TOKENIZERS`
  (``13a`` where words are separated by spaces, ``char`` where they are not).
- ``family``, ``subfamily``, ``script``: its language family, its branch within the family and
  the script it is written in; descriptive facts, read only for Table 1
  (:func:`mlpt.analysis.language_facts`).

A table is checked where it is loaded (:func:`load_table`); every error names the key. The lookups
by language (:func:`number_notation`, :func:`sentence_end`, :func:`bleu_tokenize`) read the run's
table (:func:`active_table`: the one under the config's ``resources_dir``, selected for every job
by :func:`use_table`; the shipped table otherwise), and a language it lacks is an error naming the
file: a new language never silently gets another language's rules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .yaml_files import safe_load_yaml

PHRASES_FILE = Path("prompts") / "phrases.yaml"
#: The language table shipped with the project.
SHIPPED_TABLE = Path(__file__).resolve().parents[2] / "resources" / PHRASES_FILE
#: The environment variable naming the run's table: set by :func:`use_table`, inherited by the
#: processes a job starts (``accelerate launch``).
TABLE_VARIABLE = "MLPT_LANGUAGE_TABLE"

#: How sentences can end (``sentence_end``): ``latin`` ``.!?`` + space; ``cjk`` the full-width
#: ``。！？``; ``danda`` ``।`` and ``॥``; ``space`` no sentence punctuation (every space is a boundary).
SENTENCE_ENDS = ("latin", "cjk", "danda", "space")
#: sacrebleu tokenisers of BLEU (``bleu_tokenize``).
BLEU_TOKENIZERS = ("13a", "char")
#: Thousands separators a language may use; ``" "`` stands for every space a number is grouped with.
THOUSANDS_SEPARATORS = (",", ".", " ")
TOP_LEVEL_KEYS = ("languages", "templates")


@dataclass(frozen=True)
class NumberNotation:
    """How a language writes numbers: its thousands separators and its decimal mark.

    ``thousands`` are single characters; ``" "`` stands for every space a number is grouped with
    (space, no-break space U+00A0, thin space U+2009, narrow no-break space U+202F). The values
    live in the language table (``numbers``); :meth:`from_spec` reads and checks one entry.
    """

    thousands: tuple[str, ...]
    decimal: str

    @classmethod
    def from_spec(cls, spec: object) -> NumberNotation:
        """The notation of a ``{thousands: [...], decimal: ...}`` entry; ValueError saying what is wrong."""
        if not isinstance(spec, dict) or set(spec) != {"thousands", "decimal"}:
            raise ValueError(f"expected {{thousands: [...], decimal: '.' or ','}}, got {spec!r}")
        thousands, decimal = spec["thousands"], spec["decimal"]
        if decimal not in (".", ","):
            raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
        if (not isinstance(thousands, list) or not thousands or len(set(thousands)) != len(thousands)
                or any(sep not in THOUSANDS_SEPARATORS for sep in thousands)):
            raise ValueError(f"thousands must be a non-empty list of distinct separators from "
                             f"{list(THOUSANDS_SEPARATORS)}, got {thousands!r}")
        if decimal in thousands:
            raise ValueError(f"the decimal mark {decimal!r} cannot also separate thousands")
        return cls(tuple(thousands), decimal)


def load_table(path: str | Path) -> dict:
    """The language table at ``path``, checked (ValueError naming the file and the key)."""
    return _load_cached(str(Path(path).resolve()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        table = safe_load_yaml(fh)
    for key in TOP_LEVEL_KEYS:
        if key not in table:
            raise ValueError(f"{path}: missing top-level key '{key}'")
    try:
        number_notations(table)
        for lang, entry in table["languages"].items():
            _choice(entry, lang, "sentence_end", SENTENCE_ENDS)
            _choice(entry, lang, "bleu_tokenize", BLEU_TOKENIZERS)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return table


def _choice(entry: dict, lang: str, key: str, allowed: tuple[str, ...]) -> str:
    value = entry.get(key)
    if value not in allowed:
        raise ValueError(f"key 'languages/{lang}/{key}': expected one of {list(allowed)}, got {value!r}")
    return value


def number_notations(table: dict) -> dict[str, NumberNotation]:
    """How each language of ``table`` writes numbers; ValueError naming the key of a missing or
    malformed entry."""
    notations = {}
    for lang, entry in table["languages"].items():
        try:
            notations[lang] = NumberNotation.from_spec(entry.get("numbers"))
        except ValueError as err:
            raise ValueError(f"key 'languages/{lang}/numbers': {err}") from None
    return notations


def use_table(path: str | Path) -> None:
    """Make ``path`` (checked) the table every lookup of this process and its children reads."""
    load_table(path)
    os.environ[TABLE_VARIABLE] = str(Path(path).resolve())


def active_table() -> Path:
    """The table lookups read: the one :func:`use_table` selected, else the shipped one."""
    return Path(os.environ.get(TABLE_VARIABLE) or SHIPPED_TABLE)


def _lookup(lang: str, key: str, what: str):
    """``key`` of ``lang``'s entry in the active table; ValueError naming ``what`` and the file."""
    table = active_table()
    try:
        return load_table(table)["languages"][lang][key]
    except KeyError:
        raise ValueError(f"no {what} for language '{lang}' in {table}") from None


def number_notation(lang: str | None) -> NumberNotation | None:
    """How ``lang`` writes numbers; None (the neutral reading) for no language."""
    return None if lang is None else _notation(str(active_table()), lang)


@lru_cache(maxsize=64)
def _notation(table: str, lang: str) -> NumberNotation:
    return NumberNotation.from_spec(_lookup(lang, "numbers", "number notation"))


def sentence_end(lang: str) -> str:
    """How sentences of ``lang`` end: one of :data:`SENTENCE_ENDS`."""
    return _lookup(lang, "sentence_end", "sentence ends")


def bleu_tokenize(lang: str) -> str:
    """sacrebleu's BLEU tokeniser for text in ``lang``: one of :data:`BLEU_TOKENIZERS`."""
    return _lookup(lang, "bleu_tokenize", "BLEU tokeniser")
