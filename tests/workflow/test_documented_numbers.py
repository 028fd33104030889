"""The job counts quoted in README.md and docs/ are what the workflow plans today.

Each claim is found in its document by a pattern (so a reworded sentence fails here, not silently)
and compared with a dry run of the config it describes, under a fresh run name so a user's results
do not change the plan. The demo time quoted in the README was measured for a number of jobs; when
the demo's job count changes, this fails until the time is measured again.
"""
import re

import pytest

from conftest import ROOT, config_for_run, job_counts, run_snakemake

pytestmark = pytest.mark.workflow

#: (document, pattern whose group 1 is the quoted number, config, rule or "total")
CLAIMS = [
    ("README.md", r"`make demo` runs (\d+) jobs", "config/demo.yaml", "total"),
    ("README.md", r"(\d+) supervised\s+fine-tuning runs", "config/paper.yaml", "sft"),
    ("docs/study-b.md", r"make demo-spontaneous .*?(\d+) jobs\)", "config/spontaneous-demo.yaml", "total"),
    ("docs/study-b.md", r"`snakemake -n`: (\d+) jobs", "config/spontaneous.yaml", "total"),
    ("docs/study-b.md", r"(\d+) evaluations, \d+ LoRA runs", "config/spontaneous.yaml", "sp_evaluate"),
    ("docs/study-b.md", r"\d+ evaluations, (\d+) LoRA runs", "config/spontaneous.yaml", "sft"),
    ("docs/status.md", r"planned \((\d+) evaluations,\s+\d+ LoRA", "config/spontaneous.yaml", "sp_evaluate"),
    ("docs/status.md", r"planned \(\d+ evaluations,\s+(\d+) LoRA", "config/spontaneous.yaml", "sft"),
    ("docs/fidelity.md", r"(\d+) evaluations", "config/paper.yaml", "evaluate"),
]


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, dict[str, int]]:
    directory = tmp_path_factory.mktemp("plans")
    counts = {}
    for config in sorted({c for _, _, c, _ in CLAIMS}):
        fresh = config_for_run(config, "test-documented-" + config.split("/")[-1].removesuffix(".yaml"), directory)
        counts[config] = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", fresh).stdout)
    return counts


@pytest.mark.parametrize("doc, pattern, config, rule", CLAIMS, ids=lambda v: str(v)[:40])
def test_a_quoted_job_count_is_the_plans(plans, doc, pattern, config, rule):
    found = re.search(pattern, (ROOT / doc).read_text(encoding="utf-8"), re.S)
    assert found, f"{doc}: no sentence matches {pattern!r} (reworded? update this test's CLAIMS)"
    assert int(found.group(1)) == plans[config][rule], (
        f"{doc} says {found.group(0)!r}, but `snakemake -n --configfile {config}` plans "
        f"{plans[config][rule]} ({rule})")
