"""Jobs killed while they write their results: nothing half-written ever looks finished.

Every result is written to a hidden temporary file and renamed into place (mlpt.io.atomic_path).
The child processes here are killed at the last moment before a rename, and the rerun must give
exactly what an uninterrupted run gives:

- evaluate writes the per-example records, then the summary the analysis reads: killed before
  either is in place, there is no summary (Snakemake reruns the job: its outputs are incomplete);
- translate keeps each finished MT shard for resuming: killed while a shard is written, the rerun
  resumes the shards before it and translates the rest (resuming between shards, and never
  resuming a shard of other settings, are tested in tests/unit/test_translate_backends.py and
  tests/unit/test_translate_fingerprint.py).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from inject import DIE_BEFORE_REPLACING, run_killed

from mlpt import evaluate, io, prompts, tiny, translate

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]

EVALUATE = DIE_BEFORE_REPLACING + textwrap.dedent("""
    import json, sys
    from mlpt import evaluate

    die_before_replacing(sys.argv[2])
    evaluate.run(**json.load(open(sys.argv[1])))
""")


@pytest.fixture(scope="module")
def eval_job(tmp_path_factory) -> dict:
    """evaluate.run's arguments but the output files: a tiny Qwen3 on three sums in two languages."""
    d = tmp_path_factory.mktemp("evaluate")
    files = {}
    for lang in ("en", "es"):
        records = [{"id": f"sum-{i}", "task": "math", "lang": lang, "split": "test", "question": f"{i} + 4 = ?",
                    "answer": str(i + 4)} for i in range(3)]
        files[lang] = str(d / f"{lang}.jsonl")
        io.write_jsonl(files[lang], records, schema="example")
    evaluate.build_tasks(files, str(ROOT / "resources" / prompts.PHRASES_FILE), str(d / "tasks"), task="math",
                         kind="math", max_gen_toks=4)
    tiny.build_lm_tokenizer([line for f in files.values() for line in open(f, encoding="utf-8")], 300, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1},
                         d / "tok", d / "model", seed=0, resources_dir=ROOT / "resources")
    return {"model_path": str(d / "model"), "tasks_dir": str(d / "tasks"), "task": "math", "languages": ["en", "es"],
            "batch_size": 3, "max_gen_toks": 4, "limit": None, "meta": {"model": "tiny", "mixture": "pretrained"}}


def outputs(out: Path) -> dict:
    return {"out_file": str(out / "math.json"), "samples_file": str(out / "math.samples.jsonl")}


@pytest.fixture(scope="module")
def uninterrupted_eval(eval_job, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    evaluate.run(**eval_job, **outputs(out))
    return out


def test_a_killed_evaluation_leaves_no_summary_and_the_rerun_gives_the_same_one(eval_job, uninterrupted_eval,
                                                                                 tmp_path):
    """Killed right before the summary is put in place: every example was scored and written."""
    out = tmp_path / "eval"
    (tmp_path / "job.json").write_text(json.dumps({**eval_job, **outputs(out)}))
    run_killed(EVALUATE, str(tmp_path / "job.json"), r"/math\.json$")

    in_place = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))  # hidden: temporary files
    assert in_place == ["math.samples.jsonl"]  # the records come first; the summary is never half there

    evaluate.run(**eval_job, **outputs(out))
    for name in ("math.json", "math.samples.jsonl"):
        assert (out / name).read_bytes() == (uninterrupted_eval / name).read_bytes(), name


TRANSLATE = DIE_BEFORE_REPLACING + textwrap.dedent("""
    import json, sys
    from mlpt import translate

    die_before_replacing(r"/[0-9a-f]+\\.json$", let_through=1)  # writing the second finished shard
    translate.translate_sharded(json.load(open(sys.argv[1])), lambda texts, src, tgt: [t[::-1] for t in texts],
                                "en", "de", shard_size=4, work_dir=sys.argv[2])
""")


def test_a_translate_job_killed_while_writing_a_shard_resumes_the_finished_ones(tmp_path):
    texts = [f"sentence number {i} of twelve" for i in range(12)]
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    work = tmp_path / "work"
    run_killed(TRANSLATE, str(tmp_path / "texts.json"), str(work))

    shards = [p for p in work.iterdir() if not p.name.startswith(".")]
    assert len(shards) == 1 and io.read_json(shards[0])["outputs"]  # the first shard, whole; the second not in place

    def reverse(batch, src, tgt):
        return [t[::-1] for t in batch]

    resumed, stats = translate.translate_sharded(texts, reverse, "en", "de", shard_size=4, work_dir=work)
    uninterrupted, _ = translate.translate_sharded(texts, reverse, "en", "de", shard_size=4)
    assert stats["shards_resumed"] == 1 and stats["shards"] == 3
    assert resumed == uninterrupted
