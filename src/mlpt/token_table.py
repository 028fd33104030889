"""Tokens per example, measured with the real tokenizers: the committed table the cost plan reads.

``resources/plan/tokens_per_example.csv`` holds, per model family (``qwen3``, ``gemma3``,
``qwen1.5``: the ``family`` of the configs' models), task (the configs' task names) and language,
the mean number of tokens of a training example (prompt + target as rendered for training, chat
template and EOS included), of an evaluation prompt and of a gold-length answer, and where the
numbers come from (``source``). ``benchmarks/token_lengths.py --write-table`` writes it; nothing
recomputes it at plan time (the real tokenizers are not needed to plan).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

#: The table's columns, in order.
COLUMNS = ("family", "task", "language", "train_tokens_mean", "eval_prompt_tokens_mean", "answer_tokens_mean", "source")
#: Where the table lies below the resources folder.
TABLE_FILE = Path("plan") / "tokens_per_example.csv"


@dataclass(frozen=True)
class TokenCounts:
    """Mean tokens of one family × task × language. A count the study does not use (training
    examples of an evaluation-only language) is None."""

    train_tokens_mean: float | None
    eval_prompt_tokens_mean: float | None
    answer_tokens_mean: float | None
    source: str


def _number(text: str, where: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not value > 0:
        raise ValueError(f"{where}: {value} is not a positive token count")
    return value


def read_table(table_path: str | Path) -> dict[tuple[str, str, str], TokenCounts]:
    """``{(family, task, language): TokenCounts}`` of the table at ``table_path``; ValueError naming
    the file and line of a wrong header, a duplicate key or a value that is not a positive number."""
    table_path = Path(table_path)
    out: dict[tuple[str, str, str], TokenCounts] = {}
    with table_path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{table_path}: columns {reader.fieldnames}, expected {list(COLUMNS)}")
        for lineno, row in enumerate(reader, start=2):
            where = f"{table_path}:{lineno}"
            key = (row["family"], row["task"], row["language"])
            if key in out:
                raise ValueError(f"{where}: {key} listed twice")
            out[key] = TokenCounts(*(_number(row[c], f"{where}: {c}") for c in COLUMNS[3:6]), row["source"])
    return out


def tokens_per_example(table_path: str | Path, family: str, task: str, language: str) -> TokenCounts:
    """The mean token counts of ``family`` × ``task`` × ``language`` in the table at ``table_path``.

    Raises:
        KeyError: the table has no such row (the message lists what it has for the family and task).
    """
    table = read_table(table_path)
    try:
        return table[(family, task, language)]
    except KeyError:
        have = sorted(lang for f, t, lang in table if (f, t) == (family, task))
        raise KeyError(f"{table_path}: no row for family '{family}', task '{task}', language '{language}' "
                       f"(it has {have or 'no language'} for that family and task; rerun "
                       f"benchmarks/token_lengths.py --write-table)") from None


def write_table(table_path: str | Path, rows: list[dict]) -> None:
    """Write ``rows`` (dicts with :data:`COLUMNS`; None for an unused count) sorted by key; means
    rounded to 0.1 token."""
    table_path = Path(table_path)
    table_path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=lambda r: (r["family"], r["task"], r["language"]))
    tmp = table_path.with_name(table_path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in ordered:
            writer.writerow({c: ("" if row[c] is None else round(row[c], 1) if isinstance(row[c], float) else row[c])
                             for c in COLUMNS})
    tmp.replace(table_path)
