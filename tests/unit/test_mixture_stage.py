"""Mixture files: parallel across languages, rendered prompts, and the contamination guard."""

import pytest

from mlpt import io, mixture


def _rec(i, lang, split="train", question=None):
    return {"id": f"it-{i}", "task": "math", "lang": lang, "split": split, "question": question or f"question {i} {lang}",
            "reasoning": f"step {i}", "answer": str(i)}


@pytest.fixture
def files(tmp_path):
    out = {}
    for lang in ("en", "es"):
        recs = [_rec(i, lang) for i in range(6)] + [_rec(9, lang, "val")]
        if lang == "es":
            del recs[2]  # dropped by translation QC in es only
            recs[0]["flags"] = ["language"]  # flagged but kept (policy flag): still used
        out[lang] = str(tmp_path / f"{lang}.jsonl")
        io.write_jsonl(out[lang], recs, schema="example")
    guard = tmp_path / "guard.json"
    io.write_json(guard, {"ids": ["mgsm-000"], "hashes": []})
    return out, str(guard)


def test_mixture_is_parallel_and_rendered(files, tmp_path, root):
    langs, guard = files
    manifest = mixture.build(langs, guard, str(root / "resources/prompts/phrases.yaml"), str(tmp_path / "m.jsonl"),
                             str(tmp_path / "m.json"), kind="math", mixture="en-es", seed=1)
    recs = list(io.read_jsonl(tmp_path / "m.jsonl", schema="train_record"))
    assert manifest["counts"] == {"en": {"train": 5, "val": 1}, "es": {"train": 5, "val": 1}}
    assert manifest["dropped_ids"] == ["it-2"] and manifest["dropped_not_parallel"] == {"en": 1, "es": 0}
    assert "it-2" not in {r["id"] for r in recs} and "it-0" in {r["id"] for r in recs if r["lang"] == "es"}
    assert {r["id"] for r in recs if r["lang"] == "en"} == {r["id"] for r in recs if r["lang"] == "es"}
    es = next(r for r in recs if r["lang"] == "es")
    assert es["prompt"].endswith("Pensemos paso a paso.") and "La respuesta es" in es["response"]


def test_guard_fires_on_a_test_id(files, tmp_path, root):
    langs, guard = files
    io.write_jsonl(langs["es"], [_rec(0, "es"), {**_rec(1, "es"), "id": "mgsm-000"}], schema="example")
    with pytest.raises(mixture.ContaminationError, match="mgsm-000"):
        mixture.build(langs, guard, str(root / "resources/prompts/phrases.yaml"), str(tmp_path / "m.jsonl"),
                      str(tmp_path / "m.json"), kind="math", mixture="en-es", seed=1)
    assert not (tmp_path / "m.jsonl").exists()


def test_guard_fires_on_test_text_under_another_id():
    from mlpt.data import text_hash

    guard = {"ids": [], "hashes": [text_hash("Janet's ducks lay 16 eggs per day.")]}
    with pytest.raises(mixture.ContaminationError, match="same text as a test item"):
        mixture.check_contamination([_rec(1, "en", question="janet’s  DUCKS lay 16 eggs per day")], guard, "f")
