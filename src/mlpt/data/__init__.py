"""Source adapters: raw data → normalised English records (and existing translations).

Each adapter (:data:`SOURCES`, one module each) reads its files under ``resources/`` and returns a
:class:`Prepared`:

- ``records``: source-language records of every split (train, val, test), schema ``example``;
- ``references``: existing translations of the same items, aligned by item id: MGSM's human
  translations for the math test split, and with ``mcot_math`` the dataset's own translations of
  the training items; the translation stage uses them instead of MT;
- ``forbidden``: normalised-text hashes of every test item the study must never train on
  (the contamination guard in the mixture stage checks against them);
- ``report``: counts of what was read, dropped and why, and ``test_sets``: per language whether
  its test set is ``human`` or ``machine-translated`` (:func:`origin_of_test_sets`).

Before an adapter runs, every file it reads that ``resources/SHA256SUMS`` lists is checked
against its checksum (``verify_checksums=False`` for a deliberate edit of the shipped data). Bad
input is a :class:`SourceError` naming the file, the line (or item) and the field.

Modules:

- :mod:`.gsm8k_mgsm`: ``gsm8k_mgsm`` (GSM8K training items; the MGSM test split both math sources use);
- :mod:`.mcot_math`: ``mcot_math`` (mCoT-MATH from the Hub, with its own translations);
- :mod:`.api_bank`: ``api_bank`` (shipped level-3 training calls) and ``api_bank_hub`` (the
  paper's level-1/2 calls from the Hub), one level-1 test set;
- :mod:`.control`: ``synthetic_arithmetic`` (the positive control);
- :mod:`.hub`: Hugging Face Hub access (:class:`HubDataset`) for the Hub sources, whose test sets and
  guard stay the shipped files;
- :mod:`.stream`: large JSON files read as a stream (:func:`iter_json_rows`);
- :mod:`.common`: :class:`Prepared`, :class:`SourceError`, the text hash, readers of shipped files,
  checksums, the split of a training pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import common
from .api_bank import (API_BANK_TRAIN, PAPER_API_POOL, api_date_line, files_api_bank, files_api_bank_hub,
                       prepare_api_bank, prepare_api_bank_hub)
from .common import (CALC_ANNOTATION, CHECKSUMS_FILE, HUMAN, MACHINE_TRANSLATED, Prepared, SourceError,
                     normalise_text, strip_calculator_annotations, text_hash)
from .control import control_languages, files_synthetic_arithmetic, prepare_synthetic_arithmetic
from .gsm8k_mgsm import files_gsm8k_mgsm, mgsm_languages, prepare_gsm8k_mgsm
from .hub import HubDataset
from .mcot_math import MCOT_MATH, MCOT_MATH_LANGUAGES, files_mcot_math, prepare_mcot_math
from .stream import iter_json_rows

__all__ = [
    "API_BANK_TRAIN", "CALC_ANNOTATION", "CHECKSUMS_FILE", "HUMAN", "MACHINE_TRANSLATED", "MCOT_MATH",
    "MCOT_MATH_LANGUAGES", "PAPER_API_POOL", "POOL_SOURCES", "SOURCES", "HubDataset", "Prepared", "Source",
    "SourceError", "api_date_line", "hub_dataset", "iter_json_rows", "mgsm_languages", "normalise_text",
    "origin_of_test_sets", "prepare", "source_files", "strip_calculator_annotations", "text_hash",
]


def _no_human_tests(resources: Path, languages: list[str]) -> list[str]:
    return []


@dataclass(frozen=True)
class Source:
    """A data adapter: the shipped files it reads (checksummed before it runs), the function that
    prepares the task, the Hub dataset it reads its training data from (None: shipped data only),
    and the languages whose test items it supplies in a human version, as records or references
    (the others' test sets are machine-translated; :func:`origin_of_test_sets`)."""

    files: Callable[[Path, list[str]], list[Path]]
    prepare: Callable[..., Prepared]
    hub: HubDataset | None = None
    human_tests: Callable[[Path, list[str]], list[str]] = _no_human_tests


SOURCES = {
    "gsm8k_mgsm": Source(files_gsm8k_mgsm, prepare_gsm8k_mgsm, human_tests=mgsm_languages),
    "mcot_math": Source(files_mcot_math, prepare_mcot_math, MCOT_MATH, human_tests=mgsm_languages),
    "api_bank": Source(files_api_bank, prepare_api_bank),
    "api_bank_hub": Source(files_api_bank_hub, prepare_api_bank_hub, API_BANK_TRAIN),
    "synthetic_arithmetic": Source(files_synthetic_arithmetic, prepare_synthetic_arithmetic,
                                   human_tests=control_languages),
}


#: The sources whose training pool ``expect_pool`` can check (queries over distinct APIs).
POOL_SOURCES = {"api_bank", "api_bank_hub"}


def source_files(source: str, resources: str | Path, languages: list[str]) -> list[str]:
    return [str(p) for p in SOURCES[source].files(Path(resources), languages)]


def hub_dataset(source: str) -> HubDataset | None:
    """The Hub dataset ``source`` reads (prepare_data must then run where the Hub can be reached)."""
    return SOURCES[source].hub


def origin_of_test_sets(source: str, resources: str | Path, languages: list[str], source_lang: str) -> dict[str, str]:
    """Where each language's test set comes from, known before any job runs: :data:`HUMAN` for the
    source language's own items and for a human translation the adapter supplies as a reference
    (MGSM's files), :data:`MACHINE_TRANSLATED` for a language without one, whose test items the
    translate stage machine-translates from the source language with the task's MT backend
    (records ``source: mt:<src>-><lang>``; test records are never dropped by QC)."""
    human = set(SOURCES[source].human_tests(Path(resources), languages))
    return {lang: HUMAN if lang == source_lang or lang in human else MACHINE_TRANSLATED for lang in languages}


def _check_test_origins(prepared: Prepared, source: str, resources: Path, languages: list[str],
                        source_lang: str) -> dict[str, str]:
    """:func:`origin_of_test_sets`, checked against what the adapter wrote: the languages it calls
    human must be exactly those with test references (the workflow flags test sets from the same
    function before the data exist, so the two must never disagree)."""
    origins = origin_of_test_sets(source, resources, languages, source_lang)
    referenced = {r["lang"] for r in prepared.references if r["split"] == "test"}
    declared = {lang for lang, origin in origins.items() if origin == HUMAN and lang != source_lang}
    if referenced != declared:
        raise RuntimeError(f"source '{source}': human test sets declared for {sorted(declared)}, but the adapter "
                           f"wrote test references for {sorted(referenced)}")
    return origins


def prepare(source: str, resources: str | Path, task: str, spec: dict, languages: list[str], source_lang: str, seed: int,
            verify_checksums: bool = True) -> Prepared:
    """Read the files of ``source`` under ``resources`` (checksums verified unless told otherwise).

    ``spec``: the task's config (``n_train``, ``n_val``, ``n_test``; ``strip_calculator_annotations``;
    ``expect_pool`` for an API-Bank source) and, for a Hub source, ``hub_revision`` (the config's
    ``hub.revisions`` entry of its repository, if any)."""
    resources = Path(resources)
    if spec.get("expect_pool") is not None and source not in POOL_SOURCES:
        raise SourceError(f"tasks.{task}.expect_pool: only the API-Bank sources {sorted(POOL_SOURCES)} have a pool of "
                          f"queries over APIs to check; source '{source}' has none")
    files = [Path(p) for p in source_files(source, resources, languages)]
    for path in files:
        if not path.exists():
            raise SourceError(f"source '{source}' needs {path}, which does not exist")
    if verify_checksums:
        common.verify_checksums(resources, files)
    prepared = SOURCES[source].prepare(resources, task, spec, languages, source_lang, seed)
    prepared.report["test_sets"] = _check_test_origins(prepared, source, resources, languages, source_lang)
    if spec.get("strip_calculator_annotations"):
        prepared.report["calculator_annotations_stripped"] = strip_calculator_annotations(
            prepared.records + prepared.references)
    return prepared
