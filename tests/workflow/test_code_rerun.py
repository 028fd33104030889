"""A change to the package code a job runs reruns that job, and only it: every rule passes the hash
of its script and the mlpt modules the script reaches as a param (mlpt.code_version)."""

import re
import shutil
import subprocess
import sys

import pytest

from mlpt import paths

pytestmark = pytest.mark.workflow
RUN = "test-code-rerun"


@pytest.fixture(scope="module")
def repo(root, tmp_path_factory):
    """A copy of the workflow and the package (their files may be edited) with two small outputs
    built: the control task's prepared data (prepare_data) and Table 1 (make_table1_languages)."""
    work = tmp_path_factory.mktemp("coderun")
    for name in ("Snakefile", "workflow", "src", "resources", "config", "envs"):
        (shutil.copytree if (root / name).is_dir() else shutil.copy)(root / name, work / name)
    text = (work / "config/demo.yaml").read_text(encoding="utf-8").replace("run: demo", f"run: {RUN}")
    (work / "config/demo.yaml").write_text(text, encoding="utf-8")
    _snakemake(work, "--cores", "1", *_targets())
    return work


def _targets():
    return [paths.path("data", RUN, task="control"), paths.path("table1", RUN)]


def _snakemake(work, *args):
    """snakemake on the copy, importing the copy's package (PYTHONPATH before the installed one)."""
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--configfile", "config/demo.yaml", *args], cwd=work,
                          capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "PYTHONPATH": str(work / "src")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _planned(work) -> dict[str, str]:
    """{rule: its rerun reason} of a dry run of the two targets."""
    text = _snakemake(work, "-n", *_targets())
    jobs = re.findall(r"^(?:local)?rule (\w+):\n(?:.*\n)*?\s+reason: (.*)$", text, re.M)
    return dict(jobs)


def _edit(work, module):
    with (work / "src/mlpt" / module).open("a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")


def test_nothing_to_do_without_a_change(repo):
    assert _planned(repo) == {}


def test_an_unrelated_module_reruns_nothing(repo):
    _edit(repo, "plan_cli.py")  # no workflow script imports it
    assert _planned(repo) == {}


def test_a_module_that_only_table1_reaches_reruns_only_table1(repo):
    _edit(repo, "analysis.py")  # make_table1_languages imports it; prepare_data does not
    planned = _planned(repo)
    assert set(planned) == {"make_table1_languages"}
    assert "Params have changed" in planned["make_table1_languages"]


def test_a_module_both_reach_reruns_both(repo):
    _edit(repo, "scoring.py")  # the data adapters and the analysis both import the scorer
    assert set(_planned(repo)) == {"prepare_data", "make_table1_languages"}
