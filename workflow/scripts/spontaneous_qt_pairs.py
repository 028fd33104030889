"""build_qt_pairs: one language's question-translation SFT records, test items kept out (see
mlpt.spontaneous.sources.qt_records)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable without an install)

from mlpt import io, logs
from mlpt.spontaneous import prompts, sources

logs.setup(snakemake)
p, wc = snakemake.params, snakemake.wildcards
records, report = sources.qt_records(
    wc.task, wc.lang, english_file=snakemake.input.data, test_file=snakemake.input.tests,
    spec=prompts.load_prompt_spec(snakemake.input.prompts), n_pairs=p.n_pairs, language_file=p.language_file,
    reference_pairs=p.reference_pairs, seed=p.seed,
)
io.write_jsonl(snakemake.output.records, records, schema="train_record")
io.write_json(snakemake.output.report, report)
