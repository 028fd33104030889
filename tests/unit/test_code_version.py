"""A code change reruns what it affects: each script's code hash covers the package modules it
reaches through imports, and nothing else."""

import shutil

import pytest

from mlpt import code_version


@pytest.fixture
def tree(tmp_path, root, monkeypatch):
    """A copy of the package and the workflow scripts whose files a test may edit."""
    shutil.copytree(root / "src/mlpt", tmp_path / "mlpt", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "workflow/scripts", tmp_path / "scripts")
    monkeypatch.setattr(code_version, "PACKAGE_DIR", tmp_path / "mlpt")
    for cached in (code_version.code_hash, code_version._imports, code_version._file_digest):
        cached.cache_clear()
    yield tmp_path
    for cached in (code_version.code_hash, code_version._imports, code_version._file_digest):
        cached.cache_clear()


def _hashes(tree):
    for cached in (code_version.code_hash, code_version._file_digest):
        cached.cache_clear()
    return {p.name: code_version.code_hash(p) for p in sorted((tree / "scripts").glob("*.py"))}


@pytest.mark.parametrize("module", ["mt_structure.py", "scoring.py", "figures.py", "stats.py"])
def test_editing_a_module_changes_exactly_the_scripts_that_reach_it(tree, module):
    before = _hashes(tree)
    with (tree / "mlpt" / module).open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")
    after = _hashes(tree)
    changed = {name for name in before if before[name] != after[name]}
    name = module.removesuffix(".py")
    reaching = {p.name for p in (tree / "scripts").glob("*.py") if name in code_version.modules_of(p)}
    assert changed == reaching and changed  # some scripts, and only those
    assert len(changed) < len(before)


def test_the_reach_follows_imports_at_any_depth_and_inside_functions(tree):
    """translate.py reaches mt_structure only through mlpt.translate; figures are never reached."""
    modules = code_version.modules_of(tree / "scripts/translate.py")
    assert {"translate", "mt_structure", "sentences", "languages"} <= set(modules)
    assert "figures" not in modules and "stats" not in modules
    assert "figures" in code_version.modules_of(tree / "scripts/plot_figure.py")


def test_editing_a_module_no_script_reaches_changes_nothing(tree):
    before = _hashes(tree)
    assert not any("plan_cli" in code_version.modules_of(p) for p in (tree / "scripts").glob("*.py"))
    with (tree / "mlpt/plan_cli.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")
    assert _hashes(tree) == before


def test_a_data_file_a_module_reads_counts_as_its_code(tree):
    before = _hashes(tree)
    with (tree / "mlpt/lm_eval_tasks/mlpt_task_utils.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")
    after = _hashes(tree)
    assert before["evaluate.py"] != after["evaluate.py"] and before["plot_figure.py"] == after["plot_figure.py"]


def test_the_code_behind_resumable_work_is_identified_by_what_its_module_reaches(tree):
    """Finished MT shards and SFT checkpoints carry module_hash: an edit to mt_structure (which
    mlpt.translate imports) changes translate's, not sft's."""
    before = {m: code_version.module_hash(m) for m in ("translate", "sft")}
    with (tree / "mlpt/mt_structure.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")
    for cached in (code_version.code_hash, code_version._file_digest):
        cached.cache_clear()
    after = {m: code_version.module_hash(m) for m in ("translate", "sft")}
    assert before["translate"] != after["translate"] and before["sft"] == after["sft"]
