"""Study B's few-shot prompts: in-language exemplars and field names, English label words.

The paper evaluates base models by in-context learning: Amazon Reviews Polarity with 2 exemplars,
SNLI with 6 and PAWS-X with 4. A prompt in language X is plain text (no chat template)::

    <instruction in X, naming the English label words in quotes>

    <field in X>: <text>
    <field in X>: <text>
    <answer field in X>: "<English label>"

    ... (one block per exemplar, blank lines between)

    <field in X>: <text of the scored item>
    <answer field in X>: "

so the next token begins the label word (``Answer: "`` in English, ``答案: "`` in Chinese), which
:mod:`mlpt.spontaneous.labels` scores. The wording per language (field names, instructions, the
language's English name) is data: ``resources/spontaneous/prompts.yaml`` (:data:`PROMPTS_FILE`
below a resources folder).

Exemplars come from the same language's test set and are never the scored item: for item i,
:func:`exemplar_indices` draws ``shots / labels`` rows of every label (2 = one positive and one
negative, SNLI 2 of each of 3 labels, PAWS-X 2 of each of 2) among the other rows, in a shuffled
order, with a generator seeded by the seed and i. The draw depends only on the English labels,
which are row-parallel across languages, so item i gets the same exemplar rows in every language
and the prompts of one item are translations of each other (what the PCA of parallel prompts
needs).

The question block alone (fields and the open answer field, :func:`render_question`) is also the
text a question-translation pair translates: :func:`question_pairs` gives (question in X, English
question) for :func:`mlpt.spontaneous.data.build_qt_records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..yaml_files import load_yaml
from .data import TASKS, task_spec

__all__ = [
    "PROMPTS_FILE",
    "build_prompt",
    "build_prompts",
    "exemplar_indices",
    "instruction",
    "language_name",
    "load_prompt_spec",
    "question_pairs",
    "render_question",
]

#: The wording file, relative to the resources folder.
PROMPTS_FILE = Path("spontaneous") / "prompts.yaml"


def load_prompt_spec(path: str | Path) -> dict:
    """The wording file (see the module docstring), checked: every language names itself, every
    field of every task and the answer field, and has one instruction per task that uses each
    label placeholder ``{0}``, ``{1}``, ... exactly once. ValueError naming the key otherwise."""
    return _load(str(Path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    spec = load_yaml(path)
    langs = spec.get("languages") if isinstance(spec, dict) else None
    if not isinstance(langs, dict) or not langs:
        raise ValueError(f"{path}: no 'languages' mapping")
    fields = {"answer"} | {f for t in TASKS.values() for f in t.text_fields}
    for lang, entry in langs.items():
        where = f"{path}: languages/{lang}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"{where}/name: missing")
        missing = sorted(fields - set(entry.get("fields") or {}))
        if missing:
            raise ValueError(f"{where}/fields: missing {missing}")
        for task, tspec in TASKS.items():
            text = (entry.get("instructions") or {}).get(task)
            if not isinstance(text, str):
                raise ValueError(f"{where}/instructions/{task}: missing")
            n = len(tspec.labels)
            counts = [text.count("{" + str(k) + "}") for k in range(n + 1)]
            if counts[:n] != [1] * n or counts[n] or text.count("{") != n:
                raise ValueError(f"{where}/instructions/{task}: must use each of "
                                 f"{', '.join('{' + str(k) + '}' for k in range(n))} once and no other placeholder")
    return spec


def _entry(spec: dict, lang: str) -> dict:
    entry = spec["languages"].get(lang)
    if entry is None:
        raise KeyError(f"no study B prompt wording for language '{lang}'")
    return entry


def language_name(spec: dict, lang: str) -> str:
    """The English name of ``lang`` ("Chinese"), as question-translation prompts write it."""
    return _entry(spec, lang)["name"]


def _label_words(task: str, label_words: Sequence[str] | None) -> tuple[str, ...]:
    labels = task_spec(task).labels
    if label_words is None:
        return labels
    if len(label_words) != len(labels):
        raise ValueError(f"{len(label_words)} label words for the {len(labels)} labels of '{task}'")
    return tuple(label_words)


def instruction(spec: dict, task: str, lang: str, label_words: Sequence[str] | None = None) -> str:
    """The task instruction in ``lang`` with the label words (the task's English labels unless
    ``label_words`` stand in for them, position by position) in double quotes."""
    words = _label_words(task, label_words)
    return _entry(spec, lang)["instructions"][task].format(*(f'"{w}"' for w in words))


def render_question(spec: dict, task: str, record: dict, answer: str | None = None) -> str:
    """One item as a block of ``<field>: <text>`` lines in the record's language, ending with the
    answer field and an opening quote, or with the closed ``"<answer>"`` when ``answer`` is given.
    Texts are stripped of surrounding white space."""
    names = _entry(spec, record["lang"])["fields"]
    lines = [f"{names[f]}: {record[f].strip()}" for f in task_spec(task).text_fields]
    lines.append(f'{names["answer"]}: "' + ("" if answer is None else f'{answer}"'))
    return "\n".join(lines)


def exemplar_indices(labels: Sequence[str], index: int, task: str, seed: int = 0) -> list[int]:
    """The exemplar rows of item ``index`` (see the module docstring).

    Args:
        labels: the English label of every row of the test set (row-parallel across languages).
        index: the scored row; never among the exemplars.
        task: the task (its shot count and labels).
        seed: with ``index``, seeds the draw.
    """
    tspec = task_spec(task)
    per_label, rest = divmod(tspec.shots, len(tspec.labels))
    if rest:
        raise ValueError(f"{tspec.shots} shots do not split evenly over the {len(tspec.labels)} labels of '{task}'")
    rng = np.random.default_rng([seed, index])
    chosen: list[int] = []
    for label in tspec.labels:
        pool = [j for j, lab in enumerate(labels) if lab == label and j != index]
        if len(pool) < per_label:
            raise ValueError(f"'{task}': {len(pool)} other rows labelled '{label}', {per_label} needed")
        chosen.extend(int(j) for j in rng.choice(pool, size=per_label, replace=False))
    return [chosen[k] for k in rng.permutation(len(chosen))]


def build_prompt(spec: dict, task: str, record: dict, exemplars: Sequence[dict],
                 label_words: Sequence[str] | None = None) -> str:
    """The few-shot prompt for ``record`` with ``exemplars`` (records with an English ``label``),
    all in the record's language.

    ``label_words`` replace the task's labels, position by position, in the instruction and the
    exemplar answers (the irrelevant-label control, e.g. ``("ox", "horse")``)."""
    words = dict(zip(task_spec(task).labels, _label_words(task, label_words)))
    for ex in exemplars:
        if ex["lang"] != record["lang"] or ex["id"] == record["id"]:
            raise ValueError(f"exemplar {ex['id']} ({ex['lang']}) for {record['id']} ({record['lang']}): exemplars "
                             f"must be other items of the same language")
    blocks = [instruction(spec, task, record["lang"], label_words)]
    blocks += [render_question(spec, task, ex, words[ex["label"]]) for ex in exemplars]
    blocks.append(render_question(spec, task, record))
    return "\n\n".join(blocks)


def build_prompts(spec: dict, task: str, records: Sequence[dict], seed: int = 0,
                  label_words: Sequence[str] | None = None) -> list[str]:
    """The prompt of every record of one language's test set (records as
    :func:`mlpt.spontaneous.data.read_test_set` gives them, in row order), exemplars drawn with
    :func:`exemplar_indices` from the same records."""
    langs = {r["lang"] for r in records}
    if len(langs) > 1:
        raise ValueError(f"records of several languages {sorted(langs)}: build the prompts of each language apart")
    labels = [r["label"] for r in records]
    return [build_prompt(spec, task, rec, [records[j] for j in exemplar_indices(labels, i, task, seed)], label_words)
            for i, rec in enumerate(records)]


def question_pairs(spec: dict, task: str, records: Sequence[dict], english: Sequence[dict]) -> list[tuple[str, str]]:
    """(question in X, English question) for parallel records (matched by id), each rendered by
    :func:`render_question` with the open answer field, as question-translation pairs are."""
    by_id = {r["id"]: r for r in english}
    missing = [r["id"] for r in records if r["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} records have no English counterpart, e.g. {missing[:3]}")
    return [(render_question(spec, task, r), render_question(spec, task, by_id[r["id"]])) for r in records]
