"""Per-example translation QC: each check, the policies, and counts written whatever the policy."""

import pytest

from mlpt import translate
from mlpt import translation_qc as tqc


def _checker(**settings):
    return tqc.Checker(tqc.Settings(**settings), languages=["en", "es", "ja"])


@pytest.mark.parametrize("token, canonical", [
    ("1,500", "1500"), ("1.500", "1500"), ("1\u202f500", "1500"), ("1,000.50", "1000.5"), ("2,5", "2.5"),
    ("3.50", "3.5"), ("007", "7"), ("১২", "12"), ("１２", "12"), ("๓", "3"),
])
def test_numbers_are_normalised(token, canonical):
    assert tqc.normalise_number(token) == canonical


def test_each_check_fires_on_its_own_problem():
    check = _checker().check
    ok_src = "Natalia sold 1,500 clips to her friends in April."
    ok_out = "Natalia vendió 1.500 clips a sus amigas en abril."
    assert check([(ok_src, ok_out)], [(ok_src, ok_out)], "es") == []
    assert check([(ok_src, "Natalia vendió clips a sus amigas en abril.")], [], "es") == ["numbers"]
    assert check([(ok_src, ok_src)], [], "es") == ["language", "untranslated"]
    assert check([(ok_src, "N. 1500")], [], "es") == ["length_ratio"]
    assert check([(ok_src, "")], [], "es") == ["empty", "numbers", "length_ratio"]
    src_field, out_field = "a <<1+2=3>>3\nb", "a 3\nb"
    assert check([], [(src_field, out_field)], "es") == ["structure"]


def test_short_outputs_skip_language_id():
    assert _checker(langid_min_chars=100).check([("Hello there friend", "Hello there friend")], [], "ja") == ["untranslated"]


def _flagged(n=3):
    return [{"id": f"i{k}", "split": "train", "flags": ["numbers"] if k == 1 else []} for k in range(n)]


def test_policy_drop_removes_flagged_train_rows_and_counts():
    kept, counts = tqc.apply_policy(_flagged(), "drop", "train")
    assert [r["id"] for r in kept] == ["i0", "i2"]
    assert counts["dropped"] == 1 and counts["dropped_ids"] == ["i1"] and counts["checks"]["numbers"] == 1
    assert "1 flagged (by check: numbers 1); policy drop: 1 dropped" in tqc.describe(counts)


def test_test_rows_are_never_dropped():
    kept, counts = tqc.apply_policy(_flagged(), "drop", "test")
    assert len(kept) == 3 and counts["dropped"] == 0 and counts["flagged"] == 1


@pytest.mark.parametrize("policy, has_flags", [("flag", True), ("keep", False)])
def test_flag_and_keep_keep_every_row(policy, has_flags):
    kept, counts = tqc.apply_policy(_flagged(), policy, "train")
    assert len(kept) == 3 and counts["checks"]["numbers"] == 1
    assert ("flags" in kept[1]) == has_flags


def test_unknown_policy_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="translation/qc/policy"):
        tqc.Settings.from_config({"policy": "maybe"})


def _source_files(tmp_path, records):
    from mlpt import io

    io.write_jsonl(tmp_path / "src.jsonl", records, schema="example")
    io.write_jsonl(tmp_path / "refs.jsonl", [], schema="example")
    return str(tmp_path / "src.jsonl"), str(tmp_path / "refs.jsonl")


def _run(tmp_path, records, translator, policy, tgt="es", **kw):
    import unittest.mock

    src_file, refs = _source_files(tmp_path, records)
    backend = {"backend": "seq2seq", "batch_size": 4, "num_beams": 1, "max_new_tokens": 16, "qc": {"policy": policy}}
    with unittest.mock.patch.object(translate, "make_translator", lambda *a, **k: translator):
        qc = translate.run(src_file, refs, str(tmp_path / "out.jsonl"), str(tmp_path / "qc.json"), task_kind="math",
                           src="en", tgt=tgt, splits=["train"], backend=backend, codes={}, mt_model=None,
                           languages={"en": {}, "es": {}}, **kw)
    from mlpt import io

    return qc, list(io.read_jsonl(tmp_path / "out.jsonl", schema="example"))


MATH = [{"id": f"m{k}", "task": "math", "lang": "en", "split": "train", "question": f"Tom has {k + 2} apples.",
         "reasoning": f"He has {k + 2} apples.", "answer": str(k + 2)} for k in range(3)]


def drop_numbers_of_m1(texts, src, tgt):
    return [t.replace("3", "") if "3" in t else f"Tomás tiene manzanas {t.split()[2]}." for t in texts]


def test_run_writes_counts_and_applies_the_policy(tmp_path, caplog):
    caplog.set_level("INFO")
    qc, recs = _run(tmp_path, MATH, drop_numbers_of_m1, "drop")
    train = qc["splits"]["train"]
    assert [r["id"] for r in recs] == ["m0", "m2"] and train["dropped_ids"] == ["m1"]
    assert train["checks"]["numbers"] == 1 and train["method"] == "mt:seq2seq"
    assert "QC es train: 3 records" in caplog.text
    qc, recs = _run(tmp_path, MATH, drop_numbers_of_m1, "flag")
    assert len(recs) == 3 and qc["splits"]["train"]["dropped"] == 0 and "numbers" in recs[1]["flags"]


def test_malformed_source_record_names_file_and_line(tmp_path):
    from mlpt import io

    path = tmp_path / "src.jsonl"
    path.write_text('{"id": "a", "task": "math", "lang": "en", "split": "train", "question": "q", "answer": "1"}\n'
                    '{"id": "b", "task": "math", "lang": "en", "split": "train",\n', encoding="utf-8")
    io.write_jsonl(tmp_path / "refs.jsonl", [])
    kw = dict(task_kind="math", src="en", tgt="es", splits=["train"], backend={"backend": "seq2seq"}, codes={},
              mt_model=None)
    with pytest.raises(io.RecordError, match=rf"{path}:2: not valid JSON"):
        translate.run(str(path), str(tmp_path / "refs.jsonl"), str(tmp_path / "o.jsonl"), str(tmp_path / "q.json"), **kw)
    path.write_text('{"id": "a", "task": "math", "lang": "en", "split": "train", "answer": "1"}\n', encoding="utf-8")
    with pytest.raises(io.RecordError, match=rf"{path}:1: .*'question' is a required property"):
        translate.run(str(path), str(tmp_path / "refs.jsonl"), str(tmp_path / "o.jsonl"), str(tmp_path / "q.json"), **kw)


def test_qc_table_has_per_check_counts_and_the_figure_is_drawn(tmp_path):
    from mlpt import analysis, figures, io

    mt = {"records": 4, "segments": 9, "method": "mt:seq2seq", "policy": "drop", "flagged": 2, "dropped": 1,
          "dropped_ids": ["i1"], "checks": {"numbers": 2, "language": 1}}
    io.write_json(tmp_path / "es.json", {"lang": "es", "splits": {"train": mt, "test": dict(mt, dropped=0)}})
    io.write_json(tmp_path / "en.json", {"lang": "en", "splits": {"train": {"records": 4, "method": "source"}}})
    table = analysis.translation_qc({("math", "es"): tmp_path / "es.json", ("math", "en"): tmp_path / "en.json"})
    assert list(table.columns[:9]) == ["task", "lang", "split", "method", "records", "segments", "flagged", "dropped", "policy"]
    assert "dropped_ids" not in table and table["qc_numbers"].tolist()[:2] == [2, 2]
    assert table["qc_structure"].isna().all()  # a check missing from a qc file is unknown, not 0
    figures.translation_qc_flags(table, ["en", "es"], str(tmp_path / "f.pdf"), str(tmp_path / "f.png"))
    assert (tmp_path / "f.pdf").stat().st_size > 0 and (tmp_path / "f.png").stat().st_size > 0
