"""measure_mt_quality: chrF/BLEU of each task's MT backend against human translations (see mlpt.translate).

Each task is measured with its own backend and model, into one table (the tasks' rows in order)."""

import _bootstrap  # noqa: F401  (makes src/mlpt importable; hands the job to the warm worker when on)

import tempfile
from pathlib import Path

from mlpt import io, logs, rule_inputs, translate

logs.setup(snakemake)
p = snakemake.params
data = rule_inputs.by_key(snakemake.input.items(), prefix="data")
references = rule_inputs.by_key(snakemake.input.items(), prefix="references")
with tempfile.TemporaryDirectory() as tmp:
    parts = []
    for task in p.tasks:
        parts.append(Path(tmp) / f"{task}.csv")
        translate.measure_quality(
            {task: (data[(task,)], references[(task,)])}, parts[-1], src=p.src, backend=p.backends[task],
            codes=p.codes, mt_model=p.mt_models[task], languages=p.languages,
        )
    with io.atomic_path(snakemake.output[0]) as fh:
        for i, part in enumerate(parts):
            lines = part.read_text(encoding="utf-8").splitlines(keepends=True)
            fh.writelines(lines if i == 0 else lines[1:])  # one header
