"""Per-task translation settings: tasks.<task>.translation merged over the top-level translation block."""

import copy

import pytest

from mlpt import config as study_config
from mlpt.config import ConfigError


def test_paper_translates_api_with_an_llm_and_math_with_nllb(paper_config):
    api = study_config.task_translation(paper_config, "api")
    math = study_config.task_translation(paper_config, "math")
    assert (api["backend"], api["model"]) == ("llm", {"hub_id": "Qwen/Qwen2.5-7B-Instruct"})
    assert (math["backend"], math["model"]) == ("seq2seq", {"hub_id": "facebook/nllb-200-distilled-600M"})
    assert math == paper_config["translation"]  # no override: the top-level block as it is
    # keys the task does not give come from the top level
    assert api["shard_size"] == paper_config["translation"]["shard_size"]
    assert api["qc"] == paper_config["translation"]["qc"]


def test_llm_and_qc_merge_key_by_key_and_model_is_replaced_whole(paper_config):
    paper_config["translation"]["llm"] = {"few_shot": {"es": [{"source": "Hi", "target": "Hola"}]}}
    paper_config["tasks"]["api"]["translation"] = {"model": {"hub_id": "org/mt"}, "qc": {"policy": "flag"},
                                                   "llm": {}, "batch_size": 4}
    top = copy.deepcopy(paper_config["translation"])
    api = study_config.task_translation(paper_config, "api")
    assert api["qc"] == {**top["qc"], "policy": "flag"}
    assert api["llm"] == top["llm"] and api["model"] == {"hub_id": "org/mt"} and api["batch_size"] == 4
    assert api["backend"] == "seq2seq"
    assert paper_config["translation"] == top  # the top-level block is never changed


def test_a_task_override_is_checked_like_the_top_level_block(paper_config):
    paper_config["tasks"]["api"]["translation"] = {"backend": "google"}
    with pytest.raises(ConfigError, match=r"key 'tasks/api/translation/backend': 'google' is not one of"):
        study_config.validate(paper_config)


def test_an_unknown_key_in_a_task_override_names_its_path(paper_config):
    paper_config["tasks"]["math"]["translation"] = {"qc": {"polcy": "drop"}}
    with pytest.raises(ConfigError, match=r"key 'tasks/math/translation/qc': unknown key"):
        study_config.validate(paper_config)


def test_a_task_model_takes_hub_id_only(paper_config):
    paper_config["tasks"]["api"]["translation"] = {"model": {"tiny": {"d_model": 32}}}
    with pytest.raises(ConfigError, match=r"key 'tasks/api/translation/model/tiny': a task's MT model takes hub_id"):
        study_config.validate(paper_config)


def test_an_llm_task_needs_a_hub_model(demo_config):
    """The demo's MT model is tiny (seq2seq): a task switching to llm must name its own hub model."""
    demo_config["tasks"]["api"]["translation"] = {"backend": "llm"}
    with pytest.raises(ConfigError, match=r"key 'tasks/api/translation/model/tiny': the llm backend needs hub_id"):
        study_config.validate(demo_config)
    demo_config["tasks"]["api"]["translation"]["model"] = {"hub_id": "Qwen/Qwen2.5-0.5B-Instruct"}
    assert study_config.task_translation(study_config.validate(demo_config), "api")["backend"] == "llm"
