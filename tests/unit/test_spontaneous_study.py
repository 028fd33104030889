"""Study B's config: the schema shared with study A, the mixtures grammar, the study rules and the
list of the authors' files with their checksums."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from mlpt import config as study_config
from mlpt import schema
from mlpt.config import ConfigError
from mlpt.spontaneous import data, study

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "spontaneous"
CHECKSUMS = ROOT / "resources/spontaneous/reference.sha256"


def _fails(config: dict, *fragments: str) -> None:
    with pytest.raises(ConfigError) as err:
        study_config.validate(config, source="b.yaml")
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_the_paper_config_expands_to_its_eleven_mixtures(spontaneous_config):
    conds = study.mixtures(spontaneous_config)
    assert list(conds) == ["pretrained", "zh", "de", "es", "it", "sw", "hi", "bn", "zh-de", "hi-sw", "zh-it"]
    assert conds["pretrained"].languages == () and conds["zh-de"].languages == ("zh", "de")
    assert conds["hi-sw"].languages == ("hi", "sw")  # config order: names are stable
    assert study.trained(spontaneous_config) == list(conds)[1:]
    assert study.qt_languages(spontaneous_config) == ["zh", "de", "es", "it", "hi", "sw", "bn"]
    assert list(spontaneous_config["languages"]) == list(data.LANGUAGES)
    assert {m: s["hub_id"] for m, s in spontaneous_config["models"].items()} == {
        "qwen15-500m": "Qwen/Qwen1.5-0.5B", "qwen15-1800m": "Qwen/Qwen1.5-1.8B", "qwen15-4b": "Qwen/Qwen1.5-4B",
        "qwen15-14b": "Qwen/Qwen1.5-14B", "mistral-7b": "mistralai/Mistral-7B-v0.1"}
    assert {t: s["shots"] for t, s in spontaneous_config["tasks"].items()} == {"amazon": 2, "snli": 6, "paws": 4}


def test_the_recipe_is_the_papers_llama_factory_recipe(spontaneous_config):
    sft = spontaneous_config["sft"]
    assert sft["method"] == "lora" and sft["lora_target_modules"] == ["q_proj", "v_proj"]
    assert (sft["lora_r"], sft["lora_alpha"], sft["lora_dropout"]) == (8, 16, 0.0)  # LLaMA-Factory's defaults
    assert (sft["learning_rate"], sft["epochs"], sft["lr_scheduler"], sft["warmup_ratio"]) == (5e-5, 3, "cosine", 0.1)
    assert (sft["per_device_batch_size"], sft["global_batch_size"], sft["max_length"]) == (4, 16, 2048)
    # the last step: their --save_steps 150000 never saves, so --load_best_model_at_end keeps nothing
    assert sft["bf16"] and sft["selection"] == "last" and sft["weight_decay"] == 0.0


def test_shared_sections_are_study_a_schema():
    a, b = schema.load_schema("config"), schema.load_schema("spontaneous")
    for key in ("translation", "cluster", "hub", "tiny_tokenizer"):
        assert b["properties"][key] == a["properties"][key], key
    assert b["properties"]["sft"]["properties"] == a["properties"]["sft"]["properties"]
    assert "schema.yaml#" not in str(b)  # references into config.schema.yaml are inlined
    assert b["$defs"]["resource_tiers"] == a["$defs"]["resource_tiers"]


def test_a_config_without_study_is_study_a(spontaneous_config):
    del spontaneous_config["study"]
    _fails(spontaneous_config, "b.yaml")  # checked against study A's schema, which has no 'mixtures'


@pytest.mark.parametrize("edit, fragments", [
    (lambda c: c["tasks"]["snli"].update(shots=5), ("tasks/snli/shots", "is 6")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["en"]}), ("mixtures/3/languages/0", "pivot")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["ko"]}), ("'mixtures/3", "")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["zh"]}), ("mixture 'zh' is defined twice",)),
    (lambda c: c["mixtures"].append({"family": "pair", "languages": ["zh", "de"]}), ("family 'pair' takes pairs",)),
    (lambda c: c["mixtures"].append({"family": "pair", "pairs": [["de", "zh"]]}), ("'zh-de' is defined twice",)),
    (lambda c: c["sft"].update(method="full"), ("sft/method", "LoRA")),
    (lambda c: c["sft"].update(selection="val_accuracy"), ("sft/selection", "'val_loss'")),
    (lambda c: c.update(conditons=[]), ("unknown key", "conditons")),
    (lambda c: c["languages"].update(ko={"name": "Korean", "resource": "high"}), ("key 'languages'", "'ko'")),
    (lambda c: c["tasks"]["snli"].update(n_test=50), ("tasks/snli/n_test",)),
    (lambda c: c["languages"]["hi"].pop("nllb"), ("languages/hi/nllb", "machine-translated")),
    (lambda c: c["cluster"]["sft"][1].update(gpus=3), ("global_batch_size 16", "'qwen15-14b'")),
    (lambda c: c.update(mixtures=[{"family": "pretrained"}]), ("no mixture tunes",)),
])
def test_bad_configs_are_named(spontaneous_config, edit, fragments):
    edit(spontaneous_config)
    _fails(spontaneous_config, *fragments)


def test_demo_config_validates():
    demo = study_config.load(ROOT / "config/spontaneous-demo.yaml")
    assert demo["study"] == "spontaneous" and all("tiny" in m for m in demo["models"].values())
    assert all(t["source"] == "shipped" for t in demo["tasks"].values())
    assert demo["sft"]["selection"] == "val_loss"  # the demo runs the paper's checkpoint choice


def test_keeping_the_last_epoch_is_allowed(spontaneous_config):
    spontaneous_config["sft"]["selection"] = "last"
    study_config.validate(spontaneous_config, source="b.yaml")


# --------------------------------------------------------------------------- #
# The authors' files
# --------------------------------------------------------------------------- #
def test_every_file_the_study_reads_has_a_checksum(spontaneous_config):
    sums = study.read_checksums(CHECKSUMS)
    for task in spontaneous_config["tasks"]:
        files = study.reference_files(spontaneous_config, task, sums)
        assert len([f for f in files if "_test" in f]) == 20
    snli = study.reference_files(spontaneous_config, "snli", sums)
    assert "data/snli/snli_en10k_train.json" in snli
    assert {f for f in snli if "question" in f} == {f"data/snli/snli_{x}10k_train_question.json"
                                                    for x in ("zh", "de", "es", "it", "sw")}
    assert not [f for f in study.reference_files(spontaneous_config, "amazon", sums) if "train" in f]  # from the Hub


def test_languages_without_the_authors_pairs_are_machine_translated(spontaneous_config):
    assert study.machine_translated(spontaneous_config, "snli") == ["hi", "bn"]
    assert study.machine_translated(spontaneous_config, "amazon") == study.qt_languages(spontaneous_config)
    assert study.machine_translated(spontaneous_config, "paws") == study.qt_languages(spontaneous_config)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"copies of the authors' files not beside the repository ({SHARED})")
def test_checksums_are_those_of_the_authors_files():
    """Each listed checksum is of a copy's content (decompressed where the copy is gzipped)."""
    sums = study.read_checksums(CHECKSUMS)
    data = {path: digest for path, digest in sums.items() if path.startswith("data/")}
    # beside the 67 data files, the analysis files (no copies here; checked against the authors'
    # git objects at the pinned commit: blobs a88f880b... and 842cba0e...)
    assert len(data) == 67 and set(sums) - set(data) >= set(study.ANALYSIS_FILES.values())
    for path, digest in data.items():
        copy_path = SHARED / path.removeprefix("data/")
        raw = copy_path.read_bytes() if copy_path.exists() else gzip.decompress(
            copy_path.with_name(copy_path.name + ".gz").read_bytes())
        assert hashlib.sha256(raw).hexdigest() == digest, path
