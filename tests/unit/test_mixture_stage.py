"""Mixture files: the same items in every mixture of a task, rendered prompts, and the contamination guard."""

import pytest

from mlpt import io, mixture_stage

LANGS = ("en", "es", "ja")


def _rec(i, lang, split="train", question=None):
    return {"id": f"it-{i}", "task": "math", "lang": lang, "split": split, "question": question or f"question {i} {lang}",
            "reasoning": f"step {i}", "answer": str(i)}


@pytest.fixture
def files(tmp_path):
    """Translated records of three training languages: it-2 dropped by QC in ja only, val it-8 in es
    only (policy drop removes flagged records); it-0 flagged but kept in es (policy flag)."""
    out = {}
    for lang in LANGS:
        recs = [_rec(i, lang) for i in range(6)] + [_rec(8, lang, "val"), _rec(9, lang, "val"), _rec(50, lang, "test")]
        if lang == "ja":
            recs = [r for r in recs if r["id"] != "it-2"]
        if lang == "es":
            recs = [r for r in recs if r["id"] != "it-8"]
            recs[0]["flags"] = ["language"]
        out[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(out[lang], recs, schema="example")
    guard = tmp_path / "guard.json"
    io.write_json(guard, {"ids": ["mgsm-000"], "hashes": []})
    return out, str(guard)


@pytest.fixture
def items(files, tmp_path):
    langs, _ = files
    path = str(tmp_path / "items.json")
    mixture_stage.select_items(langs, path, task="math")
    return path


def _build(files, items, tmp_path, root, name, languages):
    langs, guard = files
    return mixture_stage.build({lang: langs[lang] for lang in languages}, items, guard,
                         str(root / "resources/prompts/phrases.yaml"), str(tmp_path / "mixtures" / f"{name}.jsonl"),
                         str(tmp_path / "mixtures" / f"{name}.json"), kind="math", mixture=name, seed=1)


def test_selection_keeps_items_present_in_every_training_language(files, tmp_path):
    langs, _ = files
    selection = mixture_stage.select_items(langs, str(tmp_path / "items.json"), task="math")
    assert selection == io.read_json(tmp_path / "items.json")
    assert selection["items"] == {"train": ["it-0", "it-1", "it-3", "it-4", "it-5"], "val": ["it-9"]}
    assert selection["counts"] == {"train": 5, "val": 1}
    assert selection["dropped"] == {"en": {"train": 0, "val": 0}, "es": {"train": 0, "val": 1},
                                    "ja": {"train": 1, "val": 0}}
    assert selection["dropped_ids"] == [{"split": "train", "id": "it-2", "languages": ["ja"]},
                                        {"split": "val", "id": "it-8", "languages": ["es"]}]
    assert "translation QC" in selection["reason"] and len(selection["sha256"]) == 64


def test_an_item_dropped_in_one_language_leaves_every_mixture(files, items, tmp_path, root):
    """Also the mixtures without that language: English-only trains on the same items as en-ja."""
    manifests = {name: _build(files, items, tmp_path, root, name, languages)
                 for name, languages in {"en": ["en"], "en-es": ["en", "es"], "en-ja": ["en", "ja"],
                                         "all": list(LANGS)}.items()}
    for name, manifest in manifests.items():
        recs = list(io.read_jsonl(tmp_path / "mixtures" / f"{name}.jsonl", schema="train_record"))
        ids = {r["id"] for r in recs}
        assert "it-2" not in ids and "it-8" not in ids and "it-50" not in ids, name
        assert ids == {"it-0", "it-1", "it-3", "it-4", "it-5", "it-9"}, name
        for lang in manifest["languages"]:
            assert {r["id"] for r in recs if r["lang"] == lang} == ids, (name, lang)
        assert all(c == {"train": 5, "val": 1} for c in manifest["counts"].values()), name
        assert len(recs) == 6 * len(manifest["languages"])  # k languages -> k·N examples
    assert len({(m["items"]["sha256"], m["items"]["train"], m["items"]["val"]) for m in manifests.values()}) == 1
    assert manifests["en"]["dropped_ids"] == ["it-2", "it-8"]


def test_flagged_records_kept_by_the_policy_are_used_and_rendered(files, items, tmp_path, root):
    _build(files, items, tmp_path, root, "en-es", ["en", "es"])
    recs = list(io.read_jsonl(tmp_path / "mixtures" / "en-es.jsonl", schema="train_record"))
    assert "it-0" in {r["id"] for r in recs if r["lang"] == "es"}
    es = next(r for r in recs if r["lang"] == "es")
    assert es["prompt"].endswith("Pensemos paso a paso.") and "La respuesta es" in es["response"]


def test_without_drops_every_item_is_shared(tmp_path):
    """Policies flag and keep remove nothing: the selection is every train/val item."""
    langs = {}
    for lang in ("en", "es"):
        langs[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(langs[lang], [_rec(i, lang) for i in range(3)] + [_rec(7, lang, "val")], schema="example")
    selection = mixture_stage.select_items(langs, str(tmp_path / "items.json"), task="math")
    assert selection["counts"] == {"train": 3, "val": 1} and selection["dropped_ids"] == []


def test_a_split_with_no_shared_item_stops_the_selection(tmp_path):
    langs = {}
    for lang, ids in (("en", [0, 1]), ("es", [2])):
        langs[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(langs[lang], [_rec(i, lang) for i in ids] + [_rec(7, lang, "val")], schema="example")
    with pytest.raises(ValueError, match="no train item is present in every training language"):
        mixture_stage.select_items(langs, str(tmp_path / "items.json"), task="math")
    assert not (tmp_path / "items.json").exists()


def test_a_selected_item_missing_from_a_language_is_an_error(files, items, tmp_path, root):
    langs, _ = files
    io.write_jsonl(langs["es"], [_rec(i, "es") for i in range(6) if i != 4] + [_rec(9, "es", "val")], schema="example")
    with pytest.raises(ValueError, match=r"1 item\(s\) selected for every mixture are missing.*train:it-4"):
        _build(files, items, tmp_path, root, "en-es", ["en", "es"])


def test_a_language_the_selection_did_not_read_is_an_error(files, tmp_path, root):
    langs, _ = files
    items = str(tmp_path / "items.json")
    mixture_stage.select_items({"en": langs["en"]}, items, task="math")
    with pytest.raises(ValueError, match=r"trains on \['es'\]"):
        _build(files, items, tmp_path, root, "en-es", ["en", "es"])


def test_guard_fires_on_a_test_id(files, items, tmp_path, root):
    langs, _ = files
    io.write_jsonl(langs["es"], [_rec(0, "es"), {**_rec(1, "es"), "id": "mgsm-000"}], schema="example")
    with pytest.raises(mixture_stage.ContaminationError, match="mgsm-000"):
        _build(files, items, tmp_path, root, "en-es", ["en", "es"])
    assert not (tmp_path / "mixtures" / "en-es.jsonl").exists()


def test_guard_fires_on_test_text_under_another_id():
    from mlpt.data import text_hash

    guard = {"ids": [], "hashes": [text_hash("Janet's ducks lay 16 eggs per day.")]}
    with pytest.raises(mixture_stage.ContaminationError, match="same text as a test item"):
        mixture_stage.check_contamination([_rec(1, "en", question="janet’s  DUCKS lay 16 eggs per day")], guard, "f")
