"""One interface for both studies: what the workflow plans of a validated config (mlpt.study)."""

from mlpt import config as study_config
from mlpt.study import MULTILINGUAL, PRETRAINED, SPONTANEOUS, Study


def test_study_a_trains_every_mixture_and_evaluates_the_pretrained_model_first(demo_config):
    study = Study(study_config.validate(demo_config))
    assert study.is_activated(MULTILINGUAL) and not study.is_activated(SPONTANEOUS)
    assert list(study.mixtures) == ["en", "en-es", "core-minus-ja", "core"]
    assert study.evaluated == [PRETRAINED, *study.mixtures]
    assert len(study.sft_runs) == 2 * 3 * 4 and len(study.evaluations) == 2 * 3 * 5
    assert study.control_tasks() == ["control"] and "control_table2" in study.final_tables()
    assert "training_curves_png" in study.final_outputs() and study.paper_tex() == "paper/main.tex"


def test_study_b_names_its_training_sets_and_baseline_as_study_a_does(spontaneous_config):
    study = Study(study_config.validate(spontaneous_config))
    assert study.is_activated(SPONTANEOUS)
    assert study.evaluated[0] == PRETRAINED == "pretrained" and PRETRAINED not in study.mixtures
    assert study.mixture_languages()["zh-de"] == ["zh", "de"]
    assert study.mixture_languages()["en2zh-ja2zh"] == ["en", "ja", "zh"]  # the target is tuned on too
    # each mixture on the tasks of its entry: 23 + 12 + 10 tuned conditions, and the base model on each task
    assert len(study.sft_runs) == 45 * 5 and len(study.evaluations) == 48 * 5
    assert ("qwen15-4b", "paws", "ja") not in study.sft_runs and ("qwen15-4b", "amazon", "ja") in study.sft_runs
    assert study.control_tasks() == [] and "sp_mixtures_tex" in study.final_tables()
    assert study.paper_tex() == "paper/spontaneous.tex"
