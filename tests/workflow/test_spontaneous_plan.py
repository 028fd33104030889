"""Study B's plans: every mixture x model x task of config/spontaneous.yaml, what each job needs
downloaded, the demo's plan, lint, and a bad config stopping before any job."""

import re

import pytest
import yaml

from conftest import config_for_run, job_counts, run_snakemake

pytestmark = pytest.mark.workflow
CONFIG = "config/spontaneous.yaml"


def test_study_b_plans_every_mixture_model_and_task():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", CONFIG).stdout)
    # 11 mixtures (pretrained, 7 single languages, 3 pairs) x 5 models x 3 tasks
    assert counts["sp_evaluate"] == 165
    assert counts["sft"] == 150 and counts["sp_build_mixture"] == 30  # every mixture but pretrained
    assert counts["build_qt_pairs"] == 21  # 7 question-translation languages x 3 tasks
    assert counts["sp_translate"] == 57  # the test items of 19 languages besides English x 3 tasks
    assert counts["translate_questions"] == 16  # MT pairs: 7 languages for Amazon and PAWS, SNLI's hi and bn
    assert counts["fetch_reference"] == 3 and counts["sp_prepare_data"] == 3
    assert counts["download_model"] == 6  # 5 base models + NLLB
    assert counts["probe_lens"] == 2 and counts["probe_pca"] == 2  # Qwen1.5-1.8B, pretrained and tuned
    for rule in ("sp_collect_results", "irrelevant_label_control", "plot_accuracy_by_mixture", "plot_logit_lens",
                 "plot_pca_language", "plot_loss_curves", "all"):
        assert counts[rule] == 1, rule
    assert counts["total"] == 462
    assert "build_base_model" not in counts and "sp_build_mt_model" not in counts  # hub models only


def test_the_authors_pairs_need_no_mt_and_the_others_do():
    zh = run_snakemake("results/spontaneous/sft/qwen15-14b/snli/zh/model", "-n", "--configfile", CONFIG).stdout
    assert job_counts(zh)["download_model"] == 1 and "output: hub-models/Qwen--Qwen1.5-14B" in zh
    assert "nllb" not in zh  # zh's SNLI pairs and every SNLI test set are the authors'
    hi = run_snakemake("results/spontaneous/qt/snli/hi.jsonl", "-n", "--configfile", CONFIG).stdout
    assert "output: hub-models/facebook--nllb-200-distilled-600M" in hi  # hi has no authors' file
    amazon = job_counts(run_snakemake("results/spontaneous/data/amazon/source.jsonl", "-n", "--quiet", "rules",
                                      "--configfile", CONFIG).stdout)
    assert amazon == {"fetch_reference": 1, "sp_prepare_data": 1, "total": 2}


def test_each_figure_is_its_own_target():
    counts = job_counts(run_snakemake("results/spontaneous/figures/logit_lens.pdf", "-n", "--quiet", "rules",
                                      "--configfile", CONFIG).stdout)
    assert counts["plot_logit_lens"] == 1 and counts["probe_lens"] == 2 and "sp_evaluate" not in counts
    assert "probe_pca" not in counts and "plot_accuracy_by_mixture" not in counts


def test_the_irrelevant_label_control_is_its_own_target():
    """The control is scored by the evaluate jobs (one process per checkpoint) and tabulated on its
    own: asking for its table plans every evaluation and no other table."""
    table = "results/spontaneous/tables/irrelevant_label_control.csv"
    counts = job_counts(run_snakemake(table, "-n", "--quiet", "rules", "--configfile", CONFIG).stdout)
    assert counts["irrelevant_label_control"] == 1 and counts["sp_evaluate"] == 165
    assert "sp_collect_results" not in counts and "plot_accuracy_by_mixture" not in counts
    figure = run_snakemake("results/spontaneous/figures/irrelevant_label_control.png", "-n", "--configfile",
                           CONFIG).stdout
    assert "rule irrelevant_label_control:" in figure and "results/spontaneous/tables/irrelevant_label_control.tex" in figure


def test_the_latex_build_of_study_b():
    """make paper CONFIG=config/spontaneous.yaml: study B's document with the shared preamble, its
    LaTeX tables and every figure, nothing of study A."""
    plan = run_snakemake("results/spontaneous/paper/main.pdf", "-n", "--configfile", CONFIG).stdout
    build = plan[plan.index("rule build_paper:"):].split("\n\n")[0]
    assert "paper/spontaneous.tex" in build and "paper/preamble.tex" in build and "paper/main.tex" not in build
    for name in ("tables/accuracy_by_mixture.tex", "tables/irrelevant_label_control.tex",
                 "figures/accuracy_by_mixture.pdf", "figures/irrelevant_label_control.pdf", "figures/logit_lens.pdf",
                 "figures/pca_language.pdf", "figures/training_curves.pdf"):
        assert f"results/spontaneous/{name}" in build, name
    assert job_counts(run_snakemake("results/spontaneous/paper/main.pdf", "-n", "--quiet", "rules", "--configfile",
                                    CONFIG).stdout)["sp_evaluate"] == 165


def test_every_report_item_has_a_caption(root):
    """The HTML report of a study B run: its own front page, and a caption file for every output."""
    rules = "".join((root / "workflow/rules" / f).read_text() for f in (
        "spontaneous.smk", "spontaneous_data.smk", "spontaneous_evaluate.smk", "spontaneous_analysis.smk"))
    items = rules.split("report(")[1:]
    assert len(items) >= 10  # and the training curves' (sft.smk, caption in common.smk), below
    for item in items:
        depth = 1  # the arguments of report(...): up to its closing parenthesis
        for end, char in enumerate(item):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                break
        body = item[:end]
        caption = re.search(r'caption="\.\./report/([^"]+)"', body)
        assert caption and (root / "workflow/report" / caption.group(1)).is_file(), body
        assert "category=" in body, body
    common = (root / "workflow/rules/common.smk").read_text()
    assert '"workflow/report/spontaneous.rst"' in common and (root / "workflow/report/spontaneous.rst").is_file()
    assert '"../report/spontaneous_training_curves.rst"' in common  # plot_loss_curves, shared with study A
    assert (root / "workflow/report/spontaneous_training_curves.rst").is_file()


@pytest.fixture
def fresh_demo(tmp_path):
    """The demo config under a run name with no results, so plans do not depend on results/spontaneous-demo."""
    return config_for_run("config/spontaneous-demo.yaml", "test-spontaneous-dryrun", tmp_path)


def test_demo_plan(fresh_demo):
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", fresh_demo).stdout)
    # 3 mixtures (pretrained, zh, zh-de) x 1 tiny model x 2 tasks (SNLI, PAWS); 4 languages besides English
    assert counts["sp_evaluate"] == 6 and counts["sft"] == 4 and counts["sp_build_mixture"] == 4
    assert counts["sp_translate"] == 8 and counts["translate_questions"] == 4 and counts["build_qt_pairs"] == 4
    assert counts["sp_build_tokenizer"] == counts["sp_build_mt_model"] == counts["build_base_model"] == 1
    assert "fetch_reference" not in counts and "download_model" not in counts


def test_lint_is_clean():
    proc = run_snakemake("--lint", "--configfile", CONFIG, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_bad_config_stops_before_any_job(tmp_path, root):
    cfg = yaml.safe_load((root / CONFIG).read_text())
    cfg["mixtures"].append({"family": "single", "languages": ["en"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    proc = run_snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "Invalid configuration" in message and "mixtures/3/languages/0" in message
