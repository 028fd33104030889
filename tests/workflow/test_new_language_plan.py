"""Adding a language without a human MGSM file (Korean, eval-only) to the demo: the workflow plans a
machine translation of its math test set, and Table 1 flags it.

The run happens in a temporary working directory (``snakemake -d``) holding the test config and a
copy of resources/ with Korean prompt phrases, so results/ and the shipped resources stay untouched."""

import json
import re
import shutil

import pandas as pd
import pytest
import yaml

from conftest import run_snakemake
from mlpt import paths

pytestmark = pytest.mark.workflow
RUN = "test-newlang"
KO = {"name": "Korean", "resource": "high", "role": "eval", "nllb": "kor_Hang"}
KO_PHRASES = {"step_by_step": "단계별로 생각해 봅시다.", "answer": "답은 {answer}입니다.",
              "answer_phrases": ["답은", "정답은", "답:"], "numbers": {"thousands": [","], "decimal": "."},
              "sentence_end": "latin", "bleu_tokenize": "13a",
              "family": "Koreanic", "subfamily": "Korean", "script": "Hangul"}


@pytest.fixture(scope="module")
def workdir(root, tmp_path_factory):
    """A working directory with the demo config plus Korean (run test-newlang) and a copy of the
    shipped resources that adds Korean's prompt phrases (no mgsm_ko.tsv, as shipped)."""
    work = tmp_path_factory.mktemp("newlang")
    shutil.copytree(root / "resources", work / "resources")
    phrases_file = work / "resources/prompts/phrases.yaml"
    phrases = yaml.safe_load(phrases_file.read_text(encoding="utf-8"))
    phrases["languages"]["ko"] = KO_PHRASES
    phrases_file.write_text(yaml.safe_dump(phrases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cfg = yaml.safe_load((root / "config/demo.yaml").read_text())
    cfg.update(run=RUN, resources_dir="resources")
    cfg["languages"]["ko"] = KO
    (work / "with-control.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
    del cfg["tasks"]["control"]  # the control task needs Korean templates (resources/control/templates.yaml)
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
    return work


def _snakemake(root, work, *args):
    return run_snakemake("-s", str(root / "Snakefile"), "-d", str(work), *args, "--configfile", str(work / "config.yaml"))


def _job(stdout: str, rule: str, wildcards: str) -> str:
    """The dry-run's description block of ``rule``'s job with ``wildcards``."""
    blocks = re.split(r"\n(?=\[[^\]]+\]\n)", stdout)
    (block,) = [b for b in blocks if re.search(rf"^(local)?rule {rule}:", b, re.M) and f"wildcards: {wildcards}\n" in b]
    return block


def _inputs(block: str) -> list[str]:
    return re.search(r"^\s+input: (.*)$", block, re.M).group(1).split(", ")


def test_dry_run_plans_a_machine_translated_korean_test_set(root, workdir):
    proc = _snakemake(root, workdir, paths.path("translated", RUN, task="math", lang="ko"), "-n")
    sources = _inputs(_job(proc.stdout, "prepare_data", "task=math"))
    assert "resources/mgsm/mgsm_en.tsv" in sources and "resources/mgsm/mgsm_es.tsv" in sources
    assert not [f for f in sources if "mgsm_ko" in f]
    translate = _inputs(_job(proc.stdout, "translate", "task=math, lang=ko"))
    assert paths.path("mt_model", RUN) in translate  # the task's MT backend (the demo's tiny seq2seq model)


def test_the_plan_says_on_the_console_that_koreans_math_test_set_is_machine_translated(root, workdir):
    proc = _snakemake(root, workdir, "-n")
    assert re.search(r"task 'math': no human test set for \['ko'\] .*machine-translated", proc.stdout + proc.stderr)


def test_a_language_without_control_templates_is_refused_when_the_workflow_is_planned(root, workdir):
    """Not after MT and training, when prepare_data of the control task would first read them."""
    proc = run_snakemake("-s", str(root / "Snakefile"), "-d", str(workdir), "-n", "--configfile",
                         str(workdir / "with-control.yaml"), check=False)
    assert proc.returncode != 0
    assert re.search(r"control/templates.yaml: field 'languages': no templates for languages \['ko'\]",
                     proc.stdout + proc.stderr)


def test_prepared_data_and_table1_flag_korean_as_machine_translated(root, workdir):
    """prepare_data writes MGSM's human test references for es but none for ko (so translate runs MT
    for ko's test split), and Table 1, built before any data exist, says the same."""
    references, report, table1 = (workdir / paths.path(name, RUN, task="math") for name in
                                  ("references", "data_report", "table1"))
    _snakemake(root, workdir, paths.path("references", RUN, task="math"), paths.path("table1", RUN), "--cores", "1")
    refs = [json.loads(line) for line in references.read_text(encoding="utf-8").splitlines()]
    test_langs = {r["lang"] for r in refs if r["split"] == "test"}
    assert "es" in test_langs and "ko" not in test_langs
    test_sets = json.loads(report.read_text(encoding="utf-8"))["test_sets"]
    assert test_sets["ko"] == "machine-translated" and test_sets["es"] == "human"
    table = pd.read_csv(table1).set_index("code")
    assert table.loc["ko", "test_set_math"] == "machine-translated"
    assert table.loc[["en", "es"], "test_set_math"].tolist() == ["human", "human"]
