"""prepare_data (study B): one task's English test items and training questions, training
questions equal to a test item left out (see mlpt.spontaneous.sources.english_records); the report
also says where the question-translation pairs of every mixture of the task come from (the authors'
files or machine translation: mlpt.spontaneous.study.qt_provenance)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import io, logs
from mlpt.spontaneous import sources

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
records, report = sources.english_records(
    wc.task, p.spec["source"], ref_dir=p.reference, resources=p.resources, n_train=p.spec["qt_pairs_per_language"],
    n_test=p.spec["n_test"],
)
io.write_jsonl(snakemake.output.data, records)
io.write_json(snakemake.output.report, dict(report, question_translation=p.question_translation,
                                            provenance=io.provenance(p.spec, [], p.seed)))
