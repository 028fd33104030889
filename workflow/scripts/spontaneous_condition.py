"""build_condition: the SFT file of one condition, the question-translation records of each of its
languages (see mlpt.spontaneous.sources.condition_records)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs
from mlpt.spontaneous import sources

logs.setup(snakemake)
records, manifest = sources.condition_records(dict(zip(snakemake.params.languages, snakemake.input)))
io.write_jsonl(snakemake.output.records, records, schema="train_record")
io.write_json(snakemake.output.manifest, manifest)
