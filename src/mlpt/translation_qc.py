"""Per-example quality control of machine-translated records.

Each machine-translated record is checked; a failed check adds its name to the record's flags:

- ``empty``: a text segment came back empty;
- ``language``: the translated text is not identified as the target language (py3langid restricted
  to the study's languages, see :mod:`mlpt.language_id`); only checked when the translated text has
  at least ``langid_min_chars`` letters, because language ID of a few words is unreliable;
- ``numbers``: a number of the source text is missing from its translation (thousands separators
  and decimal commas normalised, digits of any script read as ASCII);
- ``length_ratio``: characters of translation / characters of source outside
  [``min_length_ratio``, ``max_length_ratio``];
- ``structure``: a protected piece did not survive: a placeholder of an API value lost or
  duplicated, the gold call unparseable after substitution, or calculator annotations / line
  breaks of a field changed;
- ``untranslated``: a text segment with at least ``untranslated_min_letters`` letters came back
  identical to its source.

The policy (config ``translation.qc.policy``) decides what happens to flagged records:
``drop`` removes flagged train/val records (the mixture stage then removes their ids from every
language of a mixture, so languages stay parallel); ``flag`` keeps every record with its flags;
``keep`` keeps every record and writes no flags on it. Test records are never dropped (evaluation
stays parallel across languages), and records from human references or in the source language are
not checked. Counts per check are written whatever the policy.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import config as study_config
from .data import CALC_ANNOTATION
from .scoring import to_ascii_digits

log = logging.getLogger(__name__)

CHECKS = ("empty", "language", "numbers", "length_ratio", "structure", "untranslated")
POLICIES = ("drop", "flag", "keep")
DROPPABLE_SPLITS = ("train", "val")
LETTER = re.compile(r"[^\W\d_]")
NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f]\d+)*")
THOUSANDS = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+")


#: The config schema's defaults of ``translation.qc``: the only place they are written down.
_DEFAULTS = study_config.schema_defaults("translation", "qc")


@dataclass(frozen=True)
class Settings:
    """The checks' thresholds and the policy: the keys of ``translation.qc`` (described in the config
    schema, whose defaults these are)."""

    policy: str = _DEFAULTS["policy"]
    min_length_ratio: float = _DEFAULTS["min_length_ratio"]
    max_length_ratio: float = _DEFAULTS["max_length_ratio"]
    langid_min_chars: int = _DEFAULTS["langid_min_chars"]
    untranslated_min_letters: int = _DEFAULTS["untranslated_min_letters"]

    @classmethod
    def from_config(cls, qc: dict | None) -> Settings:
        settings = cls(**(qc or {}))
        if settings.policy not in POLICIES:
            raise ValueError(f"key 'translation/qc/policy': '{settings.policy}' is not one of {POLICIES}")
        return settings


def normalise_number(token: str) -> str:
    """One canonical form per number: ``1,500`` = ``1.500`` = ``1 500`` → ``1500``; ``2,5`` → ``2.5``.

    A number whose separators all group three digits is read as thousands (the same reading on the
    source and the translation side, so comparisons agree); otherwise the last separator is the
    decimal point."""
    token = to_ascii_digits(token)
    if THOUSANDS.fullmatch(token):
        return token.translate({ord(c): None for c in ".,\u00a0\u202f"}).lstrip("0") or "0"
    parts = re.split(r"[.,\u00a0\u202f]", token)
    whole = "".join(parts[:-1]) if len(parts) > 1 else parts[0]
    frac = parts[-1].rstrip("0") if len(parts) > 1 else ""
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{frac}" if frac else whole


def numbers(text: str) -> set[str]:
    return {normalise_number(m.group(0)) for m in NUMBER.finditer(text)}


def letters(text: str) -> int:
    return len(LETTER.findall(text))


def structure_signature(text: str) -> tuple:
    """What translation must not change in a field: calculator annotations and line breaks."""
    return tuple(CALC_ANNOTATION.findall(text)), text.count("\n")


class Checker:
    """Runs the checks on one record's translated segments (no language ID without ``languages``)."""

    def __init__(self, settings: Settings, languages: Iterable[str], identify=None):
        self.settings = settings
        self.languages = list(languages)
        self._identify = identify

    @property
    def identify(self):
        if self._identify is None:
            from .language_id import LanguageIdentifier

            self._identify = LanguageIdentifier(self.languages)
        return self._identify

    def check(self, pairs: Sequence[tuple[str, str]], fields: Sequence[tuple[str, str]], tgt: str) -> list[str]:
        """Failed checks of one record.

        ``pairs``: (source segment, translated segment) of every segment sent to MT;
        ``fields``: (source field, translated field) of every translated field."""
        s = self.settings
        flags = []
        if any(letters(src) and not out.strip() for src, out in pairs):
            flags.append("empty")
        text = " ".join(out for _, out in pairs)
        if self.languages and letters(text) >= s.langid_min_chars and self.identify(text) != tgt:
            flags.append("language")
        if any(not numbers(src) <= numbers(out) for src, out in pairs):
            flags.append("numbers")
        n_src = sum(len(src) for src, _ in pairs)
        if n_src and not s.min_length_ratio <= sum(len(out) for _, out in pairs) / n_src <= s.max_length_ratio:
            flags.append("length_ratio")
        if any(structure_signature(src) != structure_signature(out) for src, out in fields):
            flags.append("structure")
        if any(src.strip() == out.strip() and letters(src) >= s.untranslated_min_letters for src, out in pairs):
            flags.append("untranslated")
        return flags


def apply_policy(records: list[dict], policy: str, split: str) -> tuple[list[dict], dict]:
    """Keep/drop records by their ``flags`` under ``policy``; return (kept, counts).

    Counts: records, flagged, per-check counts and the dropped ids (always, whatever the policy)."""
    checks = Counter(flag for rec in records for flag in set(rec.get("flags", [])))
    flagged = [rec for rec in records if rec.get("flags")]
    drop = policy == "drop" and split in DROPPABLE_SPLITS
    kept = [rec for rec in records if not (drop and rec.get("flags"))]
    if policy == "keep":
        kept = [{k: v for k, v in rec.items() if k != "flags"} for rec in kept]
    counts = {
        "records": len(records), "flagged": len(flagged), "checks": {c: checks.get(c, 0) for c in CHECKS},
        "policy": policy, "dropped": len(records) - len(kept),
        "dropped_ids": [rec["id"] for rec in flagged] if drop else [],
    }
    return kept, counts


def describe(counts: dict) -> str:
    """One log line: what QC counted and what the policy did."""
    per_check = ", ".join(f"{c} {n}" for c, n in counts["checks"].items() if n) or "none"
    return (f"{counts['records']} records, {counts['flagged']} flagged (by check: {per_check}); "
            f"policy {counts['policy']}: {counts['dropped']} dropped")
