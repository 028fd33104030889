"""The ``mlpt.data`` package: one module per adapter around the registry, none importing the
package itself, and a script's code hash covering every module of it."""

import ast
from pathlib import Path

from mlpt import code_version, data

PACKAGE = Path(data.__file__).parent
SUBMODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def test_every_source_is_prepared_by_a_module_of_the_package():
    for name, source in data.SOURCES.items():
        module = source.prepare.__module__
        assert module.startswith("mlpt.data.") and module.rpartition(".")[2] in SUBMODULES, name


def test_no_module_of_the_package_imports_its_init():
    """The adapters import what they share from its module (``common``, ``hub``, ``stream``),
    never ``mlpt.data`` itself: the registry in ``__init__`` imports them."""
    for stem in SUBMODULES:
        tree = ast.parse((PACKAGE / f"{stem}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module is None:  # from . import <sibling module> only
                    assert {a.name for a in node.names} <= set(SUBMODULES), f"{stem}: from . import a name of __init__"
                assert not (node.level == 0 and node.module == "mlpt.data"), f"{stem}: from mlpt.data import ..."
                assert not (node.level == 2 and node.module == "data"), f"{stem}: from ..data import ..."
            elif isinstance(node, ast.Import):
                assert "mlpt.data" not in {a.name for a in node.names}, f"{stem}: import mlpt.data"


def test_the_code_hash_of_prepare_data_covers_every_module_of_the_package(root):
    reached = code_version.modules_of(root / "workflow/scripts/prepare_data.py")
    assert {"data", *(f"data.{stem}" for stem in SUBMODULES)} <= set(reached)


def test_study_b_reads_no_hub_dataset(root):
    """Study B's English questions are all the authors' files (Amazon's too, no longer a Hub sample):
    its data stages import nothing of the Hub adapters."""
    tree = ast.parse((root / "src/mlpt/spontaneous/sources.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not [m for m in imported if "hub" in m], imported
