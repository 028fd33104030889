"""collect_results (study B): one row per model x task x mixture x language, with Wilson
intervals, and the held-out question-translation loss of every checkpoint (see
mlpt.spontaneous.results.collect and qt_validation)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import io, logs, rule_inputs
from mlpt.spontaneous import results

logs.setup(snakemake)
p = snakemake.params
runs = rule_inputs.by_key(snakemake.input.items())  # {(model, task, mixture): eval summary}
for path, table in ((snakemake.output.accuracy, results.collect(runs, p.models, p.languages, p.mixture_languages)),
                    (snakemake.output.qt, results.qt_validation(runs, p.mixture_directions, p.pretrained, p.pivot,
                                                                p.qt_origins))):
    with io.atomic_path(path) as fh:
        table.to_csv(fh, index=False)
