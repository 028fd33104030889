"""The Hub adapters (mcot_math, api_bank_hub), offline: small local files in the Hub datasets' schema
(tests/fixtures/hub/README.md) stand in for the Hub: ``datasets.load_dataset`` reads API-Bank's,
``huggingface_hub.hf_hub_download`` returns mCoT-MATH's local path (which the adapter streams)."""

import json
import re
import shutil
from pathlib import Path

import datasets
import huggingface_hub
import pytest
import yaml

from conftest import job_counts, run_snakemake
from mlpt import config as study_config
from mlpt import data, io, mixture_stage, translate
from mlpt.data import mcot_math, stream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/hub"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
MATH = {"n_train": 100, "n_val": 2, "n_test": 5, "hub_revision": COMMIT}
API = {"n_train": 100, "n_val": 1, "n_test": 10, "expect_pool": {"queries": 4, "apis": 2}}  # the fixture's pool
LANGS = ["en", "es", "ja"]
USABLE_MCOT = {"mcot-0", "mcot-10", "mcot-11", "mcot-12", "mcot-13", "mcot-14"}  # + one of mcot-1 / mcot-6
MCOT_FILE = "laihuiyuan/mCoT-MATH/lang-id/mcot-math.json"


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """The Hub, offline: a copy of tests/fixtures/hub (a test may edit it), read with the json loader
    or handed out as a local file; returns (the copy, the (repo, data file, revision) of every read)."""
    root = tmp_path / "hub"
    shutil.copytree(FIXTURES, root)
    load_json, loads = datasets.load_dataset, []

    def load_dataset(repo, data_files, revision, split):
        loads.append((repo, data_files, revision))
        return load_json("json", data_files=str(root / repo / data_files), split=split, cache_dir=str(tmp_path / "cache"))

    def hf_hub_download(repo, filename, repo_type, revision):
        assert repo_type == "dataset"
        loads.append((repo, filename, revision))
        return str(root / repo / filename)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    return root, loads


def mcot(root, languages=LANGS, **spec):
    return data.prepare("mcot_math", root / "resources", "math", dict(MATH, **spec), languages, "en", seed=1)


def api_hub(root, **spec):
    return data.prepare("api_bank_hub", root / "resources", "api", dict(API, **spec), ["en"], "en", seed=1)


def train_val(prepared):
    return [r for r in prepared.records + prepared.references if r["split"] != "test"]


def _edit_mcot_rows(root, edit):
    path = root / MCOT_FILE
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    edit(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# --- mCoT-MATH -------------------------------------------------------------------------------------


def test_mcot_english_items_are_records_and_translations_references(hub, root):
    prepared = mcot(root)
    for i, rec in enumerate(prepared.records + prepared.references):
        io.check_record(rec, "example", f"record {i}")
    english = [r for r in prepared.records if r["split"] != "test"]
    ids = {r["id"] for r in english}
    assert len(english) == 7 and USABLE_MCOT < ids and len(ids & {"mcot-1", "mcot-6"}) == 1
    assert [r["split"] for r in english].count("val") == 2
    split = {r["id"]: r["split"] for r in english}
    for lang in ("es", "ja"):
        refs = [r for r in prepared.references if r["lang"] == lang and r["split"] != "test"]
        assert {r["id"]: r["split"] for r in refs} == split and all(r["source"] == "mcot-math" for r in refs)
    tom = {r["lang"]: r for r in prepared.records + prepared.references if r["id"] == "mcot-0"}
    assert {r["answer"] for r in tom.values()} == {"10"}
    rows = {row["lang-id"]: row for row in map(json.loads, (hub[0] / MCOT_FILE).read_text(encoding="utf-8").splitlines())}
    for lang in LANGS:  # the solution as the dataset writes it: "#### 10" and the answer line included
        assert tom[lang]["reasoning"] == rows[f"{lang}-0"]["answer"] and tom[lang]["answer_stated"] is True
    assert tom["es"]["reasoning"].endswith("<<12-2=10>>10 manzanas.\n#### 10\nLa respuesta es: 10")
    assert [r["id"] for r in prepared.records if r["split"] == "test"] == [f"mgsm-{i:03d}" for i in range(5)]
    assert prepared.report["hub"] == {"repo": "laihuiyuan/mCoT-MATH", "revision": COMMIT, "commit": COMMIT,
                                      "data_files": ["lang-id/mcot-math.json"]}
    assert hub[1] == [("laihuiyuan/mCoT-MATH", "lang-id/mcot-math.json", COMMIT)]  # downloaded once, read as a stream


def test_mcot_items_whose_text_is_a_test_question_are_never_trained_on(hub, root):
    """Item 2's English question is MGSM item 0, item 3's Spanish question MGSM item 1 (es): both
    leave every language; the mixture stage's guard then finds nothing."""
    prepared = mcot(root)
    assert prepared.report["dropped"]["overlapping_test"] == 2
    assert not {"mcot-2", "mcot-3"} & {r["id"] for r in train_val(prepared)}
    assert not {data.text_hash(r["question"]) for r in train_val(prepared)} & prepared.forbidden
    guard = {"ids": [r["id"] for r in prepared.records + prepared.references if r["split"] == "test"],
             "hashes": sorted(prepared.forbidden)}
    mixture_stage.check_contamination(train_val(prepared), guard, "mCoT-MATH")
    test_rows = [json.loads(line) for line in (root / "resources/gsm8k/test.jsonl").open()]
    assert {data.text_hash(r["question"]) for r in test_rows} <= prepared.forbidden


def test_mcot_unusable_items_are_left_out_in_every_language_and_counted(hub, root):
    report = mcot(root).report
    assert report["pool"] == 14  # items 0-14 but 7, which has no Japanese row
    assert report["dropped"] == {"overlapping_test": 2, "non_numeric_answer": 1, "answer_not_read": 1,
                                 "duplicate_question": 1, "no_reasoning": 1, "no_answer_line": 1}
    assert report["checked"] == 14 and report["warning"].startswith("n_train=100 requested but only 5")
    assert report["file_reads"] == 2  # the index, then the texts of the items drawn
    assert report["answer_not_read"] == {"ja": 1}  # item 5: its Japanese solution states 7, not 8


def test_mcot_numeric_answer_filter_is_counted_over_the_whole_pool(hub, root):
    """The English answer check keeps items whose solution ends by stating one number: what it does
    to the pool is counted whatever the sample drawn (item 4 states a LaTeX fraction, 8 has no
    reasoning, 9 no answer statement)."""
    expected = {"pool": 14, "usable": 11, "empty_field": 0, "no_answer_line": 1, "no_reasoning": 1,
                "non_numeric_answer": 1, "usable_share": 0.7857}
    assert mcot(root).report["answer_filter"] == expected
    assert mcot(root, n_train=1, n_val=1).report["answer_filter"] == expected


def test_mcot_takes_only_the_items_it_needs_in_seeded_order(hub, root):
    small = mcot(root, n_train=2, n_val=1)
    assert small.report["train"] == 2 and small.report["val"] == 1 and small.report["checked"] < 14
    assert small.records == mcot(root, n_train=2, n_val=1).records
    assert {r["id"] for r in train_val(small)} <= {r["id"] for r in train_val(mcot(root))}


def test_mcot_translations_reach_the_translate_stage_as_references(hub, root, tmp_path):
    """references.jsonl carries mCoT-MATH's translations: the translate stage takes them (as it takes
    MGSM's for the test split) with an MT backend configured too, and never loads an MT model."""
    prepared = mcot(root)
    source, references = tmp_path / "source.jsonl", tmp_path / "references.jsonl"
    io.write_jsonl(source, prepared.records, schema="example")
    io.write_jsonl(references, prepared.references, schema="example")
    for backend in ("seq2seq", "reference"):
        out = tmp_path / f"ja-{backend}.jsonl"
        qc = translate.run(str(source), str(references), str(out), str(tmp_path / "qc.json"), task_kind="math",
                           src="en", tgt="ja", splits=["train", "val", "test"], backend={"backend": backend},
                           codes={}, mt_model=None)
        assert {split: s["method"] for split, s in qc["splits"].items()} == dict.fromkeys(["train", "val", "test"],
                                                                                        "reference")
        japanese = {(r["id"], r["split"]): r for r in prepared.references if r["lang"] == "ja"}
        written = list(io.read_jsonl(out, schema="example"))
        assert len(written) == 12 and all(japanese[(r["id"], r["split"])] == r for r in written)


def test_mcot_chains_of_thought_lose_their_calculator_annotations(hub, root):
    kept, stripped = mcot(root), mcot(root, strip_calculator_annotations=True)
    assert not any("<<" in r["reasoning"] for r in train_val(stripped))
    assert stripped.report["calculator_annotations_stripped"] == 3  # item 0 in en, es, ja
    tom = next(r for r in stripped.references if r["id"] == "mcot-0" and r["lang"] == "es")
    assert tom["reasoning"].split("\n")[0] == "Tom tiene 3 * 4 = 12 manzanas."
    assert [(r["id"], r["answer"]) for r in kept.records] == [(r["id"], r["answer"]) for r in stripped.records]


def test_study_language_missing_from_mcot_is_machine_translated(hub, root, monkeypatch):
    """A study language mCoT-MATH does not have gets no references: the translate stage uses MT for it."""
    monkeypatch.setattr(mcot_math, "MCOT_MATH_LANGUAGES", {k: v for k, v in data.MCOT_MATH_LANGUAGES.items() if k != "ja"})
    prepared = mcot(root)
    assert prepared.report["languages_by_mt"] == ["ja"]
    assert {r["lang"] for r in prepared.references if r["split"] != "test"} == {"es"}
    assert prepared.report["pool"] == 15  # item 7 (no Japanese row) counts now


def test_mcot_language_absent_from_the_file_is_an_error(hub, root):
    with pytest.raises(data.SourceError, match=r"mcot-math.json: no rows for language\(s\) \['sw'\]; field 'lang-id' "
                                               r"has the prefixes \['en', 'es', 'ja'\]"):
        mcot(root, languages=["en", "es", "sw"])


def test_mcot_file_without_a_column_names_it(hub, root):
    def rename(rows):
        for row in rows:
            row["lang"] = row.pop("lang-id").split("-")[0]
    _edit_mcot_rows(hub[0], rename)
    with pytest.raises(data.SourceError, match=r"mcot-math.json: row 0: column\(s\) \['lang-id'\] missing"):
        mcot(root)


def test_mcot_malformed_lang_id_names_the_row(hub, root):
    _edit_mcot_rows(hub[0], lambda rows: rows[3].__setitem__("lang-id", "en3"))
    with pytest.raises(data.SourceError, match=f"hf://datasets/laihuiyuan/mCoT-MATH@{COMMIT}/lang-id/mcot-math.json: "
                                               "row 3: field 'lang-id': expected '<language>-<item id>', got 'en3'"):
        mcot(root)


def test_a_branch_or_short_commit_is_read_at_the_commit_it_names(hub, root, monkeypatch):
    asked = []

    class Info:
        sha = "f" * 40

    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", lambda self, repo, revision: asked.append(revision) or Info)
    report = mcot(root, hub_revision="main").report
    assert report["hub"]["revision"] == "main" and report["hub"]["commit"] == "f" * 40
    assert hub[1][-1][2] == "f" * 40
    report = mcot(root, hub_revision=None).report  # the adapter's own revision: the commit that added lang-id/
    assert report["hub"]["revision"] == data.MCOT_MATH.revision == "722a05f" and asked == ["main", "722a05f"]


def test_unreachable_hub_says_where_to_run(hub, root, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(data.SourceError, match="hf://datasets/laihuiyuan/mCoT-MATH: could not be read .ConnectionError: "
                                               "offline.*where the Hub can be reached.*paper-offline.yaml"):
        mcot(root)
    with pytest.raises(data.SourceError, match="hf://datasets/liminghao1630/API-Bank: could not be read"):
        api_hub(root)


def test_mcot_targets_are_trained_as_the_dataset_writes_them_and_the_scorer_reads_them(hub, root):
    """The training response of an mCoT-MATH item is its solution, unchanged (no answer phrase of the
    project's is added), and the scorer reads the gold answer from it in every language."""
    from mlpt import prompts, scoring

    phrases = prompts.load_phrases(root / "resources" / prompts.PHRASES_FILE)
    kept = train_val(mcot(root))
    assert len(kept) == 21
    for rec in kept:
        response = prompts.render_response("math", rec, phrases)
        assert response == rec["reasoning"]
        assert scoring.score("math", response, rec["answer"], prompts.answer_phrases(phrases), rec["lang"])[1]


def test_mcot_solution_written_as_one_paragraph_is_kept(hub, root):
    """mCoT's own model writes non-English solutions as one paragraph ending "La respuesta es 12.":
    a translation without line breaks is kept (there is no line to cut), its answer read."""
    def one_paragraph(rows):
        for row in rows:
            if row["lang-id"] == "es-11":
                row["answer"] = "Recorre 60 * 3 = 180 km. La respuesta es 180."
    _edit_mcot_rows(hub[0], one_paragraph)
    train = {(r["id"], r["lang"]): r for r in train_val(mcot(root))}
    assert train[("mcot-11", "es")]["reasoning"] == "Recorre 60 * 3 = 180 km. La respuesta es 180."


def test_mcot_reads_one_json_array_as_it_reads_json_lines(hub, root):
    """The same rows as one indented JSON array (the shape datasets would read whole) give the same
    records, references and report."""
    lines_shape = mcot(root)
    path = hub[0] / MCOT_FILE
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("\ufeff" + json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")  # with a BOM
    array_shape = mcot(root)
    assert array_shape.records == lines_shape.records and array_shape.references == lines_shape.references
    assert array_shape.report == lines_shape.report


def test_mcot_is_never_read_with_datasets(hub, root, monkeypatch):
    def load_dataset(*args, **kwargs):
        raise AssertionError("datasets.load_dataset reads a JSON array whole")

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    assert mcot(root).report["train"] == 5


@pytest.mark.parametrize("shape", ["array", "json_lines"])
def test_json_rows_are_read_as_a_stream(tmp_path, shape):
    """Rows come out before the end of the file is read: a file of 3 MB whose last bytes are broken
    yields its first row, and the error names where the JSON breaks only when it is reached."""
    rows = [{"lang-id": f"en-{i}", "question": "q" * 300, "answer": "a" * 300} for i in range(5000)]
    if shape == "array":
        text = "[\n" + ",\n".join(json.dumps(r) for r in rows) + ",\n{\"lang-id\": "
        broken = r"x.json: not valid JSON after row 4999"
    else:
        text = "".join(json.dumps(r) + "\n" for r in rows) + "{\"lang-id\": \n"
        broken = r"x.json:5001: not valid JSON"
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    stream = data.iter_json_rows(path, "x.json")
    assert next(stream) == ("x.json: row 0", rows[0])
    with pytest.raises(data.SourceError, match=broken):
        for _ in stream:
            pass


def test_a_file_of_neither_shape_stops_before_it_fills_memory(tmp_path, monkeypatch):
    """One object spanning the file (a table of columns, say) is no JSON Lines file: a line longer
    than MAX_ROW_BYTES stops the read, naming the line."""
    monkeypatch.setattr(stream, "MAX_ROW_BYTES", 1000)
    path = tmp_path / "columns.json"
    path.write_text(json.dumps({"lang-id": [f"en-{i}" for i in range(500)]}), encoding="utf-8")
    with pytest.raises(data.SourceError, match=r"columns.json:1: a line longer than 1,000 bytes: the file is neither "
                                               r"one JSON array nor JSON Lines"):
        list(data.iter_json_rows(path, "columns.json"))
    path.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(data.SourceError, match=r"rows.json:2: expected a JSON object, got list"):
        list(data.iter_json_rows(path, "rows.json"))


def test_mcot_repeated_lang_id_names_the_row(hub, root):
    _edit_mcot_rows(hub[0], lambda rows: rows.append(dict(rows[3])))
    with pytest.raises(data.SourceError, match=r"mcot-math.json: row 44: field 'lang-id': 'en-3' repeats an earlier row"):
        mcot(root)


# --- API-Bank level-1/2 training calls ---------------------------------------------------------------


def test_api_bank_hub_reads_level_1_and_2_training_calls(hub, root):
    prepared = api_hub(root)
    for i, rec in enumerate(prepared.records):
        io.check_record(rec, "example", f"record {i}")
    splits = {r["id"]: r["split"] for r in prepared.records}
    assert sorted(i for i, s in splits.items() if s != "test") == [
        "apibank-lv1-00000", "apibank-lv1-00001", "apibank-lv2-00001", "apibank-lv2-00002"]
    assert list(splits.values()).count("val") == 1 and list(splits.values()).count("test") == 10
    assert prepared.report["dropped"] == {"tool_searcher": 1, "malformed": 1, "overlapping_test": 1}
    assert prepared.report["pool"] == 4 and prepared.report["apis"] == 2
    assert prepared.report["hub"]["commit"] == data.API_BANK_TRAIN.revision == "12e8158b7628c168f07e8f31fbbe3445e99f44cf"
    assert hub[1] == [("liminghao1630/API-Bank", f"training-data/{name}", data.API_BANK_TRAIN.revision)
                      for name in ("lv1-api-train.json", "lv2-api-train.json")]
    paris = next(r for r in prepared.records if r["id"] == "apibank-lv1-00000")
    assert paris["question"] == "User: What will the weather be in Paris on 2034-05-02?"
    assert paris["apis"].startswith('{"apiCode": "GetWeather"') and paris["call"] == "GetWeather(city='Paris', date='2034-05-02')"


def test_api_bank_hub_never_trains_on_a_test_dialogue(hub, root):
    """lv1 item 2 is the dialogue of level-1 test item 0: left out, and the guard covers the whole test set."""
    prepared = api_hub(root)
    assert "apibank-lv1-00002" not in {r["id"] for r in prepared.records}
    assert not {data.text_hash(r["question"]) for r in train_val(prepared)} & prepared.forbidden
    test = json.loads((root / "resources/api_bank/test-data/level-1-api.json").read_text(encoding="utf-8"))
    assert len(prepared.forbidden) == len({data.text_hash(t["input"].replace("Generate API Request:", "")) for t in test})


def test_api_bank_hub_item_without_a_field_names_file_item_and_field(hub, root):
    path = hub[0] / "liminghao1630/API-Bank/training-data/lv2-api-train.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    items[1]["output"] = ""
    path.write_text(json.dumps(items), encoding="utf-8")
    with pytest.raises(data.SourceError, match=f"hf://datasets/liminghao1630/API-Bank@{data.API_BANK_TRAIN.revision}/"
                                               "training-data/lv2-api-train.json: item 1: field 'output': expected "
                                               "non-empty text"):
        api_hub(root)


def test_api_bank_hub_stops_unless_the_pool_is_the_papers(hub, root):
    """Without expect_pool the Hub's pool must be the paper's 3,174 queries over 1,535 APIs: the
    fixture's 4 over 2 stop preparation, naming both counts and the key that would accept it."""
    with pytest.raises(data.SourceError, match=r"hf://datasets/liminghao1630/API-Bank: the API training pool has 4 "
                                               r"queries over 2 APIs \(after leaving out 1 tool_searcher, 1 malformed, "
                                               r"1 overlapping_test\), but 3,174 queries over 1,535 APIs are expected "
                                               r"\(the paper's pool\).*set tasks.api.expect_pool: "
                                               r"\{queries: 4, apis: 2\}"):
        api_hub(root, expect_pool=None)
    with pytest.raises(data.SourceError, match=r"4 queries over 2 APIs .*but 5 queries over 2 APIs are expected "
                                               r"\(tasks.api.expect_pool\)"):
        api_hub(root, expect_pool={"queries": 5, "apis": 2})
    assert data.PAPER_API_POOL == {"queries": 3174, "apis": 1535}
    assert api_hub(root).report["expected_pool"] == {"queries": 4, "apis": 2}


def test_expect_pool_is_refused_for_a_source_without_an_api_pool(hub, root):
    with pytest.raises(data.SourceError, match=r"tasks.math.expect_pool: only the API-Bank sources .* source "
                                               r"'mcot_math' has none"):
        mcot(root, expect_pool={"queries": 1, "apis": 1})


def test_prepare_data_receives_expect_pool_only_when_set(root):
    """The workflow passes the key to prepare_data when a config sets it (other runs' recorded
    provenance stays as it was)."""
    rules = (root / "workflow/rules/multilingual.smk").read_text()  # study A's input functions
    assert 'if task.get("expect_pool") is not None' in rules and 'spec["expect_pool"] = task["expect_pool"]' in rules


# --- the configs: paper.yaml reads the Hub, paper-offline.yaml the shipped substitutes ---------------


def test_paper_reads_the_hub_and_paper_offline_is_the_same_study_on_shipped_data(root):
    paper, offline = (study_config.load(root / f"config/{name}.yaml") for name in ("paper", "paper-offline"))
    assert {t: data.hub_dataset(s["source"]).repo for t, s in paper["tasks"].items()} == {
        "math": "laihuiyuan/mCoT-MATH", "api": "liminghao1630/API-Bank"}
    assert {t: s["source"] for t, s in offline["tasks"].items()} == {"math": "gsm8k_mgsm", "api": "api_bank"}
    assert (paper["tasks"]["api"]["n_train"], paper["tasks"]["api"]["n_val"]) == (3024, 150)  # 3,174, 150 held out
    assert all(s["strip_calculator_annotations"] for c in (paper, offline) for s in c["tasks"].values()
               if s["kind"] == "math")
    # everything else is paper.yaml's: paper-offline.yaml extends it (tests/unit/test_config_layers.py)


def test_prepare_data_runs_where_snakemake_runs(root):
    """It reads the Hub for mcot_math and api_bank_hub: a local rule, like download_model."""
    assert re.search(r"\n *localrules:\n +prepare_data,\n", (root / "workflow/rules/data.smk").read_text())
    script = (root / "workflow/scripts/prepare_data.py").read_text()
    assert script.index('os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "0"') < script.index(
        "data.prepare(")


@pytest.mark.workflow
def test_paper_offline_plans_the_220_runs_of_the_paper(root):
    cfg = yaml.safe_load((root / "config/paper-offline.yaml").read_text())
    assert cfg["run"] == "paper-offline"
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", "--configfile", "config/paper-offline.yaml").stdout)
    assert counts["sft"] == 220 and counts["evaluate"] == 230
    assert counts["prepare_data"] == 2 and counts["translate"] == 22 and counts["build_mixture"] == 44
