"""Layered configs (``extends: <base>``, mlpt.config_layers): the merge, the chain, its errors, and
config/paper-offline.yaml, which holds only its differences from config/paper.yaml."""

import copy

import pytest

from mlpt import config as study_config
from mlpt import config_layers
from mlpt.errors import ConfigError
from mlpt.yaml_files import load_yaml


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def demo_base(tmp_path, root, replace=None, name="base.yaml"):
    """config/demo.yaml copied to ``tmp_path/name`` (optionally with one text replaced)."""
    text = (root / "config/demo.yaml").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return write(tmp_path / name, text)


# --- the merge -------------------------------------------------------------------------------------


def test_mappings_merge_key_by_key_and_lists_and_values_replace():
    base = {"a": {"x": 1, "y": [1, 2], "z": {"p": 1, "q": 2}}, "b": [1, 2, 3], "c": "s", "d": {"k": 1}}
    over = {"a": {"y": [9], "z": {"q": 3}, "new": 0}, "b": [4], "c": {"now": "a mapping"}, "d": 5}
    before = copy.deepcopy(base)
    assert config_layers.deep_merge(base, over) == {
        "a": {"x": 1, "y": [9], "z": {"p": 1, "q": 3}, "new": 0}, "b": [4], "c": {"now": "a mapping"}, "d": 5}
    assert base == before  # a new dict; the base is untouched


def test_a_chain_resolves_relative_to_each_file(tmp_path):
    write(tmp_path / "bases/root.yaml", "run: root\nseed: 1\nsft: {epochs: 2, learning_rate: 0.1}\n")
    write(tmp_path / "bases/mid.yaml", "extends: root.yaml\nseed: 2\nsft: {epochs: 3}\n")
    top = write(tmp_path / "top.yaml", "extends: bases/mid.yaml\nrun: top\n")
    layers = config_layers.read(top)
    assert layers.files == (tmp_path / "bases/root.yaml", tmp_path / "bases/mid.yaml", top)
    assert layers.config == {"run": "top", "seed": 2, "sft": {"epochs": 3, "learning_rate": 0.1}}
    assert layers.source == f"{top} (extends {tmp_path / 'bases/mid.yaml'} -> {tmp_path / 'bases/root.yaml'})"


def test_a_file_without_extends_is_read_as_it_is(tmp_path):
    path = write(tmp_path / "plain.yaml", "run: plain\n")
    layers = config_layers.read(path)
    assert layers.config == {"run": "plain"} and layers.bases == () and layers.source == str(path)


# --- errors name the file of the chain they come from ---------------------------------------------


def test_a_circle_is_an_error(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\nrun: a\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nrun: b\n")
    with pytest.raises(ConfigError, match=r"b\.yaml: key 'extends': the chain of bases is a circle "
                                          r"\(.*a\.yaml -> .*b\.yaml -> .*a\.yaml\)"):
        config_layers.read(tmp_path / "a.yaml")
    write(tmp_path / "self.yaml", "extends: self.yaml\n")
    with pytest.raises(ConfigError, match="circle"):
        config_layers.read(tmp_path / "self.yaml")


def test_a_missing_base_names_the_file_that_extends_it(tmp_path):
    path = write(tmp_path / "top.yaml", "extends: nowhere.yaml\nrun: top\n")
    with pytest.raises(ConfigError, match=rf"^{path}: key 'extends': base config {tmp_path / 'nowhere.yaml'} not found"):
        study_config.load(path)


@pytest.mark.parametrize("value", ["[a.yaml, b.yaml]", "''", "null", "{file: a.yaml}"])
def test_extends_names_one_file(tmp_path, value):
    path = write(tmp_path / "top.yaml", f"extends: {value}\nrun: top\n")
    with pytest.raises(ConfigError, match=rf"^{path}: key 'extends': expected the base config's file name"):
        config_layers.read(path)


def test_a_base_is_read_strictly_and_its_error_names_it(tmp_path, root):
    base = demo_base(tmp_path, root, replace=("seed: 1234\n", "seed: 1234\nseed: 1\n"))
    path = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\n")
    with pytest.raises(ConfigError, match=rf"^{base}:\d+: key 'seed' is given twice"):
        study_config.load(path)


def test_a_base_that_is_not_a_mapping_is_refused(tmp_path):
    write(tmp_path / "base.yaml", "- a list\n")
    path = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\n")
    with pytest.raises(ConfigError, match=rf"base\.yaml: expected a mapping at the top level \(the base of {path}\)"):
        config_layers.read(path)


def test_a_checking_error_names_the_file_that_gives_the_key(tmp_path, root):
    demo_base(tmp_path, root)
    top = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\nsft: {epochs: -1}\n")
    with pytest.raises(ConfigError, match=rf"^{top}: key 'sft/epochs'"):
        study_config.load(top)

    bad_base = demo_base(tmp_path, root, replace=("  epochs: 1\n", "  epochs: -1\n"), name="bad.yaml")
    top = write(tmp_path / "top2.yaml", "extends: bad.yaml\nrun: top\nsft: {learning_rate: 1.0e-3}\n")
    with pytest.raises(ConfigError, match=rf"^{bad_base} \(a base of {top}\): key 'sft/epochs'"):
        study_config.load(top)


def test_an_error_of_a_mapping_both_files_fill_names_the_chain(tmp_path, root):
    """No single file gives models/<name> when the overlay adds a key to it and the base the others."""
    demo_base(tmp_path, root)
    top = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\nmodels: {qwen3-tiny: {hub_id: Qwen/Qwen3-0.6B-Base}}\n")
    layers = config_layers.read(top)
    assert layers.origin(("models", "qwen3-tiny", "hub_id")) == top
    assert layers.origin(("models", "qwen3-tiny")) is None  # the base gives its other keys
    assert layers.origin(("tasks",)) == tmp_path / "base.yaml"
    assert layers.origin(("mixtures", "2", "languages")) == tmp_path / "base.yaml"  # inside a list given whole
    with pytest.raises(ConfigError, match=rf"^{top} \(extends {tmp_path / 'base.yaml'}\): key 'models/qwen3-tiny': "
                                          ".*valid under each of"):
        study_config.load(top)


def test_an_unresolved_extends_is_refused(demo_config):
    """A config read without its file (yaml.safe_load and validate) cannot lay its base beneath."""
    with pytest.raises(ConfigError, match="cli: key 'extends': .*came without its file"):
        study_config.validate(dict(demo_config, extends="paper.yaml"), "cli")


# --- Snakemake's --configfile: validate lays the bases beneath the config Snakemake read ------------


def test_validate_lays_the_bases_beneath_snakemakes_config_in_place(tmp_path, root):
    demo_base(tmp_path, root)
    top = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\nsft: {epochs: 3}\n")
    config = load_yaml(top)  # what Snakemake reads: the file alone, `extends` included ...
    config["seed"] = 7  # ... and --config seed=7 over it
    same = config
    assert study_config.validate(config, "snakemake", files=[top]) is same
    expected = study_config.load(top)
    expected["seed"] = 7
    assert config == expected and "extends" not in config


@pytest.mark.workflow
def test_snakemake_reads_the_chain_strictly_and_names_the_base(tmp_path, root):
    from conftest import run_snakemake

    base = demo_base(tmp_path, root, replace=("seed: 1234\n", "seed: 1234\nseed: 1\n"))
    top = write(tmp_path / "top.yaml", "extends: base.yaml\nrun: top\n")
    proc = run_snakemake("-n", f"--configfile={top}", check=False)
    assert proc.returncode != 0
    assert f"{base}:" in proc.stdout + proc.stderr and "key 'seed' is given twice" in proc.stdout + proc.stderr


# --- config/paper-offline.yaml: paper.yaml with the shipped training data ---------------------------


def test_paper_offline_holds_only_its_differences(root):
    own = load_yaml(root / "config/paper-offline.yaml")
    assert own == {"extends": "paper.yaml", "run": "paper-offline",
                   "tasks": {"math": {"source": "gsm8k_mgsm"}, "api": {"source": "api_bank"}}}


def test_paper_offline_is_paper_with_the_shipped_sources(root):
    """What the full copy of paper.yaml was, and what the test that kept the two in step checked."""
    paper, offline = (study_config.load(root / f"config/{name}.yaml") for name in ("paper", "paper-offline"))
    expected = copy.deepcopy(paper)
    expected["run"] = "paper-offline"
    expected["tasks"]["math"]["source"], expected["tasks"]["api"]["source"] = "gsm8k_mgsm", "api_bank"
    assert offline == expected
    assert list(offline) == list(paper) and list(offline["tasks"]) == list(paper["tasks"])  # key order too
