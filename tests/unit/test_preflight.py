"""The GPU preflight in smoke mode on a CPU (a tiny model of the demo: 2 steps, validation,
checkpoint, SIGKILL, resume, decode, decode waste on real MGSM prompts; its JSON record), and
`make plan` pricing from a preflight record where there is one and saying "assumed" where there is
none."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from mlpt import cluster, cost_plan, data, io, plan_cli, preflight, prompts, tiny

ROOT = Path(__file__).resolve().parents[2]
PHRASES = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> str:
    """The demo's qwen3-tiny (a 2-layer copy of Qwen3-0.6B-Base) with a small byte-level vocabulary."""
    d = tmp_path_factory.mktemp("preflight")
    tiny.build_lm_tokenizer([" ".join(preflight.WORDS)] * 20, 400, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2},
                         d / "tok", d / "base", seed=0, resources_dir=ROOT / "resources")
    return str(d / "base")


def test_synthetic_examples_fill_max_length(tiny_base):
    tokenizer = prompts.load_tokenizer(tiny_base)
    prompt, response, tokens = preflight.fitted_example(tokenizer, 96)
    assert 90 <= tokens <= 96 and response.endswith("The answer is 42.")
    with pytest.raises(ValueError, match="not even a one-word example fits"):
        preflight.fitted_example(tokenizer, 16)


def _decode_prompts(tmp_path, languages=("en", "es", "ja"), **kw) -> preflight.DecodePrompts:
    """The decode-waste prompts of the demo's math task (MGSM test items, human in every language),
    prepared as prepare_data prepares them: 2 items per language, 8 new tokens, batches of 4."""
    prepared = data.prepare("gsm8k_mgsm", ROOT / "resources", "math", {"n_train": 2, "n_val": 1, "n_test": 4},
                            list(languages), "en", seed=0)
    io.write_jsonl(tmp_path / "source.jsonl", prepared.records, schema="example")
    io.write_jsonl(tmp_path / "references.jsonl", prepared.references, schema="example")
    fields = dict(task="math", kind="math", languages=list(languages), source_language="en",
                  data_file=str(tmp_path / "source.jsonl"), references_file=str(tmp_path / "references.jsonl"),
                  phrases_file=str(ROOT / "resources/prompts/phrases.yaml"), items_per_language=2, max_new_tokens=8,
                  eval_batch_size=4, eval_backend="hf", val_batch_size=4)
    return preflight.DecodePrompts(**{**fields, **kw})


def test_preflight_of_a_tiny_model_on_a_cpu(tiny_base, demo_config, tmp_path, monkeypatch, capsys):
    """The demo's recipe (16 examples per step in micro-batches of 4) at the demo's preflight
    settings: the job is killed after its checkpoint, the rerun resumes, the base model decodes real
    MGSM prompts as evaluation and validation do, and the record holds every figure `make plan`
    reads; the plan then prices qwen3-tiny from it (a smoke record) and gemma3-tiny from the
    assumptions."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    task, recipe = cluster.preflight_recipe(demo_config)
    assert task == "math"  # 768 tokens; the control task's examples are at most 192
    out = tmp_path / "preflight/qwen3-tiny.json"
    record = preflight.run("qwen3-tiny", tiny_base, str(out), str(tmp_path / "work"), task=task,
                           recipe={**recipe, "val_max_new_tokens": 8},
                           max_length=demo_config["preflight"]["max_length"], processes=1, accelerate_config=None,
                           peak_tflops=312, answer_phrases=prompts.answer_phrases(PHRASES), seed=1,
                           decode_batch_size=4, decode_new_tokens=demo_config["preflight"]["decode_new_tokens"],
                           decode_prompts=_decode_prompts(tmp_path))
    assert io.read_json(out) == record
    assert not (tmp_path / "work").exists()  # checkpoints and the saved model are removed
    assert record["optimizer_steps"] == 2 and len(record["step_seconds"]) == 2
    assert record["validation_and_checkpoint_seconds"] > 0
    assert record["killed_after_checkpoint"] and record["resumed"]
    assert record["validation"] == {"passes": 1, "selection": "val_accuracy", "records": 32}
    shape = record["shape"]
    assert (shape["global_batch_size"], shape["per_device_batch_size"], shape["gradient_accumulation_steps"]) == (16, 4, 4)
    assert shape["recipe_of_task"] == "math" and shape["max_length"] == 128 and 120 <= shape["example_tokens"] <= 128
    assert record["tokens_per_step"] == 16 * shape["example_tokens"]  # all rows full: no padding
    assert record["train_tokens_per_second"] == pytest.approx(record["tokens_per_step"] / record["step_seconds"][1],
                                                              rel=1e-3)
    assert record["decode"]["batch_size"] == 4 and record["decode"]["new_tokens"] == 16
    assert record["decode"]["tokens_per_second"] > 0
    # on a CPU: a smoke record, with no GPU figures and no sharding (one process)
    assert record["device"] == "cpu" and record["gpus"] == 0 and record["smoke"] is True
    assert record["mfu"] is None and record["peak_gpu_memory_gib"] is None and record["peak_host_memory_gib"] > 0
    assert record["sharding"] is None and record["parameters"] > 0
    # decode waste: the same 6 real prompts (2 per language) through lm-eval and through validation
    waste = record["decode_waste"]
    assert (waste["model"], waste["task"], waste["languages"], waste["items"]) == \
        ("pretrained", "math", ["en", "es", "ja"], 6)
    evaluation, validation = waste["decoding"]["evaluation"], waste["decoding"]["validation"]
    assert (evaluation["backend"], evaluation["batch_size"], evaluation["batches"]) == ("hf", 4, 2)
    assert (validation["method"], validation["batch_size"], validation["rows"]) == ("static", 4, 6)  # CPU: static
    for counts, kind in ((evaluation, "evaluation"), (validation, "validation")):
        # every answer decodes at least its stop token, at most 8; a batch decodes every row until its longest ends
        assert 6 <= counts["useful_positions"] <= counts["decoded_positions"] <= 6 * 8
        ratio = round(counts["decoded_positions"] / counts["useful_positions"], 4)
        assert waste[kind] == counts["waste_ratio"] == ratio
    assert record["wall_seconds"]["decode_waste"] > 0

    merged = tmp_path / "preflight.json"
    preflight.merge({"qwen3-tiny": str(out)}, str(merged), "demo")
    plan_cli.main(["--configfile", str(ROOT / "config/demo.yaml"), "--preflight", str(merged), "--no-dry-run"])
    text = capsys.readouterr().out
    assert f"GPU preflight read from {merged} (1 model(s) measured)" in text
    sft_table = text[text.index("1. SFT compute"):text.index("2. Decoding")]
    rows = [line for line in sft_table.splitlines() if line.startswith(("  qwen3-tiny ", "  gemma3-tiny "))]
    assert len(rows) == 6  # 2 models x 3 tasks
    assert all(("measured (smoke)" in r) == r.startswith("  qwen3-tiny") for r in rows)
    assert all("measured" not in r for r in rows if r.startswith("  gemma3-tiny"))
    assert "qwen3-tiny: cpu (" in text and "SMOKE run: not a cluster figure" in text
    assert f"decode waste {waste['evaluation']:.2f} evaluation, {waste['validation']:.2f} validation " \
           "(pretrained model, 6 test prompts of math)" in text
    # the smoke record's waste prices its model's decoding, labelled smoke like its throughput
    decoding = text[text.index("2. Decoding"):text.index("3. Translation")]
    rows = [line for line in decoding.splitlines() if line.startswith(("  qwen3-tiny ", "  gemma3-tiny "))]
    assert all((line.count("measured (smoke)") == 3) == line.startswith("  qwen3-tiny") for line in rows)


def _record(**kw) -> dict:
    """A preflight record of an 8-GPU job, as a cluster would write it."""
    return {"device": "NVIDIA H100 80GB HBM3", "date": "2026-12-07", "gpus": 8, "smoke": False,
            "train_tokens_per_second": 400_000.0, "mfu": 0.38, "peak_gpu_memory_gib": 61.2, "gpu_memory_gib": 79.1,
            "decode": {"tokens_per_second": 2500.0}, **kw}


def test_plan_prices_measured_models_from_their_preflight(paper_config):
    assumed = {(r["model"], r["task"]): r for r in cost_plan.plan(paper_config)["rows"]}
    result = cost_plan.plan(copy.deepcopy(paper_config), {"qwen3-8b": _record()})
    for row in result["rows"]:
        if row["model"] == "qwen3-8b":
            assert row["throughput"] == "measured"
            assert row["sft_gpu_hours"] == pytest.approx(row["computed_positions"] / 400_000 * 8 / 3600)
            assert row["eval_gpu_hours"] == pytest.approx(
                assumed[("qwen3-8b", row["task"])]["eval_gpu_hours"] * (8000 / 8.0) / 2500)
        else:
            assert row["throughput"] == "assumed" and row["sft_gpu_hours"] == assumed[(row["model"], row["task"])][
                "sft_gpu_hours"]
    # decoding counts as measured only with a measured waste too (here: the assumed cluster.plan.decode_waste)
    measured = sum(r["sft_gpu_hours"] for r in result["rows"] if r["model"] == "qwen3-8b")
    assert result["total"]["measured_gpu_hours"] == pytest.approx(measured)
    text = cost_plan.format_plan(result)
    assert "GPU-hour ESTIMATE (assumed:" in text and "GPU-hours from MEASURED throughput" in text
    assert ("qwen3-8b: NVIDIA H100 80GB HBM3 (2026-12-07): 400,000 training tokens/s on 8 GPU(s), MFU 0.38, "
            "peak 61.2 of 79 GiB per GPU; 2,500 decode tokens/s") in text
    assert f"({measured:.0f} from measured throughput," in text


def test_a_measured_decode_waste_replaces_the_assumed_one(paper_config, tmp_path):
    """decode_waste of a preflight record (or of the whole preflight file) prices decoding; each
    row says where its waste comes from."""
    assumed = {(r["model"], r["task"]): r for r in cost_plan.plan(paper_config)["rows"]}
    record = _record(decode_waste={"evaluation": 1.1, "validation": 2.6})
    result = cost_plan.plan(copy.deepcopy(paper_config), {"qwen3-8b": record})
    row = next(r for r in result["rows"] if (r["model"], r["task"]) == ("qwen3-8b", "math"))
    assert (row["eval_waste"], row["eval_waste_source"], row["val_waste"], row["val_waste_source"]) == \
        (1.1, "measured", 2.6, "measured")
    assert row["decoded_positions"] == pytest.approx(row["eval_useful_tokens"] * 1.1 + row["val_useful_tokens"] * 2.6)
    assert row["eval_gpu_hours"] == pytest.approx(row["decoded_positions"] / 2500 / 3600)
    other = next(r for r in result["rows"] if (r["model"], r["task"]) == ("qwen3-600m", "math"))
    assert other["eval_waste_source"] == "assumed" and other["eval_waste"] == paper_config["cluster"]["plan"]["decode_waste"]
    assert other["eval_gpu_hours"] == assumed[("qwen3-600m", "math")]["eval_gpu_hours"]
    assert result["total"]["measured_eval_gpu_hours"] == pytest.approx(
        sum(r["eval_gpu_hours"] for r in result["rows"] if r["model"] == "qwen3-8b"))
    # the preflight file's own decode_waste, for a model whose record has none
    path = tmp_path / "preflight.json"
    io.write_json(path, {"models": {"qwen3-8b": _record()}, "decode_waste": 1.7})
    waste = plan_cli.measured_decode_waste(path)
    row = next(r for r in cost_plan.plan(copy.deepcopy(paper_config), plan_cli.measured_throughput(path)[0], waste)["rows"]
               if r["model"] == "gemma3-1b")
    assert (row["eval_waste"], row["eval_waste_source"], row["throughput"]) == (1.7, "measured", "assumed")
    assert plan_cli.measured_decode_waste(tmp_path / "none.json") is None


def test_the_plan_prices_decoding_at_the_waste_a_preflight_job_measured(paper_config):
    """A preflight job's own decode_waste (what was decoded beside the two ratios) prices its
    model's decoding, marked measured; a smoke record's is marked smoke, never plain measured."""
    waste = {"evaluation": 1.9, "validation": 1.05, "model": "pretrained", "task": "math",
             "languages": ["en", "es"], "items": 64, "items_per_language": 32, "max_new_tokens": 1024,
             "decoding": {"evaluation": {"backend": "hf", "waste_ratio": 1.9},
                          "validation": {"method": "continuous", "waste_ratio": 1.05}}}
    result = cost_plan.plan(copy.deepcopy(paper_config), {"qwen3-8b": _record(decode_waste=waste),
                                                          "gemma3-1b": _record(decode_waste=waste, smoke=True)})
    rows = {(r["model"], r["task"]): r for r in result["rows"]}
    for task in paper_config["tasks"]:
        row = rows[("qwen3-8b", task)]
        assert (row["eval_waste"], row["eval_waste_source"], row["val_waste"], row["val_waste_source"]) == \
            (1.9, "measured", 1.05, "measured")
        assert row["decoded_positions"] == pytest.approx(
            row["eval_useful_tokens"] * 1.9 + row["val_useful_tokens"] * 1.05)
        smoke = rows[("gemma3-1b", task)]
        assert (smoke["eval_waste_source"], smoke["val_waste_source"]) == ("measured (smoke)", "measured (smoke)")
    text = cost_plan.format_plan(result)
    assert ("qwen3-8b: NVIDIA H100 80GB HBM3 (2026-12-07): 400,000 training tokens/s on 8 GPU(s), MFU 0.38, "
            "peak 61.2 of 79 GiB per GPU; 2,500 decode tokens/s; decode waste 1.90 evaluation, 1.05 validation "
            "(pretrained model, 64 test prompts of math)") in text
    decoding = text[text.index("2. Decoding"):text.index("3. Translation")]
    line = next(x for x in decoding.splitlines() if x.startswith("  qwen3-8b      math"))
    assert line.split()[3:5] == ["1.90", "measured"] and line.split()[6:8] == ["1.05", "measured"]
    line = next(x for x in decoding.splitlines() if x.startswith("  gemma3-1b     math"))
    assert line.split()[3:6] == ["1.90", "measured", "(smoke)"]


def test_the_preflight_decodes_the_first_math_task_unless_told(paper_config, demo_config):
    assert cluster.preflight_decode_task(paper_config) == cluster.preflight_decode_task(demo_config) == "math"
    demo_config["tasks"] = {t: demo_config["tasks"][t] for t in ("api", "control", "math")}
    assert cluster.preflight_decode_task(demo_config) == "control"  # the first of kind math
    demo_config["preflight"]["decode_task"] = "api"
    assert cluster.preflight_decode_task(demo_config) == "api"


def test_decode_waste_with_vllm_is_one_by_construction(tiny_base, tmp_path, monkeypatch):
    """With evaluation.backend vllm nothing is run for evaluation (continuous batching decodes each
    answer only until it stops); validation still decodes the prompts."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    waste = preflight.decode_waste("qwen3-tiny", tiny_base, _decode_prompts(tmp_path, ("en",), eval_backend="vllm"),
                                   tmp_path / "decode", answer_phrases=prompts.answer_phrases(PHRASES),
                                   fsdp_sharded=True)
    assert waste["evaluation"] == 1.0 and "by_construction" in waste["decoding"]["evaluation"]
    assert not (tmp_path / "decode" / "tasks").exists()
    assert waste["decoding"]["validation"]["method"] == "static" and waste["items"] == 2  # FSDP: static batches


def test_a_measured_throughput_is_rescaled_to_the_tiers_gradient_checkpointing(paper_config):
    """A preflight that ran without gradient checkpointing prices a tier that has it on at 8/6 of its time."""
    result = cost_plan.plan(copy.deepcopy(paper_config), {"qwen3-8b": _record(shape={"gradient_checkpointing": False})})
    row = next(r for r in result["rows"] if r["model"] == "qwen3-8b")
    assert row["gradient_checkpointing"] and row["rescaled"]
    assert row["sft_gpu_hours"] == pytest.approx(row["computed_positions"] / 400_000 * 8 / 3600 * 8 / 6)
    assert "measured rescaled" in cost_plan.format_plan(result)


def test_a_plan_without_preflight_says_every_figure_is_assumed(paper_config, tmp_path, capsys):
    measured, line = plan_cli.measured_throughput(tmp_path / "preflight.json")
    assert measured == {} and "every GPU-hour figure below is ASSUMED" in line
    result = cost_plan.plan(paper_config, measured)
    assert {r["throughput"] for r in result["rows"]} == {"assumed"} and result["total"]["measured_gpu_hours"] == 0
    assert "MEASURED" not in cost_plan.format_plan(result)


def test_the_preflight_measures_the_recipe_with_the_longest_examples(paper_config):
    task, recipe = cluster.preflight_recipe(paper_config)
    assert task == "api" and recipe["max_length"] == paper_config["tasks"]["api"]["sft"]["max_length"]
    assert recipe["global_batch_size"] == 512


def test_tokens_per_example_is_one_lookup(paper_config):
    """The plan's example lengths come from one function (per model, task and mixture languages):
    the real tokenizers' table, else the flat assumption."""
    tokens, source = cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", ("en", "bn"))
    assert source == "real tokenizer" and 300 < tokens < 500
    paper_config["resources_dir"] = "/nonexistent"  # no table: the flat figures of cluster.plan
    assert cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", ("en", "bn")) == (400, "assumed")
    assert cost_plan.tokens_per_example(paper_config, "qwen3-8b", "api", ("en",)) == (600, "assumed")
