"""A language without a human MGSM file (Korean, eval-only): its math test set is the English MGSM
items machine-translated by the translate stage, and accuracy.csv and Table 1 say so.

The Korean prompt phrases live in a copy of resources/ (the shipped files are never edited)."""

import shutil

import pytest
import yaml

from mlpt import analysis, data, io, languages, prompts, translate

LANGS = ["en", "es", "ko"]
KO_PHRASES = {
    "step_by_step": "단계별로 생각해 봅시다.",
    "answer": "답은 {answer}입니다.",
    "answer_phrases": ["답은", "정답은", "답:"],
    "numbers": {"thousands": [","], "decimal": "."},
    "sentence_end": "latin",
    "bleu_tokenize": "13a",
    "family": "Koreanic",
    "subfamily": "Korean",
    "script": "Hangul",
}
MATH = {"n_train": 20, "n_val": 4, "n_test": 6}


@pytest.fixture(scope="module")
def ko_resources(root, tmp_path_factory):
    """A copy of the shipped resources with Korean prompt phrases, and (as shipped) no mgsm_ko.tsv."""
    res = tmp_path_factory.mktemp("ko") / "resources"
    shutil.copytree(root / "resources", res)
    path = res / prompts.PHRASES_FILE
    phrases = yaml.safe_load(path.read_text(encoding="utf-8"))
    phrases["languages"]["ko"] = KO_PHRASES
    path.write_text(yaml.safe_dump(phrases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert not (res / "mgsm/mgsm_ko.tsv").exists()
    return res


@pytest.fixture(scope="module")
def prepared(ko_resources):
    return data.prepare("gsm8k_mgsm", ko_resources, "math", MATH, LANGS, "en", seed=1)


def test_the_math_adapter_reads_no_file_for_a_language_without_human_mgsm(ko_resources, prepared):
    files = data.source_files("gsm8k_mgsm", ko_resources, LANGS)
    assert str(ko_resources / "mgsm/mgsm_es.tsv") in files and not [f for f in files if "mgsm_ko" in f]
    tests = [r for r in prepared.records if r["split"] == "test"]
    assert len(tests) == MATH["n_test"] and {r["lang"] for r in tests} == {"en"}
    test_refs = [r for r in prepared.references if r["split"] == "test"]
    assert {r["lang"] for r in test_refs} == {"es"} and len(test_refs) == MATH["n_test"]
    assert prepared.report["test_sets"] == {"en": "human", "es": "human", "ko": "machine-translated"}


def test_the_korean_phrases_are_read_with_their_number_notation(ko_resources):
    phrases = prompts.load_phrases(ko_resources / prompts.PHRASES_FILE)
    assert phrases["languages"]["ko"]["answer"].format(answer=18) == "답은 18입니다."
    assert "ko" in languages.number_notations(phrases)


def _fake_mt(texts, src, tgt):
    """Every output empty: each translated record fails QC (check ``empty``)."""
    return ["" for _ in texts]


@pytest.mark.parametrize("lang, method", [("ko", "mt:seq2seq"), ("es", "reference")])
def test_the_test_split_is_machine_translated_only_without_a_reference(tmp_path, monkeypatch, prepared, lang, method):
    """Korean's test items go through MT with the task's backend and are kept, flagged, even under
    the drop policy; Spanish takes MGSM's human translation."""
    source, references = tmp_path / "source.jsonl", tmp_path / "references.jsonl"
    io.write_jsonl(source, prepared.records, schema="example")
    io.write_jsonl(references, prepared.references, schema="example")
    monkeypatch.setattr(translate, "make_translator", lambda *args, **kwargs: _fake_mt)
    backend = {"backend": "seq2seq", "batch_size": 4, "num_beams": 1, "max_new_tokens": 16, "qc": {"policy": "drop"}}
    qc = translate.run(str(source), str(references), str(tmp_path / "out.jsonl"), str(tmp_path / "qc.json"),
                       task_kind="math", src="en", tgt=lang, splits=["test"], backend=backend,
                       codes={"en": "eng_Latn", "es": "spa_Latn", "ko": "kor_Hang"}, mt_model=None,
                       languages={code: {} for code in LANGS})
    out = list(io.read_jsonl(tmp_path / "out.jsonl", schema="example"))
    assert qc["splits"]["test"]["method"] == method and len(out) == MATH["n_test"]
    assert qc["splits"]["test"].get("dropped", 0) == 0
    machine = {r["source"].startswith("mt:") for r in out}
    assert machine == {prepared.report["test_sets"][lang] == "machine-translated"}
    if lang == "ko":
        assert all(r["source"] == "mt:en->ko" and "empty" in r["flags"] for r in out)


MODELS = {"m": {"family": "qwen3", "params_b": 0.5}}
LANGUAGES = {"en": {"name": "English", "resource": "high", "role": "core"},
             "es": {"name": "Spanish", "resource": "high", "role": "core"},
             "ko": {"name": "Korean", "resource": "high", "role": "eval"}}


def _summary(path, mixture: str) -> str:
    per_lang = {lang: {"n": 10, "correct": 3, "accuracy": 0.3, "fidelity": 1.0, "hit_max_gen_toks": 0} for lang in LANGS}
    io.write_json(path, {"model": "m", "mixture": mixture, "task": "math", "languages": per_lang})
    return str(path)


def test_accuracy_rows_say_where_the_test_set_came_from(tmp_path, ko_resources):
    test_sets = {"math": data.origin_of_test_sets("gsm8k_mgsm", ko_resources, LANGS, "en")}
    files = [_summary(tmp_path / "pretrained.json", "pretrained"), _summary(tmp_path / "en.json", "en")]
    acc = analysis.collect(files, MODELS, LANGUAGES, {"en": ["en"]}, test_sets)
    assert list(acc.columns) == analysis.ACCURACY_COLUMNS and acc.columns[-1] == "test_set"
    assert len(acc) == 6
    assert acc.groupby("lang")["test_set"].unique().map(list).to_dict() == {
        "en": ["human"], "es": ["human"], "ko": ["machine-translated"]}


def test_table1_flags_the_machine_translated_test_set_per_task(ko_resources):
    test_sets = {"math": data.origin_of_test_sets("gsm8k_mgsm", ko_resources, LANGS, "en"),
                 "api": data.origin_of_test_sets("api_bank", ko_resources, LANGS, "en"),
                 "control": data.origin_of_test_sets("synthetic_arithmetic", ko_resources, LANGS[:2], "en")}
    test_sets["control"]["ko"] = "human"  # given Korean templates (this copy of resources/ has none: below)
    with pytest.raises(data.SourceError, match="no templates for languages \\['ko'\\]"):
        data.origin_of_test_sets("synthetic_arithmetic", ko_resources, LANGS, "en")
    table = analysis.table1_languages(LANGUAGES, test_sets, ko_resources / prompts.PHRASES_FILE).set_index("code")
    assert list(table.columns) == ["language", "family", "subfamily", "script", "resource", "role", "test_set_math",
                                   "test_set_api", "test_set_control"]
    assert table.loc["ko", ["family", "script"]].tolist() == ["Koreanic", "Hangul"]
    assert table["test_set_math"].to_dict() == {"en": "human", "es": "human", "ko": "machine-translated"}
    # API-Bank's test set is English only: every other language's is machine-translated
    assert table["test_set_api"].to_dict() == {"en": "human", "es": "machine-translated", "ko": "machine-translated"}
    assert set(table["test_set_control"]) == {"human"}  # written per language (control/templates.yaml)


def test_every_job_reads_the_runs_language_table_scoring_included(ko_resources, monkeypatch):
    """A language added the documented way (a copy of resources/ named by resources_dir) is scored
    with its own notation: each job selects the run's table (mlpt.logs.setup), not the shipped one."""
    from types import SimpleNamespace

    from mlpt import logs, scoring

    monkeypatch.delenv(languages.TABLE_VARIABLE, raising=False)
    with pytest.raises(ValueError, match="no number notation for language 'ko' in .*resources/prompts/phrases.yaml"):
        languages.number_notation("ko")  # the shipped table lacks Korean
    job = SimpleNamespace(log=[str(ko_resources.parent / "job.log")], threads=1,
                          config={"resources_dir": str(ko_resources)})
    monkeypatch.setattr("sys.stdout", __import__("sys").stdout)  # logs.setup redirects; monkeypatch restores
    monkeypatch.setattr("sys.stderr", __import__("sys").stderr)
    monkeypatch.setattr("sys.excepthook", __import__("sys").excepthook)
    logs.setup(job)
    assert languages.active_table() == (ko_resources / prompts.PHRASES_FILE).resolve()
    assert languages.number_notation("ko") == languages.NumberNotation((",",), ".")
    assert scoring.extract_number("답은 1,250입니다.", lang="ko") == "1250"
