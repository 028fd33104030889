"""prepare_data (study B): one task's English test items and training questions, training
questions equal to a test item left out (see mlpt.spontaneous.sources.english_records)."""

import os

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs
from mlpt.spontaneous import sources

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
if p.spec["source"] == "reference" and wc.task == "amazon":
    # Amazon's training questions are read from the Hugging Face Hub (a local rule, like download_model)
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "0"
records, report = sources.english_records(
    wc.task, p.spec["source"], ref_dir=p.reference, resources=p.resources, n_train=p.spec["qt_pairs_per_language"],
    n_test=p.spec["n_test"], seed=p.seed, hub_revision=p.hub_revision,
)
io.write_jsonl(snakemake.output.data, records)
io.write_json(snakemake.output.report, dict(report, provenance=io.provenance(p.spec, [], p.seed)))
