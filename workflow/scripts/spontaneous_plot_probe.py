"""plot_logit_lens / plot_pca_language: one probe's outputs as a table and a figure labelled with
the run (see mlpt.spontaneous.results.PROBES)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import logs, rule_inputs
from mlpt.spontaneous import results

logs.setup(snakemake)
p, out = snakemake.params, snakemake.output
results.probe_outputs(p.kind, rule_inputs.by_key(snakemake.input.items()), p.models, out.table, out.pdf, out.png,
                      run=snakemake.config["run"])
