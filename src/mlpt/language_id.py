"""Offline language identification of model responses (language fidelity).

Uses py3langid (a maintained fork of langid.py, model shipped in the wheel) restricted to the
study's languages. A response with no letters at all (e.g. only "7 + 5 = 12.") has no language:
it is reported as undetermined and does not count as written in the prompt's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LETTER = re.compile(r"[^\W\d_]")


class LanguageIdentifier:
    def __init__(self, languages: Iterable[str]):
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as _LangId

        self.languages = list(languages)
        self._model = _LangId.from_model_file(MODEL_FILE, norm_probs=True)
        self._model.set_languages(self.languages)

    def __call__(self, text: str) -> str | None:
        """The most likely study language of ``text``, or None when it has no letters."""
        if not text or not LETTER.search(text):
            return None
        return self._model.classify(text)[0]


def fidelity(predictions: list[str], expected: str, identify: LanguageIdentifier) -> float | None:
    """Share of predictions identified as written in ``expected`` (None for no predictions)."""
    if not predictions:
        return None
    return sum(identify(p) == expected for p in predictions) / len(predictions)
