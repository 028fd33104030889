"""Shared fixtures: the repository root, the study configs, and the `snakemake` command."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from mlpt import config as study_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def _paper() -> dict:
    return study_config.load(ROOT / "config/paper.yaml")


@pytest.fixture(scope="session")
def _demo() -> dict:
    return study_config.load(ROOT / "config/demo.yaml")


@pytest.fixture
def paper_config(_paper) -> dict:
    return copy.deepcopy(_paper)


@pytest.fixture
def demo_config(_demo) -> dict:
    return copy.deepcopy(_demo)


def run_snakemake(*args: str, cwd: Path = ROOT, check: bool = True, timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run the venv's snakemake in the repo root; returns the completed process (text output)."""
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of `snakemake -n --quiet rules` (the same parser `make plan` uses)."""
    from mlpt.plan_cli import parse_job_stats

    return parse_job_stats(output)
