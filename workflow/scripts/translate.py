"""translate: every needed split of one task in one language, or in every language of the task in
turn (translation.one_process_per; see mlpt.translate)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, translate

logs.setup(snakemake)
p = snakemake.params
declared = set(snakemake.output.records) | set(snakemake.output.qc)
for run in p.runs:
    if not {run["records"], run["qc"]} <= declared:
        raise RuntimeError(f"translate: {run['records']} is not an output of this job (rule and params disagree)")
    translate.run(
        snakemake.input.data, snakemake.input.references, run["records"], run["qc"],
        task_kind=p.kind, src=p.src, tgt=run["lang"], splits=run["splits"], backend=p.backend,
        codes=p.codes, mt_model=p.mt_model, languages=p.languages, work_dir=run["work_dir"], seed=p.seed,
    )
