"""Structure preservation: only natural-language segments reach the MT model."""

from hypothesis import given
from hypothesis import strategies as st

from mlpt import mt_structure, translate


def fake_mt(texts, src, tgt):
    return [f"[{tgt}]{t.upper()}" for t in texts]


def test_calculator_annotations_are_kept_verbatim():
    rec = {"id": "x", "lang": "en", "split": "train", "question": "How many?", "answer": "72",
           "reasoning": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nSo 48+24 = <<48+24=72>>72."}
    (out,), qc = translate.translate_records([rec], "math", "en", "es", fake_mt)
    assert "<<48/2=24>>" in out["reasoning"] and "<<48+24=72>>" in out["reasoning"]
    assert out["reasoning"].count("\n") == 1
    assert out["question"] == "[es]HOW MANY?" and out["lang"] == "es" and out["answer"] == "72"
    assert out["flags"] == [] and qc["records"] == 1


def test_dialogue_translates_turns_only():
    text = "User: Book a room.\nAI: Which hotel?\nAPI-Request: [X(a='1')]->{'ok': 1}\nUser: Hilton"
    segs = translate.segment_dialogue(text)
    assert translate.join(segs) == text
    assert [t for t, tr in segs if tr] == ["Book a room.", "Which hotel?", "Hilton"]


PIECES = st.sampled_from(list("ab 1.<>=\n+") + ["<<3+4=7>>", "User: ", "AI: ", "জ", "日"])


@given(st.lists(PIECES, max_size=40).map("".join))
def test_segmenting_is_lossless(text):
    for seg in (translate.segment_math, translate.segment_dialogue):
        assert translate.join(seg(text)) == text


@given(st.lists(st.sampled_from(["<<1+2=3>>", "<<10*4=40>>"]), min_size=1, max_size=4), st.text(alphabet="abc xyz.", max_size=20))
def test_annotations_survive_translation(marks, words):
    text = words.join(marks) + words
    rec = {"id": "x", "lang": "en", "split": "train", "question": "q", "reasoning": text or "r", "answer": "1"}
    (out,), _ = translate.translate_records([rec], "math", "en", "ja", fake_mt)
    assert [m for m in translate.CALC_ANNOTATION.findall(out["reasoning"])] == translate.CALC_ANNOTATION.findall(text)


def test_empty_output_is_flagged_not_silent():
    rec = {"id": "x", "lang": "en", "split": "train", "question": "Hello there", "answer": "1", "reasoning": "1"}
    (out,), qc = translate.translate_records([rec], "math", "en", "es", lambda t, s, g: ["" for _ in t])
    assert "empty" in out["flags"] and out["question"] == "(empty)"


def test_references_are_aligned_by_id_and_missing_ids_reported():
    recs = [{"id": "a", "split": "test"}, {"id": "b", "split": "test"}]
    refs = [{"id": "a", "lang": "es", "split": "test", "question": "qa"}]
    try:
        translate.from_references(recs, refs, "es", "refs.jsonl")
    except ValueError as err:
        assert "refs.jsonl" in str(err) and "1 item(s): 'b'" in str(err)
    else:
        raise AssertionError("a missing reference must be reported")


def test_mt_quality_scores_against_references(tmp_path):
    from mlpt import io

    src = [{"id": f"t{i}", "task": "math", "lang": "en", "split": "test", "question": f"How many apples {i}?",
            "answer": "1"} for i in range(3)]
    refs = [dict(r, lang="es", question=f"¿Cuántas manzanas {i}?") for i, r in enumerate(src)]
    io.write_jsonl(tmp_path / "src.jsonl", src, schema="example")
    io.write_jsonl(tmp_path / "refs.jsonl", refs, schema="example")
    backend = {"backend": "seq2seq", "batch_size": 2, "num_beams": 1, "max_new_tokens": 8}
    perfect = {r["id"]: r["question"] for r in refs}
    by_source = {s["question"]: perfect[s["id"]] for s in src}
    rows = translate.measure_quality({"math": (tmp_path / "src.jsonl", tmp_path / "refs.jsonl")}, tmp_path / "q.csv",
                                     src="en", backend=backend, codes={}, mt_model=None,
                                     translator=lambda texts, s, t: [by_source[x] for x in texts])
    assert rows == [{"task": "math", "lang": "es", "n": 3, "backend": "seq2seq", "chrf": 100.0, "bleu": 100.0,
                     "bleu_tokenize": "13a"}]
    garbage = translate.measure_quality({"math": (tmp_path / "src.jsonl", tmp_path / "refs.jsonl")}, tmp_path / "g.csv",
                                        src="en", backend=backend, codes={}, mt_model=None,
                                        translator=lambda texts, s, t: ["xyz" for _ in texts])
    assert garbage[0]["chrf"] < 10 and (tmp_path / "g.csv").read_text().startswith("task,lang,n")


TEXT_PIECES = st.sampled_from(list("ab 1.,!?。<>=\n+") + ["<<3+4=7>>", "<<1,000*2=2,000>>", "Rome", "[V0]", "1,500",
                                                            "12.5", "User: ", "AI: ", "জ", "日", "TIME: 2034-01-01 08:00:00"])


@given(st.lists(TEXT_PIECES, max_size=40).map("".join), st.integers(min_value=1, max_value=30))
def test_identity_translation_restores_every_field_exactly(text, max_chars):
    """Segmenting, sentence splitting and restoring lose nothing: an identity MT gives the input back."""
    text = text if text.strip() else "q"  # an all-blank field becomes "(empty)" (schema: non-empty)
    rec = {"id": "x", "lang": "en", "split": "train", "question": text, "reasoning": text, "answer": "1"}
    (out,), _ = translate.translate_records([rec], "math", "en", "ja", lambda t, s, g: list(t), max_segment_chars=max_chars)
    assert out["question"] == rec["question"] and out["reasoning"] == rec["reasoning"]
    api = {"id": "x", "lang": "en", "split": "train", "question": text, "call": "Weather(city='Rome')",
           "answer": "Weather(city='Rome')"}
    (out,), _ = translate.translate_records([api], "api_call", "en", "ja", lambda t, s, g: list(t), max_segment_chars=max_chars)
    assert out["question"] == api["question"] and out["call"] == api["call"]


@given(st.lists(TEXT_PIECES, max_size=30).map("".join), st.lists(st.sampled_from(["Rome", "New York", "b a"]), unique=True))
def test_protect_then_restore_is_lossless(text, values):
    if translate.PLACEHOLDER_LIKE.search(text):  # such text is never protected (linked_values skips it)
        return
    protected = translate.protect_values(text, values)
    assert not any(mt_structure._value_pattern([v]).search(protected) for v in values)
    assert translate.restore_values(protected, protected, values) == (text, True)
