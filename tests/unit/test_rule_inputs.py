"""Rule inputs named by wildcard values are read back by what they are, in input order."""

import pytest

from mlpt import rule_inputs


def test_inputs_named_by_wildcards_are_read_back_by_them():
    named = [(rule_inputs.key("qwen3-tiny", "math", "en-es"), "a.json"), ("phrases", "p.yaml"),
             (rule_inputs.key("gemma3-tiny", "api", "core"), "b.json")]
    assert rule_inputs.by_key(named) == {("qwen3-tiny", "math", "en-es"): "a.json", ("gemma3-tiny", "api", "core"): "b.json"}
    assert list(rule_inputs.by_key(named)) == [("qwen3-tiny", "math", "en-es"), ("gemma3-tiny", "api", "core")]


def test_a_prefix_selects_one_kind_of_input():
    named = [(rule_inputs.key("data", "math"), "d"), (rule_inputs.key("references", "math"), "r"), ("mt", "m")]
    assert rule_inputs.by_key(named, prefix="data") == {("math",): "d"}
    assert rule_inputs.by_key(named, prefix="references") == {("math",): "r"}


def test_a_job_writes_only_its_declared_outputs():
    runs = [{"mixture": "en", "model": "sft/en/model", "log": "sft/en/log.json"}]
    rule_inputs.check_outputs("sft", runs, ["model", "log"], ["sft/en/model", "sft/en/log.json"])
    with pytest.raises(RuntimeError, match="sft: sft/en/log.json is not an output of this job"):
        rule_inputs.check_outputs("sft", runs, ["model", "log"], ["sft/en/model", "sft/es/log.json"])
