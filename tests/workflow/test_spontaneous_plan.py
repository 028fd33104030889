"""Study B's plans: every mixture x model x task of config/spontaneous.yaml, what each job needs
downloaded, the demo's plan, lint, and a bad config stopping before any job."""

import re

import pytest
import yaml

from conftest import config_for_run, job_counts, run_snakemake

pytestmark = pytest.mark.workflow
CONFIG = "config/spontaneous.yaml"


def test_study_b_plans_the_authors_condition_grid_on_every_model():
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", CONFIG).stdout)
    # the authors' conditions, each on its tasks: Amazon 23, SNLI 12, PAWS 10, and the base model on
    # each task: 48 evaluated (task, mixture) x 5 models
    assert counts["sp_evaluate"] == 240
    assert counts["sft"] == 225 and counts["sp_build_mixture"] == 45  # every mixture but pretrained
    # one set of pairs per direction tuned on a task (Amazon 11 into English + 5 into Chinese, SNLI 7,
    # PAWS 6) and one per condition of several directions, read whole from its authors' file (Amazon
    # 12, SNLI 5, PAWS 4)
    assert counts["build_qt_pairs"] == 29 + 21
    assert counts["sp_translate"] == 57  # the authors' test items of 19 languages besides English x 3 tasks
    # every pair is the authors': nothing is machine-translated, no MT model is downloaded
    assert "translate_questions" not in counts
    assert counts["fetch_reference"] == 3 and counts["sp_prepare_data"] == 3
    assert counts["download_model"] == 5  # the 5 base models
    assert counts["probe_lens"] == 2 and counts["probe_pca"] == 2  # Qwen1.5-1.8B, pretrained and tuned
    for rule in ("sp_collect_results", "irrelevant_label_control", "plot_accuracy_by_mixture", "plot_logit_lens",
                 "plot_pca_language", "plot_loss_curves", "all"):
        assert counts[rule] == 1, rule
    assert counts["total"] == 639
    assert "build_base_model" not in counts and "sp_build_mt_model" not in counts  # hub models only


def _grid_config(root, tmp_path) -> str:
    """config/spontaneous.yaml with its mixtures replaced by every condition the authors published a
    question-translation file for (read from the file names, mlpt.spontaneous.study.QT_FILES), each
    entry on the tasks that have its file."""
    from mlpt import mixture_grammar
    from mlpt.spontaneous import study

    cfg = yaml.safe_load((root / CONFIG).read_text())
    cfg["run"] = "test-authors-grid"
    tasks: dict[tuple, list[str]] = {}
    for task in cfg["tasks"]:
        for directions in study.authors_conditions(task):
            langs = [mixture_grammar.parse_direction(d, "en") for d in sorted(directions)]
            tasks.setdefault((tuple(x for x, _ in langs), langs[0][1]), []).append(task)
    cfg["mixtures"] = [{"family": "pretrained"}] + [
        {"family": {1: "single", 2: "pair", 3: "set"}[len(langs)], "tasks": on,
         **({"languages": list(langs)} if len(langs) != 2 else {"pairs": [list(langs)]}),
         **({"target": target} if target != "en" else {})} for (langs, target), on in tasks.items()]
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return str(path)


def test_every_condition_the_authors_have_files_for_is_plannable(tmp_path, root):
    from mlpt import config as study_config
    from mlpt.spontaneous import study

    grid = _grid_config(root, tmp_path)
    plan = run_snakemake("-n", "--configfile", grid).stdout
    cfg = study_config.load(grid)
    expected = 0
    for task in cfg["tasks"]:
        planned = {frozenset(m.directions): name for name, m in study.task_mixtures(cfg, task).items() if m.directions}
        assert set(planned) == set(study.authors_conditions(task)), task
        for name in planned.values():
            assert f"output: results/test-authors-grid/mixtures/{task}/{name}.jsonl" in plan, (task, name)
        expected += len(planned)
    assert job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", grid).stdout)["sft"] == expected * 5


def test_the_authors_pairs_need_no_mt_and_the_others_do(tmp_path, root):
    """No pair the authors published is machine-translated: the plan of config/spontaneous.yaml has
    no translation job and reads each condition's own file; a condition they have no file for (PAWS
    bn, added here) is the only one machine-translated."""
    plan = run_snakemake("-n", "--configfile", CONFIG).stdout
    assert "rule translate_questions:" not in plan and "nllb" not in plan
    zh = run_snakemake("results/spontaneous/sft/qwen15-14b/snli/zh/model", "-n", "--configfile", CONFIG).stdout
    assert job_counts(zh)["download_model"] == 1 and "output: hub-models/Qwen--Qwen1.5-14B" in zh
    zh_de = run_snakemake("results/spontaneous/mixtures/amazon/zh-de.jsonl", "-n", "--quiet", "rules",
                          "--configfile", CONFIG).stdout
    # the authors' zh+de file, its held-out pairs aligned with their zh and de files' sets
    assert job_counts(zh_de) == {"fetch_reference": 1, "sp_prepare_data": 1, "sp_translate": 2, "build_qt_pairs": 3,
                                 "sp_build_mixture": 1, "total": 8}
    amazon = job_counts(run_snakemake("results/spontaneous/data/amazon/source.jsonl", "-n", "--quiet", "rules",
                                      "--configfile", CONFIG).stdout)
    assert amazon == {"fetch_reference": 1, "sp_prepare_data": 1, "total": 2}  # their English questions, no Hub
    cfg = yaml.safe_load((root / CONFIG).read_text())
    cfg["mixtures"][2]["tasks"] = ["amazon", "snli", "paws"]  # bn on PAWS: no authors' file
    path = tmp_path / "paws-bn.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", str(path)).stdout)
    assert counts["translate_questions"] == 1 and counts["download_model"] == 6  # PAWS bn, and NLLB for it
    bn = run_snakemake("results/spontaneous/qt/paws/bn.jsonl", "-n", "--configfile", str(path)).stdout
    assert "output: results/spontaneous/translated/paws/bn.questions.jsonl" in bn


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
    assert counts["irrelevant_label_control"] == 1 and counts["sp_evaluate"] == 240
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
                                    CONFIG).stdout)["sp_evaluate"] == 240


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
    assert "Invalid configuration" in message and "mixtures/10/languages/0" in message
