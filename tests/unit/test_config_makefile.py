"""`make report` / `make paper` take the run name from a validated config, never from raw YAML."""

import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


@pytest.fixture
def make_dir(tmp_path, root):
    """A copy of the Makefile whose virtual environment counts as installed (nothing is installed)."""
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv/.installed").touch()
    return tmp_path


def _make(make_dir, *args):
    return subprocess.run(["make", "--no-print-directory", f"PY={sys.executable}", "SNAKEMAKE=echo snakemake", *args],
                          cwd=make_dir, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("target", ["report", "paper"])
def test_injected_run_name_never_reaches_the_shell(make_dir, root, target):
    witness = make_dir / "injected"
    config = (root / "config/demo.yaml").read_text().replace("run: demo", f"run: 'x; touch {witness}; echo'")
    (make_dir / "bad.yaml").write_text(config)
    proc = _make(make_dir, target, "CONFIG=bad.yaml")
    assert proc.returncode != 0
    assert not witness.exists()
    assert "Invalid configuration" in proc.stderr and "key 'run'" in proc.stderr
    assert "snakemake --configfile bad.yaml" not in proc.stdout  # the workflow command never ran


def test_report_targets_the_validated_run(make_dir, root):
    proc = _make(make_dir, "report", f"CONFIG={root / 'config/demo.yaml'}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("snakemake --configfile " + str(root / "config/demo.yaml") +
                                        " --report results/demo/report.html")


def _injections(variable: str, witness) -> list[str]:
    """Values of ``variable`` that would run ``touch witness`` if pasted into a command line: bare,
    and breaking out of single or double quotes (spaces as ${IFS} for the path variables)."""
    values = [f"x; touch {witness}", f"x'; touch {witness}; echo '", f'x"; touch {witness}; echo "',
              f"$(touch {witness})"]
    if variable in ("VENV", "PYTHON"):
        values = [v.replace(" ", "${IFS}") for v in values]
    return values


@pytest.mark.parametrize("variable", ["CONFIG", "PLAN_CONFIG", "PREFLIGHT_CONFIG", "PROFILE", "CORES", "VENV", "PYTHON"])
@pytest.mark.parametrize("target", ["demo", "plan", "preflight", "report", "paper", "install", "clean"])
def test_no_make_variable_reaches_the_shell_as_syntax(make_dir, variable, target):
    """Each user-set variable, set to shell syntax that would create a file, never runs it: the value
    reaches a command only as an environment variable, or make refuses it as a path."""
    witness = make_dir / "injected"
    for value in _injections(variable, witness):
        proc = subprocess.run(["make", "--no-print-directory", "SNAKEMAKE=echo snakemake", target,
                               f"{variable}={value.replace('$', '$$')}"],
                              cwd=make_dir, capture_output=True, text=True, timeout=120)
        assert not witness.exists(), (value, proc.stdout + proc.stderr)
        if variable in ("VENV", "PYTHON"):
            assert proc.returncode != 0 and f"{variable} " in proc.stderr
        if variable == "CORES" and target == "demo":
            assert proc.returncode != 0 and "CORES must be a whole number" in proc.stderr
