"""prepare_data: raw data of one task -> normalised English records, existing translations
(references) and the test-item guard (see mlpt.data)."""

import os

if "hub_revision" in snakemake.params.spec:
    # A Hub source (its spec pins a revision): the Hub is switched off for jobs (_bootstrap), and this
    # one reads its training data there (a local rule then, like download_model). Set before
    # datasets and huggingface_hub are imported, here or in a warm worker of their own.
    os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "0"

import _bootstrap  # noqa: E402,F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import data, io, logs  # noqa: E402

logs.setup(snakemake)
p = snakemake.params
prepared = data.prepare(p.spec["source"], p.resources, snakemake.wildcards.task, p.spec, p.languages, p.source_lang, p.seed,
                        verify_checksums=p.verify_checksums)
io.write_jsonl(snakemake.output.data, prepared.records, schema="example")
io.write_jsonl(snakemake.output.references, prepared.references, schema="example")
io.write_json(snakemake.output.guard, {
    "ids": sorted({r["id"] for r in prepared.records + prepared.references if r["split"] == "test"}),
    "hashes": sorted(prepared.forbidden),
})
io.write_json(snakemake.output.report, dict(prepared.report, provenance=io.provenance(p.spec, snakemake.input, p.seed)))
