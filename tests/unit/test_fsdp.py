"""FSDP never falls back silently: the sharding check (mlpt.fsdp), an FSDP launch that accelerate
runs as MULTI_CPU stops with the reason, and FSDP2 for real on a CPU (2 processes over gloo):
shard, train, sharded validation, SHARDED_STATE_DICT checkpoints, kill, resume — the same weights as
one unsharded process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from transformers import AutoModelForCausalLM

from conftest import addition_record
from mlpt import fsdp, io, prompts, sft, tiny

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FSDP_CONFIG = ROOT / "config/accelerate/fsdp.yaml"
PHRASES = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")


def _layers() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))


@pytest.fixture
def one_process_group():
    """A gloo process group of one process (this one), destroyed afterwards."""
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


# --- the check ----------------------------------------------------------------------------------

def test_a_model_with_full_copies_stops_with_the_reason():
    with pytest.raises(fsdp.NotSharded) as err:
        fsdp.check_sharded(_layers(), "MULTI_CPU", "config/accelerate/fsdp.yaml")
    assert str(err.value).startswith("configured for FSDP (config/accelerate/fsdp.yaml) but accelerate ran as "
                                     "MULTI_CPU: 0 of 4 parameters sharded")


def test_fsdp2_parameters_pass_and_a_partly_sharded_model_stops(one_process_group):
    from torch.distributed.fsdp import fully_shard

    model = _layers()
    fully_shard(model[0])  # only the first layer: its 2 parameters are DTensors, the last layer's are not
    with pytest.raises(fsdp.NotSharded, match="ran as FSDP: 2 of 4 parameters sharded"):
        fsdp.check_sharded(model, "FSDP", "test")
    fully_shard(model)
    assert fsdp.check_sharded(model, "FSDP", "test") == fsdp.ShardingReport(4, 4, 2, 1)


@pytest.mark.filterwarnings("ignore:FSDP is switching to use `NO_SHARD`")
def test_fsdp1_counts_only_when_it_shards(one_process_group):
    """FSDP1 modules hold flat parameters; with NO_SHARD (its choice on one process) nothing is sharded."""
    from torch.distributed.fsdp import FullyShardedDataParallel

    model = FullyShardedDataParallel(_layers(), device_id=torch.device("cpu"))
    assert fsdp.sharding_report(model) == fsdp.ShardingReport(1, 0, 1, 1)
    with pytest.raises(fsdp.NotSharded, match="0 of 1 parameters sharded"):
        fsdp.check_sharded(model, "FSDP", "test")


def test_a_job_is_configured_for_fsdp_by_its_launcher_config_on_several_processes(tmp_path):
    ddp = tmp_path / "ddp.yaml"
    ddp.write_text("distributed_type: MULTI_GPU\n")
    assert fsdp.configured(FSDP_CONFIG) and not fsdp.configured(ddp) and not fsdp.configured(None)
    assert sft.with_fsdp_config({}, 8, str(FSDP_CONFIG)) == {"fsdp_config": str(FSDP_CONFIG)}
    assert sft.with_fsdp_config({}, 1, str(FSDP_CONFIG)) == {"fsdp_config": None}  # one GPU: nothing to shard
    assert sft.with_fsdp_config({}, 8, str(ddp)) == {"fsdp_config": None}
    assert fsdp.launched_with_fsdp({"ACCELERATE_USE_FSDP": "true"}) and not fsdp.launched_with_fsdp({})


# --- two processes on a CPU ----------------------------------------------------------------------

def _record(i: int, split: str, lang: str) -> dict:
    return addition_record(i, split, lang, PHRASES)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """A 1-layer tiny Qwen3 (315-token vocabulary: its embedding shards unevenly over 2 processes)
    and a two-language mixture of 16 training + 4 validation items per language."""
    d = tmp_path_factory.mktemp("fsdp")
    recs = [_record(i, "train", lang) for lang in ("en", "es") for i in range(16)]
    recs += [_record(100 + i, "val", lang) for lang in ("en", "es") for i in range(4)]
    io.write_jsonl(d / "mixture.jsonl", recs, schema="train_record")
    tiny.build_lm_tokenizer([r["prompt"] + r["response"] for r in recs], 400, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1},
                         d / "tok", d / "base", seed=0, resources_dir=ROOT / "resources")
    return {"dir": d, "mixture": str(d / "mixture.jsonl"), "base": str(d / "base")}


def _spec(setup: dict, out: Path, **cfg) -> dict:
    """2 epochs of 2 optimiser steps (16 examples each), validation accuracy after each epoch."""
    recipe = dict(epochs=2, learning_rate=3e-3, per_device_batch_size=8, global_batch_size=16, max_length=128,
                  bf16=False, gradient_checkpointing=False, val_max_new_tokens=6, seed=7)
    return {"base_model": setup["base"], "mixture_file": setup["mixture"], "out_dir": str(out / "model"),
            "log_file": str(out / "train_log.json"), "checkpoint_dir": str(out / "ckpt"), "kind": "math",
            "answer_phrases": prompts.answer_phrases(PHRASES), "config": {**recipe, **cfg}}


def _weights(path) -> dict[str, torch.Tensor]:
    return AutoModelForCausalLM.from_pretrained(path, dtype="auto").state_dict()


@pytest.mark.distributed
def test_an_fsdp_job_that_accelerate_runs_as_multi_cpu_stops_with_the_reason(setup, tmp_path, capfd, monkeypatch):
    """The sft rule's own launch of an FSDP model on 2 CPU processes: accelerate runs it as MULTI_CPU,
    and every process stops before the first step, saying so, instead of training full copies."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(RuntimeError, match="distributed SFT failed"):
        sft.run_job(_spec(setup, tmp_path), 2, accelerate_config=str(FSDP_CONFIG))
    logged = capfd.readouterr().err
    assert f"configured for FSDP ({FSDP_CONFIG}) but accelerate ran as MULTI_CPU: 0 of " in logged
    assert "parameters sharded" in logged
    assert not (tmp_path / "model").exists() and not list((tmp_path / "ckpt").glob("checkpoint-*"))


@pytest.mark.distributed
def test_fsdp2_on_cpu_trains_validates_saves_and_resumes_to_the_unsharded_weights(setup, tmp_path, monkeypatch):
    """accelerate's FSDP2 path on 2 CPU processes (gloo; tests/unit/fsdp_on_cpu.py switches accelerate
    to it as on GPUs): the launcher config is the project's own with fp32 compute (bf16 autocast would
    make the comparison loose). Killed after the first epoch's resume state (SHARDED_STATE_DICT: every
    rank writes its own shards, of it and of the bf16 candidate), the rerun resumes from it; losses,
    validation and the selected, saved weights match one unsharded process (both saved in bf16, the
    default: equal up to the rounding of weights that differ by < 1e-6 in fp32, one bf16 step)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    config = tmp_path / "fsdp-fp32.yaml"
    config.write_text(FSDP_CONFIG.read_text().replace("mixed_precision: bf16", "mixed_precision: 'no'"))
    reference = sft.train_from_spec(_spec(setup, tmp_path / "one"))  # one process, no sharding

    spec = _spec(setup, tmp_path / "fsdp", resume_every_hours=0)
    assert sft.spawn({**spec, "kill_at_step": 3}, 2, str(config), module="fsdp_on_cpu") != 0
    checkpoints = [p.name for p in (tmp_path / "fsdp/ckpt").glob("checkpoint-*")]
    assert checkpoints == ["checkpoint-2"] and not (tmp_path / "fsdp/model").exists()
    resume_state = tmp_path / "fsdp/ckpt/checkpoint-2"
    assert (resume_state / "pytorch_model_fsdp_0").is_dir() and (resume_state / "optimizer_0").is_dir()
    assert not (resume_state / "pytorch_model_fsdp.bin").exists() and not (resume_state / "model.safetensors").exists()
    shards = {p.name for p in (tmp_path / "fsdp/ckpt/candidate-2/shards").glob("*.distcp")}
    assert len(shards) == 2  # one file per rank: no full copy gathered on the first process

    assert sft.spawn(spec, 2, str(config), module="fsdp_on_cpu") == 0
    sharded = json.loads((tmp_path / "fsdp/train_log.json").read_text())
    assert sharded["resumed"] is True
    params = len(list(AutoModelForCausalLM.from_pretrained(setup["base"]).parameters()))
    assert sharded["sharding"] == {"parameters": params, "sharded": params, "fsdp_version": 2, "shards": 2}
    assert sharded["derived"]["world_size"] == 2
    assert [p["step"] for p in sharded["loss_curve"]] == [1, 2, 3, 4]
    for ours, theirs in zip(sharded["loss_curve"], reference["loss_curve"]):
        assert ours["loss"] == pytest.approx(theirs["loss"], abs=1e-5)
    assert [p["by_language"] for p in sharded["val_curve"]] == [p["by_language"] for p in reference["val_curve"]]
    assert sharded["selected"] == reference["selected"]
    mine, theirs = _weights(tmp_path / "fsdp/model"), _weights(tmp_path / "one/model")
    assert mine.keys() == theirs.keys()
    assert all(v.dtype == torch.bfloat16 for v in mine.values())
    for k in mine:  # at most one bf16 step (2^-8 of the magnitude) apart, and nearly always equal
        a, b = mine[k].float(), theirs[k].float()
        assert ((a - b).abs() <= b.abs() * 2**-7 + 1e-30).all(), k
        assert (a == b).float().mean() > 0.99, k
