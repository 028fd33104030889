"""Each stage target plans exactly its stage's jobs and what they need, nothing after it (paper plan)."""

import pytest

from conftest import job_counts, run_snakemake

pytestmark = pytest.mark.workflow

BEFORE_SFT = {"download_model": 7, "prepare_data": 2, "select_items": 2, "build_mixture": 44, "sft": 220}
EVALUATION = {**BEFORE_SFT, "translate": 22, "build_eval_tasks": 2, "evaluate": 230}
EXPECTED = {
    # the two MT models (NLLB for math, the LLM for API data) and every task x language
    "all_translations": {"download_model": 2, "prepare_data": 2, "translate": 22},
    # te is evaluated only, so training needs 20 of the 22 translations
    "all_sft": {**BEFORE_SFT, "translate": 20},
    "all_eval": EVALUATION,
    "all_figures": {**EVALUATION, "collect_results": 1, "fit_stats": 1, "plot_loss_curves": 1,
                    "collect_translation_qc": 1, "plot_fig2_accuracy_vs_languages": 1, "plot_fig3_median_change": 1,
                    "plot_fig4_zero_shot_vs_direct": 1, "plot_fig7_heatmaps": 1, "plot_fig8_scaling": 1,
                    "plot_fig9_zero_shot_other_models": 1, "plot_extra_languages": 1, "plot_fig2_by_exposure": 1},
}


@pytest.mark.parametrize("target", list(EXPECTED))
def test_a_stage_target_plans_exactly_its_stage(target):
    counts = job_counts(run_snakemake(target, "-n", "--quiet", "rules", "--configfile", "config/paper.yaml").stdout)
    expected = {**EXPECTED[target], target: 1}
    assert counts == {**expected, "total": sum(expected.values())}
