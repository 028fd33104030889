"""fetch_reference: the authors' files one task reads, from their repository at the pinned commit,
each checked against its SHA-256 or git blob id, their SHA-256s written to the folder's fetched.json
(see mlpt.spontaneous.sources.fetch_reference); runs where Snakemake runs (a local rule), the one job
of study B that reaches GitHub."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import logging

from mlpt import logs
from mlpt.spontaneous import sources

logs.setup(snakemake)
p = snakemake.params
report = sources.fetch_reference(p.files, snakemake.output[0], repo=p.repo, commit=p.commit)
logging.info("%s", report)
