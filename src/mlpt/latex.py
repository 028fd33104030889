"""The LaTeX tables of both studies' reports (``paper/main.tex``, ``paper/spontaneous.tex``): one
form for every table, a long table with booktabs rules that breaks across pages (the shared
``paper/preamble.tex`` loads booktabs and longtable)."""

from __future__ import annotations

import pandas as pd

from . import io

#: LaTeX's special characters and what stands for each in text.
_SPECIAL = {c: "\\" + c for c in "%&_#$"} | {"{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                                              "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped, to stand as text."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def write_table(df: pd.DataFrame, path: str, caption: str = "", label: str = "", decimals: int = 3) -> None:
    """``df`` (without its index) as a LaTeX long table at ``path``: cells, headers and caption
    escaped, floats with ``decimals`` decimals, a missing value as ``--``; no caption or label
    where empty."""
    with io.atomic_path(path) as fh:
        fh.write(df.to_latex(index=False, longtable=True, caption=escape(caption) or None, label=label or None,
                             escape=True, float_format=f"%.{decimals}f", na_rep="--"))
