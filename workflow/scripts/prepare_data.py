"""prepare_data: raw shipped data of one task -> normalised English records, human references
and the test-item guard (see mlpt.data)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import data, io, logs

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
