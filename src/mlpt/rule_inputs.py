"""Rule inputs named by wildcard values, so a script reads each file by what it is, never by position.

A rule that takes one file per job of a grid (a task and language, a model, task and mixture) names
each input by :func:`key` (``math/es``, ``qwen3-tiny/math/en``; wildcard values never hold ``/``),
and its script reads them back with :func:`by_key`.
"""

from __future__ import annotations

from collections.abc import Iterable


def key(*values: str) -> str:
    """The input name of one job: its wildcard values joined by ``/``."""
    return "/".join(values)


def by_key(named: Iterable[tuple[str, str]], prefix: str | None = None) -> dict[tuple[str, ...], str]:
    """``{wildcard values: file}`` of the inputs named by :func:`key` among ``named`` (a script's
    ``snakemake.input.items()``), in input order; inputs with a plain one-word name are left out.
    With ``prefix``, only those named ``<prefix>/...``, keyed without it."""
    found = {}
    for name, path in named:
        values = tuple(name.split("/"))
        if prefix is None and len(values) > 1:
            found[values] = path
        elif prefix is not None and values[0] == prefix and len(values) > 1:
            found[values[1:]] = path
    return found
