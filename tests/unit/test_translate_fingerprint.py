"""Finished MT shards are resumed only when nothing that decides their output has changed."""

from __future__ import annotations

import pytest

from mlpt import io, models, translate

MATH = [{"id": f"m{k:02d}", "task": "math", "lang": "en", "split": "train",
         "question": f"Tom has {k} apples and buys {k + 1} more. How many now?",
         "reasoning": f"He has {k} + {k + 1} = <<{k}+{k + 1}={2 * k + 1}>>{2 * k + 1} apples.", "answer": str(2 * k + 1)}
        for k in range(12)]
CODES = {"en": "eng_Latn", "es": "spa_Latn"}
BACKEND = {"backend": "seq2seq", "model": {"tiny": {}}, "batch_size": 4, "num_beams": 1, "max_new_tokens": 16,
           "shard_size": 5, "qc": {"policy": "flag"}}


class Recording:
    """A translator that records every text it is sent."""

    def __init__(self):
        self.texts = []

    def __call__(self, texts, src, tgt):
        self.texts += texts
        return [f"<{tgt}:{t}>" for t in texts]


@pytest.fixture
def job(tmp_path, monkeypatch):
    """Runs the translate rule's function on MATH (en -> es, MT only) with a tiny model directory
    and a translator that records its inputs; returns (texts translated, shards resumed, shards)."""
    io.write_jsonl(tmp_path / "src.jsonl", MATH, schema="example")
    io.write_jsonl(tmp_path / "refs.jsonl", [], schema="example")
    model = tmp_path / "mt"
    model.mkdir()
    (model / "config.json").write_text('{"d_model": 16}')
    (model / "tokenizer.json").write_text('{"vocab": {}}')
    (model / "model.safetensors").write_bytes(bytes(range(256)) * 4)
    (model / ".cache").mkdir()
    (model / ".cache" / "download.metadata").write_text("fetched at 12:00")
    translators = []

    def make_translator(*args, **kwargs):
        translators.append(Recording())
        return translators[-1]

    monkeypatch.setattr(translate, "make_translator", make_translator)

    def run(codes=CODES, seed=1, backend=BACKEND):
        qc = translate.run(str(tmp_path / "src.jsonl"), str(tmp_path / "refs.jsonl"), str(tmp_path / "out.jsonl"),
                           str(tmp_path / "qc.json"), task_kind="math", src="en", tgt="es", splits=["train"],
                           backend=backend, codes=codes, mt_model=str(model), work_dir=str(tmp_path / "work"),
                           seed=seed)
        counts = qc["splits"]["train"]
        return len(translators[-1].texts), counts["shards_resumed"], counts["shards"]

    run.model = model
    return run


def test_an_unchanged_job_resumes_every_shard(job):
    translated, resumed, shards = job()
    assert translated > 0 and resumed == 0 and shards > 1
    assert job() == (0, shards, shards)


def test_a_changed_mt_language_code_resumes_nothing(job):
    job()
    assert job(codes=dict(CODES, es="fra_Latn"))[1] == 0
    assert job(codes=dict(CODES, en="eng_Latn_x"))[1] == 0


def test_a_changed_seed_resumes_nothing(job):
    job(seed=1)
    assert job(seed=2)[1] == 0


def test_one_changed_byte_of_the_weights_resumes_nothing(job):
    job()
    weights = job.model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[100] ^= 1
    weights.write_bytes(bytes(data))
    models._sha256_of.cache_clear()  # a rerun is a new process
    assert job()[1] == 0
    (job.model / ".cache" / "download.metadata").write_text("fetched again at 13:00")  # not the model
    _, resumed, shards = job()
    assert resumed == shards


def test_a_changed_backend_setting_or_code_version_resumes_nothing(job, monkeypatch):
    job()
    assert job(backend=dict(BACKEND, num_beams=4))[1] == 0
    _, resumed, shards = job(backend=dict(BACKEND, qc={"policy": "drop"}))
    assert resumed == shards  # QC runs after MT
    monkeypatch.setattr(translate.code_version, "module_hash", lambda module: "other code")
    assert job()[1] == 0


def test_a_hub_model_is_identified_by_its_cached_revision(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert models.fingerprint("org/mt-model") == {"hub_id": "org/mt-model", "revision": None}
    repo = tmp_path / "models--org--mt-model"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    (repo / "snapshots" / "0123abcd").mkdir(parents=True)
    (repo / "snapshots" / "0123abcd" / "config.json").write_text("{}")
    assert models.fingerprint("org/mt-model") == {"hub_id": "org/mt-model", "revision": "0123abcd"}
