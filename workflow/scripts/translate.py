"""translate: every needed split of one task in one language, or in every language of the task in
turn (translation.one_process_per; see mlpt.translate)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import logs, rule_inputs, translate

logs.setup(snakemake)
p = snakemake.params
rule_inputs.check_outputs("translate", p.runs, ("records", "qc"), snakemake.output)
for run in p.runs:
    translate.run(
        snakemake.input.data, snakemake.input.references, run["records"], run["qc"],
        task_kind=p.kind, src=p.src, tgt=run["lang"], splits=run["splits"], backend=p.backend,
        codes=p.codes, mt_model=p.mt_model, languages=p.languages, work_dir=run["work_dir"], seed=p.seed,
    )
