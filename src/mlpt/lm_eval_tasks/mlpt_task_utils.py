"""lm-eval filter hooks for the generated mlpt tasks (copied next to the task YAMLs).

lm-evaluation-harness loads ``!function mlpt_task_utils.<name>`` from the folder of the YAML, so
this file travels with the generated tasks; the scoring logic itself lives in
:mod:`mlpt.scoring`, shared with validation during training. ``answer_phrases.json`` beside this
file lists the localized "The answer is" phrases (from resources/prompts/phrases.yaml).
"""

import json
from pathlib import Path

from mlpt import scoring

_PHRASES = json.loads((Path(__file__).parent / "answer_phrases.json").read_text(encoding="utf-8"))


def extract_math(resps, docs):
    """Final number of each generation, canonical form ("" when there is none), read as the
    document's language writes numbers."""
    return [[scoring.extract_number(r, _PHRASES, doc["lang"]) or "" for r in rs] for rs, doc in zip(resps, docs)]


def extract_call(resps, docs):
    """Canonical API call of each generation ("" when no call parses)."""
    return [[scoring.canonical_call(r) or "" for r in rs] for rs in resps]
