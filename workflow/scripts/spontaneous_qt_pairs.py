"""build_qt_pairs: the question-translation SFT records of one set of pairs (one direction, from the
authors' file or machine-translated questions; or one condition, from the authors' file of it),
test items kept out (see mlpt.spontaneous.sources.qt_records)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

from mlpt import io, logs, rule_inputs
from mlpt.spontaneous import prompts, sources

logs.setup(snakemake)
p, wc, named = snakemake.params, snakemake.wildcards, list(snakemake.input.items())
records, report = sources.qt_records(
    wc.task, p.directions, english_file=snakemake.input.data,
    test_files={lang: path for (lang,), path in rule_inputs.by_key(named, prefix="tests").items()},
    spec=prompts.load_prompt_spec(snakemake.input.prompts), n_pairs=p.n_pairs,
    question_files={lang: path for (lang,), path in rule_inputs.by_key(named, prefix="questions").items()},
    reference_pairs=p.reference_pairs, file_directions=p.file_directions, pivot=p.pivot, seed=p.seed,
    held_files={d: path for (d,), path in rule_inputs.by_key(named, prefix="held").items()},
)
io.write_jsonl(snakemake.output.records, records, schema="train_record")
io.write_json(snakemake.output.report, dict(report, qt=wc.qt))
