"""Source adapters: real shipped data → normalised records; no test item reaches training."""

import json

import pytest

from mlpt import data, io

LANGS = ["en", "es", "ja", "bn", "sw", "te", "fr", "de", "ru", "zh", "th"]


@pytest.fixture(scope="module")
def math(root):
    spec = {"n_train": 300, "n_val": 20, "n_test": 250}
    return data.prepare("gsm8k_mgsm", root / "resources", "math", spec, LANGS, "en", seed=1)


@pytest.fixture(scope="module")
def api(root):
    spec = {"n_train": 100, "n_val": 20, "n_test": 399}
    return data.prepare("api_bank", root / "resources", "api", spec, ["en"], "en", seed=1)


def _check_schema(records):
    for i, r in enumerate(records):
        io.check_record(r, "example", f"record {i}")


def test_math_splits(math):
    _check_schema(math.records + math.references)
    splits = {s: [r for r in math.records if r["split"] == s] for s in ("train", "val", "test")}
    assert (len(splits["train"]), len(splits["val"]), len(splits["test"])) == (300, 20, 250)
    assert not {r["id"] for r in splits["train"]} & {r["id"] for r in splits["val"]}
    assert all(r["id"].startswith("gsm8k-train-") for r in splits["train"] + splits["val"])
    assert len(math.references) == 250 * 10 and {r["lang"] for r in math.references} == set(LANGS) - {"en"}
    assert splits["test"][0]["answer"] == "18"  # MGSM item 0 (Janet's ducks)


def test_math_training_never_contains_test_text(math, root):
    # MGSM en == GSM8K test rows 0-249: none of their texts may be in train or val.
    train_hashes = {data.text_hash(r["question"]) for r in math.records if r["split"] != "test"}
    assert not train_hashes & math.forbidden
    test_rows = [json.loads(line) for line in (root / "resources/gsm8k/test.jsonl").open()]
    assert {data.text_hash(r["question"]) for r in test_rows[:250]} <= math.forbidden


def test_seeded_split_is_deterministic(root):
    spec = {"n_train": 50, "n_val": 5, "n_test": 5}
    a = data.prepare("gsm8k_mgsm", root / "resources", "math", spec, ["en"], "en", seed=7)
    b = data.prepare("gsm8k_mgsm", root / "resources", "math", spec, ["en"], "en", seed=7)
    c = data.prepare("gsm8k_mgsm", root / "resources", "math", spec, ["en"], "en", seed=8)
    assert a.records == b.records and a.records != c.records


def test_calculator_annotations_are_stripped_and_answers_kept(root):
    """GSM8K's <<48/2=24>> marks leave the reasoning (whole sentences reach MT); the answer and the
    answer line the model is taught stay as they were."""
    from mlpt import prompts

    spec = {"n_train": 7273, "n_val": 200, "n_test": 5}
    kept = data.prepare("gsm8k_mgsm", root / "resources", "math", spec, ["en"], "en", seed=1)
    stripped = data.prepare("gsm8k_mgsm", root / "resources", "math", dict(spec, strip_calculator_annotations=True),
                            ["en"], "en", seed=1)
    train = [r for r in stripped.records if r["split"] != "test"]
    assert len(train) == 7473 and not any("<<" in r["reasoning"] or ">>" in r["reasoning"] for r in train)
    assert stripped.report["calculator_annotations_stripped"] > 7000
    assert "calculator_annotations_stripped" not in kept.report
    natalia = next(r for r in stripped.records if r["id"] == "gsm8k-train-00000")
    assert natalia["reasoning"].split("\n")[0] == "Natalia sold 48/2 = 24 clips in May."
    phrases = prompts.load_phrases(root / "resources" / prompts.PHRASES_FILE)
    for before, after in zip(kept.records, stripped.records):
        assert (before["id"], before["answer"]) == (after["id"], after["answer"])
        if before["split"] != "test":
            last_line = [prompts.render_response("math", r, phrases).split("\n")[-1] for r in (before, after)]
            assert last_line[0] == last_line[1]


def test_api_bank(api):
    _check_schema(api.records)
    test = [r for r in api.records if r["split"] == "test"]
    assert len(test) == 399 and len({r["call"].split("(")[0] for r in test}) == 49
    assert api.report["dropped"]["tool_searcher"] > 400
    train = [r for r in api.records if r["split"] == "train"]
    assert len(train) == 100 and all("ToolSearcher(" not in r["call"] for r in train)
    assert all(r["apis"].startswith("{") for r in api.records)


def test_api_prompts_keep_the_date_their_gold_calls_need(api, root):
    """Every level-1 instruction says "The current year is 2023."; gold calls that hold a 2023 the
    dialogue never mentions (a date the model must complete) can only be right if the prompt shows it."""
    from mlpt import prompts

    phrases = prompts.load_phrases(root / "resources" / prompts.PHRASES_FILE)
    test = [r for r in api.records if r["split"] == "test"]
    needs_year = [r for r in test if "2023" in r["call"] and "2023" not in r["question"]]
    assert len(needs_year) == 33  # of 399, counted on the shipped file
    assert all(r["date"] == "The current year is 2023." for r in test)
    for r in needs_year:
        prompt = prompts.render_prompt("api_call", r, phrases)
        assert "\nThe current year is 2023.\nAPI descriptions:\n" in prompt
    # the level-3 training items carry an unfilled "{{time}}" placeholder: no date line, no empty line
    train = next(r for r in api.records if r["split"] == "train")
    assert "date" not in train
    assert "context.\nAPI descriptions:\n" in prompts.render_prompt("api_call", train, phrases)
    assert data.api_date_line("The current time is 2039-03-09 18:56:09 Wednesday.\nInput:") == \
        "The current time is 2039-03-09 18:56:09 Wednesday."


def test_malformed_source_line_is_named(tmp_path, root):
    res = tmp_path / "resources"
    (res / "gsm8k").mkdir(parents=True)
    (res / "mgsm").mkdir()
    (res / "gsm8k/train.jsonl").write_text('{"question": "q", "answer": "a #### 1"}\n{"question": oops}\n')
    (res / "gsm8k/test.jsonl").write_text('{"question": "t", "answer": "#### 2"}\n')
    (res / "mgsm/mgsm_en.tsv").write_text("t\t2\n")
    with pytest.raises(data.SourceError, match=r"train.jsonl:2: not valid JSON"):
        data.prepare("gsm8k_mgsm", res, "math", {"n_train": 1, "n_val": 0, "n_test": 1}, ["en"], "en", 0,
                     verify_checksums=False)


def test_missing_source_file_is_named(tmp_path):
    with pytest.raises(data.SourceError, match="gsm8k/train.jsonl, which does not exist"):
        data.prepare("gsm8k_mgsm", tmp_path, "math", {"n_train": 1, "n_val": 1, "n_test": 1}, ["en"], "en", 0)


def test_bad_record_in_pipeline_file_names_line_and_field(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "task": "math", "lang": "en", "split": "train", "question": "q", "answer": "1"}\n'
                    '{"id": "b", "task": "math", "lang": "en", "split": "dev", "question": "q", "answer": "1"}\n')
    with pytest.raises(io.RecordError, match=r"x.jsonl:2: field 'split'"):
        list(io.read_jsonl(path, schema="example"))
