"""Backends behind one interface (seq2seq, llm, reference) and sharded, resumable translation."""

from pathlib import Path

import pytest

from mlpt import io, tiny, translate

ROOT = Path(__file__).resolve().parents[2]

MATH = [{"id": f"m{k:02d}", "task": "math", "lang": "en", "split": "train",
         "question": f"Tom has {k} apples and buys {k + 1} more. How many now?",
         "reasoning": f"He has {k} + {k + 1} = <<{k}+{k + 1}={2 * k + 1}>>{2 * k + 1} apples.", "answer": str(2 * k + 1)}
        for k in range(12)]


class Dying:
    """A translator that raises after ``die_after`` calls (a killed job) and records what it saw."""

    def __init__(self, die_after=None):
        self.die_after, self.calls = die_after, []

    def __call__(self, texts, src, tgt):
        if self.die_after is not None and len(self.calls) >= self.die_after:
            raise KeyboardInterrupt("killed")
        self.calls.append(list(texts))
        return [f"<{tgt}:{t[::-1]}>" for t in texts]


def test_killed_job_resumes_without_redoing_finished_shards(tmp_path):
    shards = {"shard_size": 5, "work_dir": tmp_path / "work", "settings": {"model": "x"}}
    with pytest.raises(KeyboardInterrupt):
        translate.translate_records(MATH, "math", "en", "de", Dying(die_after=2), shards=shards)
    finished = sorted((tmp_path / "work").iterdir())
    assert len(finished) == 2

    rerun = Dying()
    resumed, counts = translate.translate_records(MATH, "math", "en", "de", rerun, shards=shards)
    uninterrupted, _ = translate.translate_records(MATH, "math", "en", "de", Dying(), shards=dict(shards, work_dir=None))
    assert resumed == uninterrupted
    assert counts["shards_resumed"] == 2 and len(rerun.calls) == counts["shards"] - 2
    done_before = {t for path in finished for t in io.read_json(path)["texts"]}
    assert not done_before & {t for call in rerun.calls for t in call}  # only the rest was translated


def test_other_settings_do_not_reuse_shards(tmp_path):
    shards = {"shard_size": 5, "work_dir": tmp_path / "work", "settings": {"num_beams": 1}}
    translate.translate_records(MATH, "math", "en", "de", Dying(), shards=shards)
    again = Dying()
    _, counts = translate.translate_records(MATH, "math", "en", "de", again, shards=dict(shards, settings={"num_beams": 4}))
    assert counts["shards_resumed"] == 0 and again.calls


def _files(tmp_path, records, references):
    io.write_jsonl(tmp_path / "src.jsonl", records, schema="example")
    io.write_jsonl(tmp_path / "refs.jsonl", references, schema="example")
    return str(tmp_path / "src.jsonl"), str(tmp_path / "refs.jsonl")


def test_reference_backend_uses_references_and_lists_missing_ids(tmp_path):
    refs = [dict(r, lang="es", question=f"Tomás {r['id']}") for r in MATH[:10]]
    src, ref_file = _files(tmp_path, MATH, refs)
    kw = dict(task_kind="math", src="en", tgt="es", splits=["train"], codes={}, mt_model=None,
              backend={"backend": "reference"})
    with pytest.raises(ValueError, match=r"no 'es' reference for 2 item\(s\): 'm10', 'm11'"):
        translate.run(src, ref_file, str(tmp_path / "o.jsonl"), str(tmp_path / "q.json"), **kw)
    src, ref_file = _files(tmp_path, MATH[:10], refs)
    qc = translate.run(src, ref_file, str(tmp_path / "o.jsonl"), str(tmp_path / "q.json"), **kw)
    assert qc["splits"]["train"] == {"records": 10, "method": "reference"}


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory):
    d = tmp_path_factory.mktemp("llm")
    texts = [r["question"] + " " + r["reasoning"] for r in MATH] + ["Translate the user's text [V0] Deutsch Englisch"]
    tiny.build_lm_tokenizer(texts, 400, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                                   "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16},
                         d / "tok", d / "model", seed=0, resources_dir=ROOT / "resources")
    return str(d / "model")


def test_llm_backend_prompts_through_the_chat_template_with_few_shot(tiny_llm):
    backend = {"backend": "llm", "model": {"hub_id": tiny_llm}, "batch_size": 4, "max_new_tokens": 6,
               "llm": {"few_shot": {"de": [{"source": "One apple.", "target": "Ein Apfel."}]}}}
    mt = translate.make_translator(backend, {}, tiny_llm, {"en": "English", "de": "German"})
    msgs = mt.messages("Two apples.", "en", "de")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert "from English to German" in msgs[0]["content"] and msgs[1]["content"] == "One apple."
    out = mt(["Two apples.", "Three apples and a pear."], "en", "de")
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
    assert mt.hit_max_new_tokens <= 2 and mt.truncated == 0


def test_llm_backend_keeps_structure(tiny_llm):
    backend = {"backend": "llm", "model": {"hub_id": tiny_llm}, "batch_size": 8, "max_new_tokens": 4}
    mt = translate.make_translator(backend, {}, tiny_llm, {})
    out, counts = translate.translate_records(MATH[:3], "math", "en", "de", mt)
    for src, rec in zip(MATH, out):  # output quality is irrelevant: calculator marks and lines are restored
        assert translate.CALC_ANNOTATION.findall(rec["reasoning"]) == translate.CALC_ANNOTATION.findall(src["reasoning"])
        assert rec["answer"] == src["answer"] and rec["lang"] == "de"
    assert counts["segments"] > 0


def test_llm_backend_refuses_a_tiny_seq2seq_model():
    with pytest.raises(ValueError, match="translation/model"):
        translate.make_translator({"backend": "llm", "model": {"tiny": {}}, "batch_size": 1, "max_new_tokens": 1}, {}, "x")


def test_seq2seq_counts_truncation_instead_of_hiding_it(tmp_path):
    d = tmp_path / "mt"
    tiny.build_mt_model([r["question"] for r in MATH], 300, {"d_model": 16}, d)
    mt = translate.make_translator({"backend": "seq2seq", "batch_size": 2, "num_beams": 1, "max_new_tokens": 3},
                                   {"en": "eng_Latn", "de": "deu_Latn"}, str(d))
    mt.max_input = 8
    out = mt(["short", " ".join(r["question"] for r in MATH[:3])], "en", "de")
    assert len(out) == 2 and mt.truncated == 1
