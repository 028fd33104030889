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


#: The authors' conditions with a question-translation file at 5605459c, per task (their file names).
AUTHORS_GRID = {
    "amazon": ["zh", "de", "es", "it", "hi", "sw", "bn", "ja", "ru", "sv", "th", "zh-de", "hi-sw", "zh-it", "zh-es",
               "sw-bn", "th-sw", "zh-sw", "zh-de-it", "zh-es-ru", "en2zh-ja2zh", "it2zh-ja2zh", "hi2zh-sw2zh"],
    "snli": ["zh", "de", "es", "it", "hi", "sw", "bn", "zh-de", "hi-sw", "zh-it", "zh-es", "sw-bn"],
    "paws": ["zh", "de", "es", "it", "hi", "sw", "zh-de", "hi-sw", "zh-it", "zh-es"],
}


def test_the_paper_config_plans_the_authors_condition_grid(spontaneous_config):
    conds = study.mixtures(spontaneous_config)
    for task, grid in AUTHORS_GRID.items():
        assert list(study.task_mixtures(spontaneous_config, task)) == ["pretrained", *grid], task
        planned = {frozenset(m.directions) for m in study.task_mixtures(spontaneous_config, task).values()}
        assert planned - {frozenset()} == set(study.authors_conditions(task)), task  # read from their file names
    assert sum(len(files) for files in study.QT_FILES.values()) == 45  # and Amazon's English questions: 46
    assert conds["pretrained"].languages == () and conds["zh-de"].languages == ("zh", "de")
    assert conds["hi-sw"].languages == ("hi", "sw")  # config order: names are stable
    assert conds["en2zh-ja2zh"].target == "zh" and conds["en2zh-ja2zh"].languages == ("en", "ja")
    assert study.trained(spontaneous_config) == list(conds)[1:]
    assert study.qt_directions(spontaneous_config, "paws") == ["zh", "de", "es", "it", "hi", "sw"]
    assert study.qt_directions(spontaneous_config, "amazon")[-5:] == ["en2zh", "ja2zh", "it2zh", "hi2zh", "sw2zh"]
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
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["en"]}), ("mixtures/10/languages/0", "pivot")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["ko"]}), ("'mixtures/10", "")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["zh"], "target": "zh"}),
     ("mixtures/10/languages/0", "'zh' is the mixture's target")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["de"], "target": "ko"}),
     ("mixtures/10/target", "'ko' is not in 'languages'")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["fr"], "tasks": ["xnli"]}),
     ("'mixtures/10", "xnli")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["fr"], "tasks": ["amazon", "amazon"]}),
     ("'mixtures/10", "unique")),
    (lambda c: c["mixtures"][0].update(target="zh"), ("mixtures/0/target", "the pretrained model takes no target")),
    (lambda c: c["analysis"]["lens"].update(task="paws", mixtures=["ja"]),
     ("analysis/lens/mixtures", "'ja' is not tuned on task 'paws'")),
    (lambda c: c["mixtures"].append({"family": "single", "languages": ["zh"]}), ("mixture 'zh' is defined twice",)),
    (lambda c: c["mixtures"].append({"family": "pair", "languages": ["zh", "de"]}), ("family 'pair' takes pairs",)),
    (lambda c: c["mixtures"].append({"family": "pair", "pairs": [["de", "zh"]]}), ("'zh-de' is defined twice",)),
    (lambda c: c["sft"].update(method="full"), ("sft/method", "LoRA")),
    (lambda c: c["sft"].update(selection="val_accuracy"), ("sft/selection", "'val_loss'")),
    (lambda c: c.update(conditons=[]), ("unknown key", "conditons")),
    (lambda c: c["languages"].update(ko={"name": "Korean", "resource": "high"}), ("key 'languages'", "'ko'")),
    (lambda c: c["tasks"]["snli"].update(n_test=50), ("tasks/snli/n_test",)),
    (lambda c: (c["languages"]["bn"].pop("nllb"), c["mixtures"][2].update(tasks=["amazon", "snli", "paws"])),
     ("languages/bn/nllb", "machine-translated for task 'paws'")),  # PAWS bn: no authors' file
    (lambda c: c["cluster"]["sft"][1].update(gpus=3), ("global_batch_size 16", "'qwen15-14b'")),
    (lambda c: c.update(mixtures=[{"family": "pretrained"}]), ("no mixture tunes",)),
])
def test_bad_configs_are_named(spontaneous_config, edit, fragments):
    edit(spontaneous_config)
    _fails(spontaneous_config, *fragments)


def test_a_task_the_config_lacks_is_named():
    demo = study_config.load(ROOT / "config/spontaneous-demo.yaml")
    demo["mixtures"].append({"family": "single", "languages": ["de"], "tasks": ["snli", "amazon"]})
    _fails(demo, "mixtures/3/tasks/1", "task 'amazon' is not in 'tasks'")


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
    # every question-translation file the authors published for a task is read: the paper config
    # plans all their conditions
    for task in spontaneous_config["tasks"]:
        files = study.reference_files(spontaneous_config, task, sums)
        assert {f for f in files if f in sums and f.endswith("question.json") and "_en10k_" not in f} == set(
            study.QT_FILES[task]), task
    amazon = study.reference_files(spontaneous_config, "amazon", sums)
    assert amazon["data/ap_emotion/emotion_en10k_question.json"].startswith("b7526bea")  # Amazon's English questions


def test_only_pairs_the_authors_did_not_publish_are_machine_translated(spontaneous_config):
    """Every set of pairs of the paper config is the authors': no language's questions are
    machine-translated; a condition they have no file for is (PAWS bn), and only it."""
    sums = study.read_checksums(CHECKSUMS)
    for task in spontaneous_config["tasks"]:
        assert study.machine_translated(spontaneous_config, task, sums) == [], task
        assert {s.origin for s in study.qt_sets(spontaneous_config, task, sums).values()} == {"authors"}
    sets = study.qt_sets(spontaneous_config, "amazon", sums)
    assert sets["zh-de"].file == "data/ap_emotion/emotion_zhde10k_question.json" and sets["zh-de"].condition
    assert sets["hi-sw"].file == "data/ap_emotion/emotion_swhi10k_question.json"  # the authors' order in the name
    assert sets["en2zh"].file == sets["en2zh-ja2zh"].file == "data/ap_emotion/emotion_en2zhja2zh10k_question.json"
    assert sets["ja2zh"].file == sets["en2zh"].file  # the first file that holds it
    assert study.mixture_qt_sets(spontaneous_config, "amazon", "zh-de", sums) == ["zh-de"]
    report = study.qt_provenance(spontaneous_config, "snli", sums)
    assert report["bn"] == {"pairs": "authors", "sets": {"bn": {"origin": "authors",
                                                                "file": "data/snli/snli_bn10k_train_question.json"}}}
    spontaneous_config["mixtures"][2]["tasks"] = ["amazon", "snli", "paws"]  # bn on PAWS too
    study_config.validate(spontaneous_config, source="b.yaml")
    assert study.machine_translated(spontaneous_config, "paws", sums) == ["bn"]
    assert study.qt_origin(spontaneous_config, "paws", "bn", sums) == "machine-translated"
    assert study.qt_origin(spontaneous_config, "paws", "zh", sums) == "authors"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"copies of the authors' files not beside the repository ({SHARED})")
def test_checksums_are_those_of_the_authors_files():
    """Each listed checksum is of a copy's content (decompressed where the copy is gzipped)."""
    sums = study.read_checksums(CHECKSUMS)
    data = {path: digest for path, digest in sums.items() if path.startswith("data/")}
    # beside the 67 data files seen here, the analysis files (no copies here; checked against the
    # authors' git objects at the pinned commit: blobs a88f880b... and 842cba0e...) and the 41 files
    # listed by their git blob ids (never seen here)
    seen = {path: digest for path, digest in data.items() if len(digest) == 64}
    assert len(seen) == 67 and len(data) - len(seen) == 41
    assert set(sums) - set(data) >= set(study.ANALYSIS_FILES.values())
    for path, digest in seen.items():
        copy_path = SHARED / path.removeprefix("data/")
        raw = copy_path.read_bytes() if copy_path.exists() else gzip.decompress(
            copy_path.with_name(copy_path.name + ".gz").read_bytes())
        assert hashlib.sha256(raw).hexdigest() == digest, path
