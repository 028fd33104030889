"""The Hugging Face Hub: training data read where the Hub can be reached.

A Hub dataset (:class:`HubDataset`) is read at a pinned or resolved commit that the report names
(``report["hub"]``). A file without a column the adapter reads is a :class:`SourceError` naming
the column; a Hub that cannot be reached is one saying where to run instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .common import SourceError


@dataclass(frozen=True)
class HubDataset:
    """Files of a dataset repository on the Hugging Face Hub.

    ``revision`` is read unless the config pins another (``hub.revisions``); a branch, tag or short
    commit is resolved to its full commit first, so the report names the exact commit read.
    ``columns`` are the fields the adapter reads: a file without one of them is an error naming it.
    Small files are read with ``datasets.load_dataset`` (:func:`hub_files`), a large one is
    downloaded and streamed (:func:`hub_download`, :func:`mlpt.data.stream.iter_json_rows`)."""

    repo: str
    revision: str
    data_files: tuple[str, ...]
    columns: tuple[str, ...]


def _commit(hub: HubDataset, revision: str) -> str:
    """The commit ``revision`` (a commit, short commit, branch or tag) of ``hub.repo`` names."""
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    from huggingface_hub import HfApi

    try:
        return HfApi().dataset_info(hub.repo, revision=revision).sha
    except Exception as err:  # the Hub client's network and HTTP errors share no base class
        raise SourceError(_unreachable(hub.repo, err)) from err


def _unreachable(repo: str, err: Exception) -> str:
    return (f"hf://datasets/{repo}: could not be read ({type(err).__name__}: {err}). This source reads the Hugging "
            "Face Hub: run Snakemake where the Hub can be reached (prepare_data runs there, as a local rule), or use "
            "the shipped sources (config/paper-offline.yaml)")


def _resolve(hub: HubDataset, spec: dict, report: dict) -> str:
    """The commit of ``hub`` to read (the configured revision, else the adapter's own), recorded
    with the repository, revision and files in ``report["hub"]``."""
    revision = spec.get("hub_revision") or hub.revision
    commit = _commit(hub, revision)
    report["hub"] = {"repo": hub.repo, "revision": revision, "commit": commit, "data_files": list(hub.data_files)}
    return commit


def hub_files(hub: HubDataset, spec: dict, report: dict) -> list[tuple[str, object]]:
    """(``hf://`` address, rows) of every data file of ``hub`` at the configured revision, each read
    whole with ``datasets`` (for small files); what was read goes into ``report["hub"]``."""
    import datasets

    commit = _resolve(hub, spec, report)
    files = []
    for data_file in hub.data_files:
        where = f"hf://datasets/{hub.repo}@{commit}/{data_file}"
        try:
            rows = datasets.load_dataset(hub.repo, data_files=data_file, revision=commit, split="train")
        except Exception as err:  # as in _commit
            raise SourceError(_unreachable(hub.repo, err)) from err
        missing = [c for c in hub.columns if c not in rows.column_names]
        if missing:
            raise SourceError(f"{where}: column(s) {missing} missing (the file has {rows.column_names}); "
                              "the adapter reads the schema documented in mlpt.data")
        if not len(rows):
            raise SourceError(f"{where}: no items in the file")
        files.append((where, rows))
    return files


def hub_download(hub: HubDataset, data_file: str, spec: dict, report: dict) -> tuple[Path, str]:
    """(local path, ``hf://`` address) of one data file of ``hub`` at the configured revision: the
    file is downloaded into the Hugging Face cache once (not converted, not loaded) and read from
    there by the caller; what was read goes into ``report["hub"]``."""
    import huggingface_hub

    commit = _resolve(hub, spec, report)
    try:
        path = huggingface_hub.hf_hub_download(hub.repo, data_file, repo_type="dataset", revision=commit)
    except Exception as err:  # as in _commit
        raise SourceError(_unreachable(hub.repo, err)) from err
    return Path(path), f"hf://datasets/{hub.repo}@{commit}/{data_file}"
