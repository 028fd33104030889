"""Reading and writing the pipeline's files: validated JSON Lines, atomic writes, provenance.

Every intermediate record type has a JSON schema in ``schemas/``. Records are validated when
written and when read, and a bad record fails with the file, the line and the field. Files are
written to a temporary name and renamed, so a killed job never leaves a half-written file that
looks complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import jsonschema

from .schema import load_schema
from .yaml_files import safe_load_yaml


_UMASK = os.umask(0)
os.umask(_UMASK)


class RecordError(ValueError):
    """A malformed record: names the file, line and field."""


@lru_cache(maxsize=None)
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema(schema_name))


def check_record(record: dict, schema: str, where: str) -> None:
    errors = list(_validator(schema).iter_errors(record))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        field = "/".join(str(p) for p in err.absolute_path) or "<record>"
        raise RecordError(f"{where}: field '{field}': {err.message}")


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: str = "w"):
    """Yield a temporary file handle in the target folder; rename onto ``path`` on success only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_jsonl(path: str | Path, records: Iterable[dict], schema: str | None = None) -> int:
    n = 0
    with atomic_path(path) as fh:
        for n, record in enumerate(records, start=1):
            if schema:
                check_record(record, schema, f"{path}: record {n}")
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def json_object(line: str, where: str, error: type[ValueError] = RecordError) -> dict:
    """One line of a JSON Lines file as an object; anything else raises ``error`` naming ``where``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise error(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(obj, dict):
        raise error(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def read_jsonl(path: str | Path, schema: str | None = None) -> Iterator[dict]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            record = json_object(line, f"{path}:{lineno}")
            if schema:
                check_record(record, schema, f"{path}:{lineno}")
            yield record


def texts(paths: Iterable[str | Path], fields: Iterable[str]) -> list[str]:
    """Every value of ``fields`` in the records of ``paths`` (text to train tokenizers on)."""
    fields = tuple(fields)
    return [rec[f] for p in paths for rec in read_jsonl(p) for f in fields if f in rec]


def write_json(path: str | Path, obj) -> None:
    with atomic_path(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        fh.write("\n")


def read_yaml(path: str | Path):
    with open(path, encoding="utf-8") as fh:
        return safe_load_yaml(fh)


def read_json(path: str | Path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ChecksumError(ValueError):
    """A file read by the pipeline differs from, or is missing in, its checksum list."""


def verify_checksums(sums_file: str | Path, files) -> None:
    """Every one of ``files`` must be listed in ``sums_file`` (``<sha256>  <path>`` lines, paths
    relative to the list's folder, as ``sha256sum`` writes them) with its current SHA-256.

    Raises :class:`ChecksumError` naming the file: an altered file, or a file that is read but not
    listed (a list that skips files would pass them unchecked)."""
    sums_file = Path(sums_file)
    base = sums_file.parent
    if not sums_file.is_file():
        raise ChecksumError(f"{sums_file}: not found; it lists the checksums of the files read from {base}")
    expected = {}
    for lineno, line in enumerate(sums_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        if len(digest) != 64 or not name.strip():
            raise ChecksumError(f"{sums_file}:{lineno}: expected '<sha256>  <path>', got {line!r:.80}")
        expected[name.strip().lstrip("*")] = digest
    for path in map(Path, files):
        try:
            name = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            raise ChecksumError(f"{path}: read, but outside {base}, the folder {sums_file} covers") from None
        if name not in expected:
            raise ChecksumError(f"{path}: read, but not listed in {sums_file}; add it "
                                f"(cd {base} && sha256sum {name} >> {sums_file.name}) or turn verify_checksums off")
        if file_sha256(path) != expected[name]:
            raise ChecksumError(f"{path}: SHA-256 differs from {sums_file}: the file was changed (restore it, or "
                                "update the list and turn verify_checksums off for a deliberate edit)")


def content_hash(obj) -> str:
    """Stable hash of a JSON-serialisable object (config slices, record lists)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


PACKAGES = ("mlpt", "torch", "transformers", "tokenizers", "peft", "accelerate", "datasets", "lm_eval", "snakemake")


def provenance(params: dict | None = None, inputs: Iterable[str | Path] = (), seed: int | None = None) -> dict:
    """What produced an output: parameter hash, input hashes (files), package versions, seed."""
    versions = {}
    for pkg in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[pkg] = metadata.version(pkg)
    files = {}
    for p in inputs:
        p = Path(p)
        if p.is_file():
            files[str(p)] = file_sha256(p)
    return {"params_hash": content_hash(params or {}), "inputs": files, "versions": versions, "seed": seed}
