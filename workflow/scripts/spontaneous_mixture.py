"""build_mixture: the SFT file of one mixture, the question-translation records of each of its sets
of pairs (see mlpt.spontaneous.sources.mixture_records)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import io, logs, rule_inputs
from mlpt.spontaneous import sources

logs.setup(snakemake)
files = {name: path for (name,), path in rule_inputs.by_key(snakemake.input.items(), prefix="qt").items()}
records, manifest = sources.mixture_records(files, snakemake.params.languages)
io.write_jsonl(snakemake.output.records, records, schema="train_record")
io.write_json(snakemake.output.manifest, manifest)
