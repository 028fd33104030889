"""Study B's plans: every condition x model x task of config/spontaneous.yaml, what each job needs
downloaded, the demo's plan, lint, and a bad config stopping before any job."""

import pytest
import yaml

from conftest import job_counts, run_snakemake

pytestmark = pytest.mark.workflow
CONFIG = "config/spontaneous.yaml"


def test_study_b_plans_every_condition_model_and_task():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", CONFIG).stdout)
    # 11 conditions (base, 7 single languages, 3 pairs) x 5 models x 3 tasks
    assert counts["evaluate"] == 165
    assert counts["sft"] == 150 and counts["build_condition"] == 30  # every condition but base
    assert counts["build_qt_pairs"] == 21  # 7 question-translation languages x 3 tasks
    assert counts["translate"] == 57  # the test items of 19 languages besides English x 3 tasks
    assert counts["translate_questions"] == 16  # MT pairs: 7 languages for Amazon and PAWS, SNLI's hi and bn
    assert counts["fetch_reference"] == 3 and counts["prepare_data"] == 3
    assert counts["download_model"] == 6  # 5 base models + NLLB
    assert counts["probe_lens"] == 2 and counts["probe_pca"] == 2  # Qwen1.5-1.8B, base and zh
    for rule in ("collect_results", "plot_accuracy_by_condition", "plot_logit_lens", "plot_pca_language",
                 "plot_loss_curves", "all"):
        assert counts[rule] == 1, rule
    assert counts["total"] == 461
    assert "build_base_model" not in counts and "build_mt_model" not in counts  # hub models only


def test_the_authors_pairs_need_no_mt_and_the_others_do():
    zh = run_snakemake("results/spontaneous/sft/qwen15-14b/snli/zh/model", "-n", "--configfile", CONFIG).stdout
    assert job_counts(zh)["download_model"] == 1 and "output: hub-models/Qwen--Qwen1.5-14B" in zh
    assert "nllb" not in zh  # zh's SNLI pairs and every SNLI test set are the authors'
    hi = run_snakemake("results/spontaneous/qt/snli/hi.jsonl", "-n", "--configfile", CONFIG).stdout
    assert "output: hub-models/facebook--nllb-200-distilled-600M" in hi  # hi has no authors' file
    amazon = job_counts(run_snakemake("results/spontaneous/data/amazon/source.jsonl", "-n", "--quiet", "rules",
                                      "--configfile", CONFIG).stdout)
    assert amazon == {"fetch_reference": 1, "prepare_data": 1, "total": 2}


def test_each_figure_is_its_own_target():
    counts = job_counts(run_snakemake("results/spontaneous/figures/logit_lens.pdf", "-n", "--quiet", "rules",
                                      "--configfile", CONFIG).stdout)
    assert counts["plot_logit_lens"] == 1 and counts["probe_lens"] == 2 and "evaluate" not in counts
    assert "probe_pca" not in counts and "plot_accuracy_by_condition" not in counts


@pytest.fixture
def fresh_demo(tmp_path, root):
    cfg = yaml.safe_load((root / "config/spontaneous-demo.yaml").read_text())
    cfg["run"] = "test-spontaneous-dryrun"
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return str(path)


def test_demo_plan(fresh_demo):
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", fresh_demo).stdout)
    # 3 conditions (base, zh, zh-de) x 1 tiny model x 2 tasks (SNLI, PAWS); 4 languages besides English
    assert counts["evaluate"] == 6 and counts["sft"] == 4 and counts["build_condition"] == 4
    assert counts["translate"] == 8 and counts["translate_questions"] == 4 and counts["build_qt_pairs"] == 4
    assert counts["build_tokenizer"] == counts["build_mt_model"] == counts["build_base_model"] == 1
    assert "fetch_reference" not in counts and "download_model" not in counts


def test_lint_is_clean():
    proc = run_snakemake("--lint", "--configfile", CONFIG, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_bad_config_stops_before_any_job(tmp_path, root):
    cfg = yaml.safe_load((root / CONFIG).read_text())
    cfg["conditions"].append({"family": "single", "languages": ["en"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    proc = run_snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "Invalid configuration" in message and "conditions/3/languages/0" in message
