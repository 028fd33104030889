"""Every YAML the project reads is read strictly: a duplicated key, an alias or a non-finite number
is refused with the file, the line and the key, before validation (and before any job runs)."""

import time

import pytest

from mlpt import config as study_config
from mlpt.errors import ConfigError
from mlpt.yaml_files import StrictLoadError, load_yaml, safe_load_yaml


def _demo_with(tmp_path, text_after: str = "", replace: tuple[str, str] | None = None, root=None):
    text = (root / "config/demo.yaml").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "demo.yaml"
    path.write_text(text + text_after, encoding="utf-8")
    return path


def test_a_duplicated_key_is_refused_not_silently_last_wins(tmp_path, root):
    path = _demo_with(tmp_path, "sft: {epochs: 1}\n", root=root)
    lines = path.read_text(encoding="utf-8").splitlines()
    first, last = lines.index("sft:") + 1, len(lines)
    with pytest.raises(ConfigError, match=rf"demo.yaml:{last}: key 'sft' is given twice .*first on line {first}"):
        study_config.load(path)


@pytest.mark.parametrize("key, value", [("learning_rate: 1.0e-3", "learning_rate: .nan"),
                                        ("epochs: 1", "epochs: .inf"), ("warmup_ratio: 0.03", "warmup_ratio: .NaN"),
                                        ("weight_decay: 0.01", "weight_decay: -.inf")])
def test_non_finite_numbers_are_refused_naming_the_key(tmp_path, root, key, value):
    path = _demo_with(tmp_path, replace=(key, value), root=root)
    with pytest.raises(ConfigError, match=rf"demo.yaml:\d+: key '{key.split(':')[0]}': non-finite"):
        study_config.load(path)


def test_a_non_finite_number_from_the_command_line_is_refused(demo_config):
    """Snakemake's --config overrides reach the config without a YAML loader."""
    demo_config["sft"]["learning_rate"] = float("nan")
    with pytest.raises(ConfigError, match="key 'sft/learning_rate': non-finite"):
        study_config.validate(demo_config, "cli")


def test_an_alias_bomb_is_refused_at_once(tmp_path, root):
    """Nine levels of nine aliases would expand to 9**9 language codes in validation."""
    bomb = "bomb0: &a0 [en, en, en, en, en, en, en, en, en]\n" + "".join(
        f"bomb{i + 1}: &a{i + 1} [{', '.join([f'*a{i}'] * 9)}]\n" for i in range(8))
    path = _demo_with(tmp_path, replace=("mixtures:\n", bomb + "mixtures:\n"), root=root)
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="anchors and aliases"):
        study_config.load(path)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("text, message", [("a: &x [1]\nb: *x\n", "aliases"), ("a: {b: 1}\n<<: {c: 2}\n", "merge keys"),
                                           ("a:\n  b: 1\n  b: 2\n", "key 'b' is given twice")])
def test_refused_documents(text, message):
    with pytest.raises(StrictLoadError, match=message):
        safe_load_yaml(text)


def test_every_yaml_file_of_the_project_is_read_by_the_strict_loader(root):
    files = [*root.glob("config/*.yaml"), *root.glob("src/mlpt/schemas/*.yaml"), *root.glob("resources/**/*.yaml")]
    assert len(files) > 10
    for path in files:
        load_yaml(path)  # none of them uses what the loader refuses


@pytest.mark.workflow
def test_snakemake_refuses_a_config_file_with_a_duplicated_key(tmp_path, root):
    """Snakemake reads --configfile with its own loader; the workflow reads each file again strictly."""
    from conftest import run_snakemake

    path = _demo_with(tmp_path, "sft: {epochs: 1}\n", root=root)
    proc = run_snakemake("-n", f"--configfile={path}", check=False)
    assert proc.returncode != 0
    assert "key 'sft' is given twice" in proc.stdout + proc.stderr


@pytest.mark.parametrize("edit, key", [
    (lambda c: c["cluster"]["sft"][0].update(runtime=0), "cluster/sft/0/runtime"),
    (lambda c: c["cluster"]["translate"].update(runtime=-5), "cluster/translate/runtime"),
    (lambda c: c.update(seed=-1), "seed"),
    (lambda c: c["cluster"]["plan"].update(gpu_peak_tflops=0), "cluster/plan/gpu_peak_tflops"),
    (lambda c: c["cluster"]["plan"].update(decode_tokens_per_second_per_b=0), "cluster/plan/decode_tokens_per_second_per_b"),
    (lambda c: c["cluster"]["plan"]["tokens_per_example"].update(math=0), "cluster/plan/tokens_per_example/math"),
])
def test_out_of_range_numbers_are_refused_naming_the_key(paper_config, edit, key):
    """runtime 0 means no limit to sbatch; a zero peak divides by zero in the plan; seed -1 fails in a job."""
    edit(paper_config)
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        study_config.validate(paper_config, "paper.yaml")
