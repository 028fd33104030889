"""download_model: one Hugging Face model into hub.download_dir (see mlpt.hub); runs where Snakemake runs."""

import os

os.environ["HF_HUB_OFFLINE"] = "0"  # the one job that may reach the Hub (set before huggingface_hub is imported)

import _bootstrap  # noqa: E402,F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import hub, io, logs  # noqa: E402

logs.setup(snakemake)
p = snakemake.params
if p.chat_template and p.checksums:  # the template written into the model, as resources/models/SHA256SUMS lists it
    io.verify_checksums(p.checksums, [p.chat_template])
hub.download(p.hub_id, snakemake.output[0], revision=p.revision, chat_template=p.chat_template)
