"""Shared fixtures: the repository root, the study configs (loaded, or written under another run
name), and the `snakemake` command."""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlpt import config as study_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@functools.cache
def _loaded(name: str) -> dict:
    """config/<name>, loaded and validated once per session (hand out copies only)."""
    return study_config.load(ROOT / "config" / name)


@pytest.fixture
def paper_config() -> dict:
    return copy.deepcopy(_loaded("paper.yaml"))


@pytest.fixture
def demo_config() -> dict:
    return copy.deepcopy(_loaded("demo.yaml"))


@pytest.fixture
def spontaneous_config() -> dict:
    """Study B's config/spontaneous.yaml."""
    return copy.deepcopy(_loaded("spontaneous.yaml"))


def config_for_run(source: str, run: str, directory: Path) -> str:
    """The config file ``source`` (relative to the repository root) under the run name ``run``,
    written into ``directory``; returns its path. Plans and runs of it neither depend on nor touch
    the results of ``source``'s own run (e.g. a user's results/demo)."""
    cfg = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
    cfg["run"] = run
    path = Path(directory) / Path(source).name
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(path)


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


def tiny_qwen_dir(directory: Path, texts: list[str], vocab_size: int, spec: dict) -> Path:
    """A tiny random-initialised Qwen3 under ``directory/model``, its tokenizer trained on ``texts``."""
    from mlpt import tiny

    tiny.build_lm_tokenizer(texts, vocab_size, directory / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", spec, directory / "tok", directory / "model", seed=0,
                         resources_dir=ROOT / "resources")
    return directory / "model"


def addition_record(i: int, split: str, lang: str, phrases: dict) -> dict:
    """A training record (schema ``train_record``) of a one-step addition problem, as the SFT
    tests train on: the prompt and response rendered with ``phrases`` in ``lang``."""
    from mlpt import prompts

    a, b = 3 + i % 7, 10 + i
    rec = {"id": f"sum-{i}", "lang": lang, "split": split, "question": f"Add {a} and {b}.",
           "reasoning": f"{a} + {b} = {a + b}.", "answer": str(a + b)}
    return {"id": rec["id"], "lang": lang, "split": split, "prompt": prompts.render_prompt("math", rec, phrases),
            "response": prompts.render_response("math", rec, phrases), "answer": rec["answer"]}
