"""The HTML report (``snakemake --report``): every caption names the run and, for a run of tiny
random-initialised models, says so (rendered the way Snakemake renders a caption: Jinja2 with the
job's ``snakemake`` object, then reStructuredText); and every CSV table a study rule writes under
``tables/`` is in the report."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlpt import config as study_config
from mlpt import paths

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "workflow/report"
FRONT_PAGES = {"workflow.rst", "spontaneous.rst"}  # the report's front pages (rule `report:`), not captions
MT_CAPTIONS = {"translation_qc.rst", "translation_qc_flags.rst", "mt_quality.rst"}  # about the MT model


def _render(caption: Path, config: dict) -> str:
    """``caption`` as Snakemake renders it (snakemake.report.FileRecord.render), as HTML."""
    from docutils.core import publish_parts
    from jinja2 import Environment

    job = SimpleNamespace(config=config, output=[f"results/{config['run']}/tables/x.csv"], params={}, wildcards={})
    text = Environment(trim_blocks=True, lstrip_blocks=True).from_string(caption.read_text()).render(snakemake=job)
    return publish_parts(text, writer="html")["body"]


CAPTIONS = sorted(p.name for p in REPORT.glob("*.rst") if p.name not in FRONT_PAGES)


@pytest.mark.parametrize("name", CAPTIONS)
@pytest.mark.parametrize("config_file, tiny", [("demo.yaml", True), ("paper.yaml", False),
                                                ("spontaneous-demo.yaml", True), ("spontaneous.yaml", False)])
def test_every_caption_names_the_run_and_says_when_its_models_are_tiny(name, config_file, tiny):
    config = study_config.load(ROOT / "config" / config_file)
    text = re.sub(r"<[^>]+>", "", _render(REPORT / name, config))
    assert text.startswith(f"Run {config['run']}"), text[:200]
    note = "a tiny random-initialised MT model" if name in MT_CAPTIONS else "tiny random-initialised models, not the paper"
    assert (note in text.split("\n")[0]) == tiny


def test_every_table_of_study_a_is_in_the_report():
    """Every CSV under tables/ that a study A rule writes (docs/outputs.md: the paper's tables, the
    median and bilingual changes, the t-tests, the zero-shot cases, tables/control/, translation QC,
    MT quality, benchmarks) is an output wrapped in report(...)."""
    rules = "".join(p.read_text() for p in sorted((ROOT / "workflow/rules").glob("*.smk"))
                    if not p.name.startswith("spontaneous"))
    tables = [name for name, pattern in paths.PATTERNS.items()
              if pattern.startswith("tables/") and pattern.endswith(".csv") and f'out("{name}")' in rules]
    assert {"median_changes", "bilingual_changes", "ttests", "zs_cases", "control_median_changes",
            "control_bilingual_changes", "control_ttests", "control_zs_cases"} <= set(tables)
    missing = [name for name in tables if not re.search(rf'report\(\s*out\("{name}"\)', rules)]
    assert not missing, f"tables not in the report: {missing}"
