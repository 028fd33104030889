"""convert_registry_model: a GGUF checkpoint of the package registry into hub.download_dir as an
ordinary float32 Hugging Face checkpoint folder (see mlpt.gguf_models); runs where Snakemake runs."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import gguf_models, io, logs  # noqa: E402

logs.setup(snakemake)
if snakemake.params.chat_template and snakemake.params.checksums:  # as resources/models/SHA256SUMS lists it
    io.verify_checksums(snakemake.params.checksums, [snakemake.params.chat_template])
gguf_models.convert(snakemake.wildcards.artifact, snakemake.output[0], chat_template=snakemake.params.chat_template)
