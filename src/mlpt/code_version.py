"""Which package code a workflow script runs, as one hash: so a code change reruns what it affects.

Snakemake reruns a job when its rule's ``script:`` file changes, but the scripts are thin: the
logic lives in this package. Each rule that runs a script passes ``code=code_hash(script)`` as a
param; Snakemake stores params with every output and marks the job "Params have changed" when the
hash differs. The hash covers the script and every ``mlpt`` module it imports, directly or through
other modules, function-level imports included (read from the source with :mod:`ast`, nothing is
imported), plus the package data files those modules read at run time (:data:`DATA_FILES`).
Editing a module that, say, scoring imports marks exactly the jobs whose scripts reach it.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name

#: Files a module reads at run time (not imports), relative to the package: they count as its code.
DATA_FILES = {
    "evaluate": ["lm_eval_tasks/mlpt_task_utils.py"],
    "config": ["schemas/config.schema.yaml", "schemas/spontaneous.schema.yaml"],
    "io": ["schemas/example.schema.yaml", "schemas/eval_doc.schema.yaml", "schemas/train_record.schema.yaml"],
}


def _module_file(name: str) -> Path | None:
    """The source file of package module ``name`` ("scoring", "spontaneous.study"), or None."""
    base = PACKAGE_DIR.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_statements(body: list):
    """The import statements of a statement list, at any depth of blocks (functions, classes, if,
    try, with, loops), without visiting expressions: a fraction of ``ast.walk``'s work."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field, ()) or ())


@lru_cache(maxsize=None)
def _imports(path: Path, module: str | None) -> frozenset[str]:
    """Package modules imported anywhere in ``path`` (``module``: its dotted name inside the
    package, None for a script outside it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (module.rsplit(".", 1)[0] if "." in module else "") if module else None
    if module and path.name == "__init__.py":
        package = module
    found = set()
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            found |= {a.name[len(PACKAGE) + 1:] for a in node.names if a.name.startswith(PACKAGE + ".")}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module == PACKAGE:
                base = ""
            elif node.level == 0 and (node.module or "").startswith(PACKAGE + "."):
                base = node.module[len(PACKAGE) + 1:]
            elif node.level and package is not None:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                continue
            if base:
                found.add(base)
            found |= {f"{base}.{a.name}" if base else a.name for a in node.names}
    return frozenset(name for name in found if _module_file(name) is not None)


def modules_of(script: str | Path, module: str | None = None) -> list[str]:
    """Every package module ``script`` reaches through imports, sorted (``module``: the script's
    own dotted name inside the package, when it is one of the package's modules)."""
    seen: set[str] = set()
    todo = list(_imports(Path(script).resolve(), module))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += _imports(_module_file(name), name) - seen
    # a module's package __init__ runs before it
    for name in list(seen):
        parts = name.split(".")
        seen |= {".".join(parts[:i]) for i in range(1, len(parts)) if _module_file(".".join(parts[:i]))}
    return sorted(seen)


@lru_cache(maxsize=None)
def code_hash(script: str | Path, module: str | None = None) -> str:
    """sha256 (first 16 hex digits) of ``script``, the package modules it reaches and their data
    files: what a job of that script computes with."""
    files = [Path(script).resolve()]
    for name in modules_of(script, module):
        files.append(_module_file(name))
        files += [PACKAGE_DIR / extra for extra in DATA_FILES.get(name, [])]
    digest = hashlib.sha256()
    for path in files:
        label = path.relative_to(PACKAGE_DIR).as_posix() if path.is_relative_to(PACKAGE_DIR) else path.name
        digest.update(f"{label}\0{_file_digest(path)}\0".encode())
    return digest.hexdigest()[:16]


def module_hash(module: str) -> str:
    """:func:`code_hash` of a package module (``"translate"``): the identity of the code that made
    resumable work (finished MT shards, SFT checkpoints), so work done by other code is never resumed.
    Named, not taken from ``__name__``: a module run as a program (``python -m mlpt.sft``) is ``__main__``."""
    path = _module_file(module)
    if path is None:
        raise ValueError(f"no module '{module}' in the {PACKAGE} package")
    return code_hash(path, module)


@lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
