"""SFT checkpoints for resuming under two faults: a kill while one is saved, and changed inputs.

Killed while saving: the Trainer writes ``checkpoint-<step>`` in place (weights, optimizer,
scheduler, RNG state, trainer state, in that order), and the larger the model the longer that
takes. mlpt.sft counts a checkpoint only once its completeness record is written, last; on the
retry an incomplete one is removed (and logged) and training resumes from the last complete
checkpoint, or starts over if there is none.

Changed inputs: checkpoints left by a run of another mixture or recipe are removed, never resumed.

Either way the retry ends with the weights of an uninterrupted run, bit for bit. A kill mid-epoch
(between saves) is tested in tests/unit/test_sft.py.
"""
from __future__ import annotations

import json
import logging
import shutil
import textwrap
from pathlib import Path

import pytest
import torch
from inject import DIE_BEFORE_REPLACING, run_killed
from transformers import AutoModelForCausalLM

from mlpt import io, sft, tiny

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]

STEPS_PER_EPOCH = 4  # 32 training records, 8 per optimiser step
CONFIG = dict(epochs=3, learning_rate=3e-3, per_device_batch_size=8, global_batch_size=8, max_length=96, bf16=False,
              gradient_checkpointing=False, selection="last", seed=7,
              resume_every_hours=0)  # a resume state at every epoch end but the last


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory) -> dict:
    """A one-layer Qwen3 and a mixture of 32 training records (sums, two languages)."""
    d = tmp_path_factory.mktemp("sft")
    records = [{"id": f"{lang}-{i}", "lang": lang, "split": "train", "prompt": f"{i} + {i + 5} = ?",
                "response": f"{i} + {i + 5} = {2 * i + 5}. {2 * i + 5}", "answer": str(2 * i + 5)}
               for lang in ("en", "es") for i in range(16)]
    io.write_jsonl(d / "mixture.jsonl", records, schema="train_record")
    tiny.build_lm_tokenizer([r["prompt"] + r["response"] for r in records], 300, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1},
                         d / "tok", d / "base", seed=0, resources_dir=ROOT / "resources")
    return {"base": str(d / "base"), "mixture": str(d / "mixture.jsonl")}


def spec(setup: dict, out, config: dict = CONFIG) -> dict:
    return {"base_model": setup["base"], "mixture_file": setup["mixture"], "out_dir": str(out / "model"),
            "log_file": str(out / "train_log.json"), "checkpoint_dir": str(out / "ckpt"), "kind": "math",
            "answer_phrases": [], "config": config}


@pytest.fixture(scope="module")
def uninterrupted(tiny_setup, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("uninterrupted")
    summary = sft.train_from_spec(spec(tiny_setup, out))
    assert summary["derived"]["steps_per_epoch"] == STEPS_PER_EPOCH
    return {"summary": summary, "weights": weights(out / "model")}


def weights(path) -> dict[str, torch.Tensor]:
    return AutoModelForCausalLM.from_pretrained(path).state_dict()


def assert_same_training(summary: dict, out, reference_summary: dict, reference_weights: dict) -> None:
    """The run in ``out`` ended with the reference's weights and loss curve, its checkpoints removed."""
    tuned = weights(out / "model")
    assert tuned.keys() == reference_weights.keys()
    assert max((tuned[k] - reference_weights[k]).abs().max().item() for k in tuned) == 0.0
    assert summary["loss_curve"] == reference_summary["loss_curve"]
    assert not (out / "ckpt").exists()  # removed once the model is saved


# --- killed while saving ---------------------------------------------------------------------------

# The child trains as the sft rule does and kills itself at ``point`` of the save at ``step``.
KILL_WHILE_SAVING = DIE_BEFORE_REPLACING + textwrap.dedent("""
    import json, sys
    from transformers import Trainer, TrainerState
    from mlpt import sft

    spec_file, point, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if point == "after the weights":  # the model is saved; optimizer, scheduler, RNG, trainer state are not
        save_optimizer_and_scheduler = Trainer._save_optimizer_and_scheduler

        def die_after_the_weights(self, output_dir):
            if self.state.global_step == step:
                os.kill(os.getpid(), signal.SIGKILL)
            save_optimizer_and_scheduler(self, output_dir)

        Trainer._save_optimizer_and_scheduler = die_after_the_weights
    elif point == "inside trainer_state.json":  # every other file is written; the trainer state is cut short
        save_to_json = TrainerState.save_to_json

        def die_half_way(self, json_path):
            save_to_json(self, json_path)
            if self.global_step == step:
                os.truncate(json_path, os.path.getsize(json_path) // 2)
                os.kill(os.getpid(), signal.SIGKILL)

        TrainerState.save_to_json = die_half_way
    elif point == "before the completeness record":  # the Trainer is done; the record is not in place
        die_before_replacing(rf"checkpoint-{step}/complete\\.json$")
    sft.train_from_spec(json.load(open(spec_file)))
""")


@pytest.mark.parametrize(("point", "epoch"), [
    ("after the weights", 2),
    ("inside trainer_state.json", 2),
    ("before the completeness record", 1),  # no complete checkpoint at all: the retry starts over
])
def test_a_kill_while_saving_a_checkpoint_never_blocks_the_retry(point, epoch, tiny_setup, uninterrupted, tmp_path,
                                                                  caplog):
    job = spec(tiny_setup, tmp_path)
    (tmp_path / "job.json").write_text(json.dumps(job))
    step = epoch * STEPS_PER_EPOCH
    run_killed(KILL_WHILE_SAVING, str(tmp_path / "job.json"), point, str(step))

    ckpt = tmp_path / "ckpt"
    partial = ckpt / f"checkpoint-{step}"
    assert partial.is_dir()  # the kill left a partial checkpoint, the newest one
    assert sorted(p.name for p in ckpt.glob("checkpoint-*") if p != partial) == (
        [f"checkpoint-{step - STEPS_PER_EPOCH}"] if epoch > 1 else [])
    assert not (tmp_path / "model").exists() and not (tmp_path / "train_log.json").exists()

    with caplog.at_level(logging.INFO, logger="mlpt.sft"):
        retried = sft.train_from_spec(job)
    assert f"removing {partial}: incomplete" in caplog.text
    assert retried["resumed"] is (epoch > 1)
    assert_same_training(retried, tmp_path, uninterrupted["summary"], uninterrupted["weights"])


# --- changed inputs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stale_checkpoints(tiny_setup, tmp_path_factory):
    """The checkpoint directory a killed run leaves behind: stamped for its inputs, with a complete
    checkpoint (epoch 1) and a partial one (epoch 2)."""
    d = tmp_path_factory.mktemp("stale")
    (d / "job.json").write_text(json.dumps(spec(tiny_setup, d)))
    run_killed(KILL_WHILE_SAVING, str(d / "job.json"), "after the weights", str(2 * STEPS_PER_EPOCH))
    return d / "ckpt"


@pytest.mark.parametrize("change", ["one mixture record", "the learning rate", "one byte of the base weights",
                                    "the code version"])
def test_checkpoints_of_other_inputs_are_never_resumed(change, tiny_setup, stale_checkpoints, tmp_path, caplog,
                                                       monkeypatch):
    setup, config = dict(tiny_setup), CONFIG
    weights_file = Path(setup["base"]) / "model.safetensors"
    original = weights_file.read_bytes()
    if change == "one mixture record":
        records = list(io.read_jsonl(setup["mixture"]))
        records[0]["response"] = records[0]["response"].replace("=", "is")
        setup["mixture"] = str(tmp_path / "mixture.jsonl")
        io.write_jsonl(setup["mixture"], records, schema="train_record")
    elif change == "the learning rate":
        config = {**CONFIG, "learning_rate": CONFIG["learning_rate"] / 2}
    elif change == "one byte of the base weights":  # same path, other weights
        changed = bytearray(original)
        changed[-1] ^= 1
        weights_file.write_bytes(bytes(changed))
    else:
        monkeypatch.setattr(sft.code_version, "module_hash", lambda module: "other code")
    shutil.copytree(stale_checkpoints, tmp_path / "retry" / "ckpt")
    try:
        with caplog.at_level(logging.INFO, logger="mlpt.sft"):
            retried = sft.train_from_spec(spec(setup, tmp_path / "retry", config))
        assert "they belong to a run with other inputs" in caplog.text and retried["resumed"] is False
        reference = sft.train_from_spec(spec(setup, tmp_path / "reference", config))
        assert_same_training(retried, tmp_path / "retry", reference, weights(tmp_path / "reference" / "model"))
    finally:
        weights_file.write_bytes(original)
