"""The artifact is citable from one source: CITATION.cff validates against the CFF 1.2.0 schema
(cffconvert 2.0.0), the README's BibTeX is what ``python -m mlpt.citation`` prints from it, and
.zenodo.json carries the same title, version, date, creators and license.

cffconvert 2.0.0 needs jsonschema<4, which the project's venv cannot hold, so it is installed once
into a venv of its own under ``$MLPT_TOOLS_CACHE`` (default ``~/.cache/mlpt/tools``), in
``cffconvert-2.0.0``; the test skips, saying why, when pip cannot reach the package registry.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mlpt
from mlpt import citation

from conftest import ROOT

CFFCONVERT = "cffconvert==2.0.0"
#: pip output that means the registry could not be reached (offline, no DNS, proxy refused)
UNREACHABLE = ("NewConnectionError", "Temporary failure in name resolution", "Max retries exceeded",
               "ConnectionError", "ProxyError", "Network is unreachable", "No matching distribution found",
               "Could not find a version that satisfies")


@pytest.fixture(scope="module")
def cff() -> dict:
    return citation.load(ROOT / "CITATION.cff")


def _tools_dir() -> Path:
    base = os.environ.get("MLPT_TOOLS_CACHE") or Path.home() / ".cache" / "mlpt" / "tools"
    return Path(base) / "cffconvert-2.0.0"


def _cffconvert() -> Path:
    """The cffconvert 2.0.0 executable of the cached tool venv, built on first use (under a lock,
    marked complete only once pip succeeded, so an interrupted build is redone)."""
    venv = _tools_dir()
    exe, done = venv / "bin" / "cffconvert", venv / ".complete"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / "cffconvert-2.0.0.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists() and exe.exists():
            return exe
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", CFFCONVERT],
                             capture_output=True, text=True, timeout=600)
        if pip.returncode != 0:
            output = pip.stdout + pip.stderr
            shutil.rmtree(venv, ignore_errors=True)
            if any(marker in output for marker in UNREACHABLE):
                pytest.skip(f"pip could not install {CFFCONVERT} (package registry unreachable): {output.strip()[-300:]}")
            pytest.fail(f"pip install {CFFCONVERT} failed:\n{output[-2000:]}")
        done.write_text(CFFCONVERT + "\n")
        return exe


def test_cffconvert_validates_citation_cff():
    proc = subprocess.run([str(_cffconvert()), "--validate", "-i", str(ROOT / "CITATION.cff")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"cffconvert --validate:\n{proc.stdout}\n{proc.stderr}"
    assert "valid" in (proc.stdout + proc.stderr).lower()


def test_the_readme_bibtex_is_what_the_generator_prints(cff):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = citation.readme_bibtex(readme)
    assert readme[start:end] == citation.bibtex(cff), (
        "README.md's '## Citing' BibTeX differs from CITATION.cff: run `.venv/bin/python -m mlpt.citation --update-readme`")


def test_the_command_line_prints_the_same_entries(cff):
    proc = subprocess.run([sys.executable, "-m", "mlpt.citation"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == citation.bibtex(cff)


def test_a_commit_is_cited_in_the_software_entry_only(cff):
    commit = "0123456789abcdef0123456789abcdef01234567"
    entries = citation.bibtex(cff, commit).split("\n@")
    assert f"note    = {{Git commit {commit}}}" in entries[0]
    assert all(commit not in e for e in entries[1:])
    with pytest.raises(ValueError, match="commit hash"):
        citation.bibtex(cff, "HEAD; rm")


def test_version_title_and_license_agree_everywhere(cff):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert str(cff["version"]) == project["version"] == mlpt.__version__
    assert cff["license"] == project["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]
    assert cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert "preferred-citation" not in cff, "the root (the artifact, as software) is what the CFF asks to cite"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = citation.readme_bibtex(readme)
    assert f"title   = {{{cff['title']}}}" in readme[start:end]


def test_zenodo_json_carries_the_cff_metadata(cff):
    meta = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert meta["title"] == cff["title"]
    assert meta["version"] == str(cff["version"])
    assert meta["publication_date"] == str(cff["date-released"])
    assert meta["license"] == cff["license"]
    assert [c["name"] for c in meta["creators"]] == [a["name"] if "name" in a else f"{a['family-names']}, {a['given-names']}"
                                                     for a in cff["authors"]]
    assert meta["upload_type"] == "software"
    assert meta == citation.zenodo(cff), "regenerate: `.venv/bin/python -m mlpt.citation --zenodo > .zenodo.json`"


def test_both_studies_are_referenced_with_full_author_lists(cff):
    refs = {r["title"]: r for r in cff["references"]}
    a = refs["English is Not All You Need: Systematically Exploring the Role of Multilinguality in LLM Post-Training"]
    b = refs["Getting More from Less: Large Language Models are Good Spontaneous Multilingual Learners"]
    for ref in (a, b):
        assert all(p.get("given-names") and p.get("family-names") for p in ref["authors"])
        # a CFF reference is an article in a journal or a paper at a conference, never both
        assert ("journal" in ref) == (ref["type"] == "article") and ("conference" in ref) == (ref["type"] == "conference-paper")
    assert [p["family-names"] for p in a["authors"]] == ["Dhaliwal", "Chaurasia", "Qin", "Hong", "Butler"]
    assert len(b["authors"]) == 9 and b["authors"][0]["family-names"] == "Zhang"
    assert (b["start"], b["end"], b["url"]) == (8037, 8051, "https://aclanthology.org/2024.emnlp-main.457")


def test_cffconvert_rejects_a_broken_cff(tmp_path):
    broken = tmp_path / "CITATION.cff"
    broken.write_text('cff-version: 1.2.0\nmessage: "m"\ntitle: "t"\nauthors: []\ndate-released: 2026-13-01\n')
    proc = subprocess.run([str(_cffconvert()), "--validate", "-i", str(broken)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
