"""The paper's configs read nothing from the Hugging Face Hub at a floating branch: every model (base
models, MT models) and every dataset a task source reads has a commit in ``hub.revisions``."""

import re

import pytest

from mlpt import config as study_config
from mlpt import data

#: A commit: 40 hexadecimal digits, or a short prefix of at least 7 (the Hub resolves it; the
#: prepare_data report and <download_dir>/<model>/.download-complete name the full commit).
COMMIT = re.compile(r"[0-9a-f]{7,40}")


def hub_reads(cfg: dict) -> dict[str, str]:
    """{Hub repository: what reads it} for every model and dataset ``cfg`` reads from the Hub."""
    reads = {spec["hub_id"]: f"models/{name}" for name, spec in cfg["models"].items() if "hub_id" in spec}
    translations = {"translation": cfg.get("translation", {})}
    translations |= {f"tasks/{task}/translation": spec["translation"] for task, spec in cfg["tasks"].items()
                     if "translation" in spec}
    for key, translation in translations.items():
        if "hub_id" in translation.get("model", {}):
            reads[translation["model"]["hub_id"]] = f"{key}/model"
    for task, spec in cfg["tasks"].items():
        hub = data.hub_dataset(spec["source"])
        if hub is not None:
            reads[hub.repo] = f"tasks/{task}/source ({spec['source']})"
    return reads


def floating(cfg: dict) -> list[str]:
    """What ``cfg`` reads from the Hub without a commit pinned in hub.revisions."""
    pins = cfg["hub"]["revisions"]
    return [f"{repo} ({where}): {pins.get(repo, 'main, the default')}" for repo, where in hub_reads(cfg).items()
            if not COMMIT.fullmatch(pins.get(repo, ""))]


@pytest.mark.parametrize("name", ["paper", "paper-offline"])
def test_nothing_is_read_at_a_floating_branch(root, name):
    cfg = study_config.load(root / f"config/{name}.yaml")
    assert len(hub_reads(cfg)) == (9 if name == "paper" else 7)  # 5 base models, 2 MT models (+ 2 datasets)
    assert floating(cfg) == []


def test_an_unpinned_model_or_dataset_is_found(root):
    cfg = study_config.load(root / "config/paper.yaml")
    del cfg["hub"]["revisions"]["google/gemma-3-1b-pt"]
    cfg["hub"]["revisions"]["laihuiyuan/mCoT-MATH"] = "main"
    assert floating(cfg) == ["google/gemma-3-1b-pt (models/gemma3-1b): main, the default",
                             "laihuiyuan/mCoT-MATH (tasks/math/source (mcot_math)): main"]


def test_pins_are_the_commits_the_provenance_files_name(root):
    """Base models: the revisions resources/models/PROVENANCE.md verified or saw; datasets: the
    commits resources/PROVENANCE.md gives, which are also the adapters' own revisions."""
    pins = study_config.load(root / "config/paper.yaml")["hub"]["revisions"]
    models = (root / "resources/models/PROVENANCE.md").read_text(encoding="utf-8")
    for repo in ("Qwen/Qwen3-0.6B-Base", "Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-8B-Base", "google/gemma-3-1b-pt",
                 "google/gemma-3-4b-pt"):
        assert f"{repo}@{pins[repo]}" in models, repo
    provenance = (root / "resources/PROVENANCE.md").read_text(encoding="utf-8")
    for hub in (data.MCOT_MATH, data.API_BANK_TRAIN):
        assert pins[hub.repo] == hub.revision and f"`{hub.revision}`" in provenance
    for repo in ("facebook/nllb-200-distilled-600M", "Qwen/Qwen2.5-7B-Instruct"):
        assert f"{repo}@{pins[repo]}" in provenance, repo
