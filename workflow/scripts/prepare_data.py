"""prepare_data: raw data of one task -> normalised English records, existing translations
(references) and the test-item guard (see mlpt.data)."""

import os

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import data, io, logs

logs.setup(snakemake)
p = snakemake.params
if data.hub_dataset(p.spec["source"]) is not None:
    # The Hub is switched off for jobs (_bootstrap); this one reads its training data there (a
    # local rule then, like download_model). Set before datasets and huggingface_hub are imported.
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "0"
prepared = data.prepare(p.spec["source"], p.resources, snakemake.wildcards.task, p.spec, p.languages, p.source_lang, p.seed,
                        verify_checksums=p.verify_checksums)
io.write_jsonl(snakemake.output.data, prepared.records, schema="example")
io.write_jsonl(snakemake.output.references, prepared.references, schema="example")
io.write_json(snakemake.output.guard, {
    "ids": sorted({r["id"] for r in prepared.records + prepared.references if r["split"] == "test"}),
    "hashes": sorted(prepared.forbidden),
})
io.write_json(snakemake.output.report, dict(prepared.report, provenance=io.provenance(p.spec, snakemake.input, p.seed)))
