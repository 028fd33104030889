"""The config is validated before any job: every error names the offending key."""

from pathlib import Path

import pytest

from mlpt import config as study_config
from mlpt.config import ConfigError


def test_shipped_configs_validate(paper_config, demo_config):
    assert paper_config["run"] == "paper" and demo_config["run"] == "demo"
    assert paper_config["sft"]["global_batch_size"] == 512  # defaults and values survive
    assert demo_config["evaluation"]["limit_per_language"] is None  # default filled in


def test_paper_config_states_the_study(paper_config):
    langs = paper_config["languages"]
    assert list(langs) == ["en", "es", "ja", "bn", "sw", "te", "fr", "de", "ru", "zh", "th"]
    assert [c for c, s in langs.items() if s["role"] == "core"] == ["en", "es", "ja", "bn", "sw"]
    assert [c for c, s in langs.items() if s["role"] == "eval"] == ["te"]
    assert {c for c, s in langs.items() if s["resource"] == "low"} == {"bn", "sw", "te", "th"}
    assert sorted(m["hub_id"] for m in paper_config["models"].values()) == sorted([
        "Qwen/Qwen3-0.6B-Base", "Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-8B-Base", "google/gemma-3-1b-pt", "google/gemma-3-4b-pt"])
    sft = paper_config["sft"]
    assert (sft["epochs"], sft["learning_rate"], sft["warmup_ratio"], sft["weight_decay"]) == (6, 1e-5, 0.03, 0.01)


def _fails(config, *fragments):
    with pytest.raises(ConfigError) as err:
        study_config.validate(config, source="test.yaml")
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)
    return str(err.value)


def test_typo_key_is_named(paper_config):
    paper_config["sft"]["learnig_rate"] = 1e-4
    _fails(paper_config, "test.yaml", "key 'sft'", "learnig_rate")


def test_unknown_top_level_key(paper_config):
    paper_config["mixture"] = []
    _fails(paper_config, "mixture")


def test_bad_language_code(paper_config):
    paper_config["languages"]["English"] = paper_config["languages"].pop("en")
    _fails(paper_config, "English")


def test_eval_only_language_in_a_mixture(paper_config):
    paper_config["mixtures"].append({"name": "en-te", "languages": ["en", "te"]})
    _fails(paper_config, "key 'mixtures/7/languages'", "'te' is eval-only")


def test_mixture_language_not_configured(paper_config):
    paper_config["mixtures"][1]["languages"] = ["es", "ko"]
    _fails(paper_config, "key 'mixtures/1/languages'", "'ko' is not in 'languages'")


def test_extras_language_not_configured(paper_config):
    paper_config["mixtures"][4]["extras"] = ["fr", "xx"]
    _fails(paper_config, "key 'mixtures/4/extras'", "'xx'")


def test_wrong_type_is_named(paper_config):
    paper_config["sft"]["epochs"] = "six"
    _fails(paper_config, "key 'sft/epochs'")


def test_model_needs_exactly_one_source(paper_config):
    paper_config["models"]["qwen3-8b"]["tiny"] = {"arch": "qwen3"}
    _fails(paper_config, "models/qwen3-8b")


def test_model_name_with_dot_is_rejected(paper_config):
    paper_config["models"]["qwen3-0.6b"] = paper_config["models"].pop("qwen3-600m")
    _fails(paper_config, "qwen3-0.6b")


def test_source_language_must_be_configured(paper_config):
    paper_config["source_language"] = "ko"
    _fails(paper_config, "key 'source_language'")


def test_language_without_prompt_phrases(paper_config):
    paper_config["languages"]["ko"] = {"name": "Korean", "resource": "high", "role": "extra"}
    _fails(paper_config, "key 'languages'", "no prompt phrases for ['ko']")


def test_duplicate_mixture_name(paper_config):
    paper_config["mixtures"].append({"family": "english_only"})
    _fails(paper_config, "key 'mixtures/7'", "mixture 'en' is defined twice (also produced by mixtures/0)")


def test_load_reports_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        study_config.load(tmp_path / "nope.yaml")


# --- rules checked before any job (batch geometry, few-shot exemplars, backends, safe strings) ---


def test_global_batch_must_divide_over_the_tier_gpus(paper_config):
    paper_config["cluster"]["sft"][2]["gpus"] = 3  # qwen3-8b: 512 is not a multiple of 8 x 3
    _fails(paper_config, "test.yaml", "key 'sft'", "global_batch_size 512", "qwen3-8b")


def test_task_override_batch_is_checked(demo_config):
    demo_config["tasks"]["control"]["sft"]["global_batch_size"] = 20  # per-device 8, one CPU process
    _fails(demo_config, "key 'tasks/control/sft'", "global_batch_size 20", "per_device_batch_size (8)")


def test_no_gpus_counts_as_one_process(demo_config):
    assert demo_config["cluster"]["sft"][0]["gpus"] == 0
    demo_config["sft"].update(global_batch_size=48, per_device_batch_size=16)
    study_config.validate(demo_config, source="test.yaml")


def test_model_without_an_sft_tier(paper_config):
    paper_config["cluster"]["sft"] = paper_config["cluster"]["sft"][:2]  # tiers up to 5B; qwen3-8b has none
    _fails(paper_config, "key 'cluster/sft'", "8.0B")


def test_fewshot_needs_enough_validation_items(demo_config):
    demo_config["evaluation"]["baseline_num_fewshot"] = 9  # demo n_val is 8
    _fails(demo_config, "key 'evaluation/baseline_num_fewshot'", "task 'math'", "n_val=8")


def test_the_preflight_decode_task_must_be_configured(demo_config):
    demo_config["preflight"]["decode_task"] = "gsm8k"
    _fails(demo_config, "key 'preflight/decode_task'", "'gsm8k' is not one of the configured tasks", "'control'")


@pytest.mark.parametrize("family", ["explicit", "en_plus_one", "leave_one_out"])
def test_mixture_with_no_languages(demo_config, family):
    demo_config["mixtures"].append({"family": family, "languages": []} | ({"name": "none"} if family == "explicit" else {}))
    _fails(demo_config, "key 'mixtures/4/languages'")


def test_llm_backend_needs_a_causal_lm(demo_config):
    demo_config["translation"]["backend"] = "llm"  # the demo's model is tiny: an M2M100 seq2seq model
    _fails(demo_config, "key 'translation/model/tiny'", "llm backend needs hub_id")


@pytest.mark.parametrize("ratio", [1.0, 1.5])
def test_warmup_ratio_is_below_one(paper_config, ratio):
    paper_config["sft"]["warmup_ratio"] = ratio
    _fails(paper_config, "key 'sft/warmup_ratio'")


@pytest.mark.parametrize("key, value", [
    ("run", "x; touch pwned; echo"),
    ("resources_dir", "../elsewhere"),
    ("resources_dir", "/etc"),
])
def test_strings_that_reach_paths_are_restricted(paper_config, key, value):
    paper_config[key] = value
    _fails(paper_config, f"key '{key}'")


def test_hub_id_is_restricted(paper_config):
    paper_config["models"]["qwen3-8b"]["hub_id"] = "Qwen/Qwen3-8B-Base $(touch pwned)"
    _fails(paper_config, "models/qwen3-8b")


def test_checksums_are_verified_by_default(paper_config):
    assert paper_config["data"]["verify_checksums"] is True


def test_cli_prints_the_run_name(root, capsys):
    assert study_config.main([str(root / "config/demo.yaml")]) == 0
    assert capsys.readouterr().out == "demo\n"


def test_cli_rejects_a_bad_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: 'x; touch pwned; echo'\n")
    assert study_config.main([str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Invalid configuration" in captured.err and str(bad) in captured.err


def test_tiny_copy_of_an_unknown_checkpoint_is_named(demo_config):
    demo_config["models"]["qwen3-tiny"]["tiny"]["like"] = "Qwen/Qwen3-0.6B"  # the instruct model: no files
    _fails(demo_config, "models/qwen3-tiny/tiny/like", "no reference files for 'Qwen/Qwen3-0.6B'")


def test_missing_chat_template_file_is_named(paper_config):
    paper_config["models"]["gemma3-1b"]["chat_template"] = "models/google--gemma-3-1b-pt/nope.jinja"
    _fails(paper_config, "models/gemma3-1b/chat_template", "nope.jinja not found")


def test_a_key_forbidden_at_its_place_gets_a_readable_error():
    """cluster/evaluate tiers refuse gradient_checkpointing (a cluster/sft tier key): the error names
    the tier and says why, not jsonschema's "False schema does not allow False"."""
    from mlpt import yaml_files

    cfg = yaml_files.load_yaml(Path(__file__).resolve().parents[2] / "config/demo.yaml")
    cfg["cluster"]["evaluate"][0]["gradient_checkpointing"] = False
    with pytest.raises(ConfigError, match=r"key 'cluster/evaluate/0': holds a key that is not allowed") as err:
        study_config.validate(cfg, "x.yaml")
    assert "False schema" not in str(err.value)
