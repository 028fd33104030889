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
