"""SFT on a tiny model: checkpoint selection by validation accuracy and by validation loss, resume
after a kill, LoRA, several processes, and the launcher arithmetic (world size, gradient accumulation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from conftest import addition_record
from mlpt import io, prompts, sft, tiny, val_accuracy

ROOT = Path(__file__).resolve().parents[2]
PHRASES = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")


def _record(i: int, split: str, lang: str) -> dict:
    return addition_record(i, split, lang, PHRASES)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """A tiny Qwen3 and a two-language mixture of 16 training + 4 validation items per language."""
    d = tmp_path_factory.mktemp("sft")
    recs = [_record(i, "train", lang) for lang in ("en", "es") for i in range(16)]
    recs += [_record(100 + i, "val", lang) for lang in ("en", "es") for i in range(4)]
    io.write_jsonl(d / "mixture.jsonl", recs, schema="train_record")
    tiny.build_lm_tokenizer([r["prompt"] + r["response"] for r in recs], 400, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1}, d / "tok",
                         d / "base", seed=0, resources_dir=ROOT / "resources")
    return {"dir": d, "mixture": str(d / "mixture.jsonl"), "base": str(d / "base")}


def _cfg(**kw) -> sft.TrainConfig:
    base = dict(epochs=3, learning_rate=3e-3, per_device_batch_size=8, global_batch_size=8, max_length=128,
                bf16=False, gradient_checkpointing=False, val_max_new_tokens=8, seed=7)
    return sft.TrainConfig(**{**base, **kw})


def _spec(setup: dict, out: Path, **cfg) -> dict:
    return {"base_model": setup["base"], "mixture_file": setup["mixture"], "out_dir": str(out / "model"),
            "log_file": str(out / "train_log.json"), "checkpoint_dir": str(out / "ckpt"), "kind": "math",
            "answer_phrases": prompts.answer_phrases(PHRASES), "config": {**vars(_cfg()), **cfg}}


def _weights(path) -> dict[str, torch.Tensor]:
    return AutoModelForCausalLM.from_pretrained(path).state_dict()


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


# --- arithmetic of the launcher ------------------------------------------------------------------


def test_gradient_accumulation_is_derived_from_the_world_size():
    cfg = sft.TrainConfig(global_batch_size=512, per_device_batch_size=8)
    assert [sft.grad_accumulation(cfg, n) for n in (1, 4, 8)] == [64, 16, 8]
    with pytest.raises(ValueError, match="not a multiple"):
        sft.grad_accumulation(cfg, 3)


def test_one_process_per_visible_gpu_and_fail_fast_on_missing_gpus():
    assert sft.processes_for(0, visible=0) == 1  # CPU job
    assert sft.processes_for(8, visible=8) == 8
    assert sft.processes_for(1, visible=1) == 1
    with pytest.raises(RuntimeError, match="asked for 8 GPU.*sees 2"):
        sft.processes_for(8, visible=2)


def test_launch_command_uses_accelerate_and_the_fsdp_config():
    cmd = sft.launch_command("job.json", 8, "config/accelerate/fsdp.yaml")
    assert cmd[1:3] == ["-m", "accelerate.commands.launch"]
    assert cmd[cmd.index("--num_processes") + 1] == "8"
    assert cmd[cmd.index("--config_file") + 1] == "config/accelerate/fsdp.yaml"
    assert cmd[-4:] == ["-m", "mlpt.sft", "--spec", "job.json"]
    assert "--multi_gpu" in sft.launch_command("job.json", 4)  # DDP for models below the FSDP threshold


def test_validation_records_are_limited_per_language():
    recs = [_record(i, split, lang) for lang in ("en", "es") for i in range(5) for split in ("train", "val")]
    chosen = val_accuracy.select_records(recs, 2)
    assert [(r["lang"], r["split"]) for r in chosen] == [("en", "val")] * 2 + [("es", "val")] * 2


# --- training on the tiny model -------------------------------------------------------------------


@pytest.mark.parametrize("save_dtype", ["fp32", "bf16"])
def test_the_checkpoint_with_the_best_validation_accuracy_is_the_output(setup, tmp_path, monkeypatch, save_dtype):
    """Validation scores 0.2, 0.9, 0.5 after epochs 1-3: the epoch-2 weights must be the output, in
    ``save_dtype`` (bf16: the epoch-2 weights rounded to bf16, which is what its candidate holds)."""
    scores, snapshots = iter([0.2, 0.9, 0.5]), []

    def fake_accuracy(model, tokenizer, records, **kw):
        snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        acc = next(scores)
        return {"accuracy": acc, "by_language": {"en": acc, "es": acc}, "n": len(records)}

    monkeypatch.setattr(val_accuracy, "accuracy", fake_accuracy)
    summary = sft.train_from_spec(_spec(setup, tmp_path, save_dtype=save_dtype))
    assert [p["val_accuracy"] for p in summary["val_curve"]] == [0.2, 0.9, 0.5]
    assert summary["selected"]["val_accuracy"] == 0.9
    assert summary["selected"]["global_step"] == summary["val_curve"][1]["step"]
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[save_dtype]
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "model", dtype=dtype).state_dict()
    assert {v.dtype for v in saved.values()} == {dtype}
    assert _max_diff(saved, {k: v.to(dtype) for k, v in snapshots[1].items()}) == 0.0
    assert _max_diff(saved, {k: v.to(dtype) for k, v in snapshots[2].items()}) > 0  # not the last epoch
    from safetensors import safe_open
    with safe_open(tmp_path / "model/model.safetensors", "pt") as fh:  # stored in save_dtype, not converted on load
        assert {fh.get_slice(k).get_dtype() for k in fh.keys()} == {"F32" if save_dtype == "fp32" else "BF16"}
    # candidates of epochs 1 and 2 (new bests), none of epoch 3; no resume state within 2 hours
    assert summary["checkpoints"]["candidates_written"] == 2 and summary["checkpoints"]["resume_states_written"] == 0
    assert not (tmp_path / "ckpt").exists()  # checkpoints are only for resuming killed runs
    log = json.loads((tmp_path / "train_log.json").read_text())
    assert log["val_curve"][1]["by_language"] == {"en": 0.9, "es": 0.9}


# --- selection by validation loss (study B's recipe) ---------------------------------------------


class _Snapshots:
    """A TrainerCallback keeping the weights at every evaluation."""

    def __new__(cls, into: list):
        from transformers import TrainerCallback

        class Snapshot(TrainerCallback):
            def on_evaluate(self, args, state, control, model=None, **kw):
                into.append({k: v.detach().clone() for k, v in model.state_dict().items()})

        return Snapshot()


def _snapshotting(monkeypatch, snapshots: list) -> None:
    build = sft._build_trainer

    def with_snapshots(*a, **kw):
        trainer, collator = build(*a, **kw)
        trainer.add_callback(_Snapshots(snapshots))
        return trainer, collator

    monkeypatch.setattr(sft, "_build_trainer", with_snapshots)


def test_the_checkpoint_with_the_lowest_validation_loss_is_the_output(setup, tmp_path, monkeypatch):
    """Validation losses 3.0, 1.0, 1.0 after epochs 1-3: the lowest wins and the tie goes to the
    earlier epoch, so the epoch-2 weights must be the output, not the last epoch's."""
    losses, snapshots, scored = iter([3.0, 1.0, 1.0]), [], []

    def fake_loss(prediction, languages):
        scored.append(len(prediction.predictions))
        x = next(losses)
        return {"val_loss": x, "val_loss_en": x, "val_loss_es": x + 0.5}

    monkeypatch.setattr(sft, "loss_metrics", fake_loss)
    _snapshotting(monkeypatch, snapshots)
    summary = sft.train_from_spec(_spec(setup, tmp_path, selection="val_loss", val_batch_size=3, save_dtype="fp32"))
    assert scored == [8, 8, 8]  # every validation record, once per epoch, through the Trainer's loop
    assert [p["val_loss"] for p in summary["val_curve"]] == [3.0, 1.0, 1.0]
    assert summary["selected"] == {"global_step": summary["val_curve"][1]["step"], "val_loss": 1.0,
                                   "criterion": "val_loss"}
    saved = _weights(tmp_path / "model")
    assert _max_diff(saved, snapshots[1]) == 0.0
    assert _max_diff(saved, snapshots[2]) > 0  # not the last epoch
    assert not (tmp_path / "ckpt").exists()
    log = json.loads((tmp_path / "train_log.json").read_text())
    assert log["selected"]["criterion"] == "val_loss"
    assert log["val_curve"][1]["by_language"] == {"en": 1.0, "es": 1.5}


def test_validation_loss_is_summed_over_tokens_not_averaged_over_batches(setup):
    """token_nll + loss_metrics give the model's own loss on one batch, and over several batches
    the loss per real response token (what a batch-mean would not give)."""
    from transformers import AutoTokenizer, EvalPrediction

    tok = AutoTokenizer.from_pretrained(setup["base"])
    model = AutoModelForCausalLM.from_pretrained(setup["base"]).eval()
    recs = val_accuracy.select_records(list(io.read_jsonl(setup["mixture"])), None)
    feats = [sft.tokenize_example(tok, r["prompt"], r["response"], 128)[0] for r in recs]
    feats[0] = {**feats[0], "input_ids": feats[0]["input_ids"] + feats[1]["input_ids"],  # a longer record
                "labels": feats[0]["labels"] + feats[1]["labels"]}
    collate = sft.CompletionCollator(tok.pad_token_id)
    rows, batch_means = [], []
    with torch.no_grad():
        for part in (feats[:1], feats[1:]):
            batch = collate(part)
            out = model(**batch)
            rows.append(sft.token_nll(out.logits, batch["labels"]))
            batch_means.append(out.loss.item())
            assert abs(rows[-1][:, 0].sum().item() / rows[-1][:, 1].sum().item() - out.loss.item()) < 1e-5
    sums = torch.cat(rows)
    assert sums[:, 1].tolist() == [sum(x != -100 for x in f["labels"][1:]) for f in feats]
    metrics = sft.loss_metrics(EvalPrediction(predictions=sums.numpy(), label_ids=None),
                               [r["lang"] for r in recs])
    assert metrics["val_loss"] == pytest.approx(sums[:, 0].sum().item() / sums[:, 1].sum().item())
    assert abs(metrics["val_loss"] - sum(batch_means) / 2) > 1e-3  # the check can fail: not a mean of batches
    en = [i for i, r in enumerate(recs) if r["lang"] == "en"]
    assert metrics["val_loss_en"] == pytest.approx(sums[en, 0].sum().item() / sums[en, 1].sum().item())


@pytest.fixture(scope="module")
def conflicting(setup) -> dict:
    """setup's training records with validation records that training makes worse after a while: the
    answer to each validation prompt is its own instruction line, a text no training answer has."""
    d = setup["dir"] / "conflicting"
    d.mkdir()
    recs = [r for r in io.read_jsonl(setup["mixture"]) if r["split"] == "train"]
    val = [{**r, "id": f"conflict-{r['id']}", "split": "val", "response": r["prompt"].split("\n")[1].rstrip(".")}
           for r in recs if r["id"] in {"sum-0", "sum-1", "sum-2", "sum-3"}]
    io.write_jsonl(d / "mixture.jsonl", recs + val, schema="train_record")
    for lang in ("en", "es"):  # one question-translation-style file per language, as study B's evaluation reads
        io.write_jsonl(d / f"{lang}.jsonl", [r for r in val if r["lang"] == lang], schema="train_record")
    return {**setup, "mixture": str(d / "mixture.jsonl"), "val_files": {lang: str(d / f"{lang}.jsonl")
                                                                         for lang in ("en", "es")}}


@pytest.mark.parametrize("recipe", [
    dict(method="full", learning_rate=1e-2, epochs=6),
    dict(method="lora", lora_r=16, lora_dropout=0.0, learning_rate=2e-1, epochs=6),  # study B's method
], ids=["full", "lora"])
def test_a_real_validation_loss_run_keeps_its_lowest_epoch(conflicting, tmp_path, recipe):
    """A real run on validation records that training first helps, then hurts: train_log.json
    records the criterion, the step and the loss of the lowest epoch — not the last — and the saved
    model has exactly that loss on the held-out records, measured as study B's evaluation measures
    it (mlpt.spontaneous.evaluation.qt_validation_loss)."""
    from mlpt.spontaneous import evaluation

    sft.train_from_spec(_spec(conflicting, tmp_path, selection="val_loss", val_batch_size=3, save_dtype="fp32",
                              **recipe))
    log = json.loads((tmp_path / "train_log.json").read_text())
    curve = log["val_curve"]
    assert len(curve) == 6 and all(set(p["by_language"]) == {"en", "es"} for p in curve)
    best = min(range(len(curve)), key=lambda i: curve[i]["val_loss"])  # the first of equal ones
    assert log["selected"] == {"global_step": curve[best]["step"], "val_loss": curve[best]["val_loss"],
                               "criterion": "val_loss"}
    assert best < len(curve) - 1  # the check can fail: later epochs fit the training answers better
    model, tok = evaluation.load(str(tmp_path / "model"))
    held_out = evaluation.qt_validation_loss(model, tok, conflicting["val_files"], max_length=128, batch_size=3)
    for lang in ("en", "es"):
        assert held_out[lang]["loss"] == pytest.approx(curve[best]["by_language"][lang], abs=1e-4)
        assert abs(held_out[lang]["loss"] - curve[-1]["by_language"][lang]) > 1e-3
    tokens = {lang: held_out[lang]["tokens"] for lang in held_out}
    pooled = sum(curve[best]["by_language"][lang] * n for lang, n in tokens.items()) / sum(tokens.values())
    assert curve[best]["val_loss"] == pytest.approx(pooled, abs=1e-6)  # loss per token over every record


def test_real_validation_generates_and_scores(setup):
    model = AutoModelForCausalLM.from_pretrained(setup["base"])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(setup["base"])
    recs = val_accuracy.select_records(list(io.read_jsonl(setup["mixture"])), 2)
    answers = val_accuracy.generate(model, tok, [r["prompt"] for r in recs], batch_size=3, max_new_tokens=5)
    assert len(answers) == 4 and all(isinstance(a, str) for a in answers)
    # a record whose gold is the model's own extracted answer scores 1, so scoring is really applied
    first = val_accuracy.generate(model, tok, [recs[0]["prompt"]], batch_size=1, max_new_tokens=5)[0]
    assert first == answers[0]  # batching and left padding do not change greedy answers
    result = val_accuracy.accuracy(model, tok, recs, kind="math", answer_phrases=[], batch_size=4, max_new_tokens=5)
    assert set(result["by_language"]) == {"en", "es"} and result["n"] == 4


KILLER = textwrap.dedent("""
    import json, os, signal, sys
    from transformers import TrainerCallback, Trainer
    from mlpt import sft

    class Kill(TrainerCallback):  # SIGKILL one step after the first epoch's checkpoint is written
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == int(sys.argv[2]):
                os.kill(os.getpid(), signal.SIGKILL)

    init = Trainer.__init__
    def patched(self, *a, **kw):
        init(self, *a, **kw)
        self.add_callback(Kill())
    Trainer.__init__ = patched
    sft.train_from_spec(json.load(open(sys.argv[1])))
""")


def test_a_killed_run_resumes_and_ends_with_the_same_model(setup, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    straight = sft.train_from_spec(_spec(setup, tmp_path / "straight", selection="last"))
    spec = _spec(setup, tmp_path / "killed", selection="last", resume_every_hours=0)  # resume states each epoch
    (tmp_path / "job.json").write_text(json.dumps(spec))
    (tmp_path / "killer.py").write_text(KILLER)
    kill_at = straight["derived"]["steps_per_epoch"] + 1
    proc = subprocess.run([sys.executable, str(tmp_path / "killer.py"), str(tmp_path / "job.json"), str(kill_at)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert not (tmp_path / "killed/model").exists()  # no partial output looks complete
    assert any((tmp_path / "killed/ckpt").glob("checkpoint-*"))

    resumed = sft.train_from_spec(spec)
    assert resumed["resumed"] is True
    assert _max_diff(_weights(tmp_path / "killed/model"), _weights(tmp_path / "straight/model")) == 0.0
    late = [p["loss"] for p in straight["loss_curve"] if p["step"] > kill_at - 1]
    assert [p["loss"] for p in resumed["loss_curve"] if p["step"] > kill_at - 1] == late


def test_lora_trains_adapters_on_q_and_v_and_saves_a_merged_model(setup, tmp_path):
    sft.train_from_spec(_spec(setup, tmp_path, method="lora", lora_r=4, epochs=1, learning_rate=1e-2,
                              selection="last", save_dtype="fp32"))  # bf16 would round every weight
    assert not (tmp_path / "model/adapter_config.json").exists()  # merged: loads like any model
    base, tuned = _weights(setup["base"]), _weights(tmp_path / "model")
    changed = {k for k in base if (base[k] - tuned[k]).abs().max() > 0}
    assert changed and all(k.endswith(("q_proj.weight", "v_proj.weight")) for k in changed)


def test_two_processes_share_the_global_batch(setup, tmp_path):
    """The multi-process path (accelerate launch, gloo on CPU): world size 2 halves the accumulation,
    validation is sharded over the ranks, and the selected epoch is the one a single process selects."""
    one = sft.train_from_spec(_spec(setup, tmp_path / "one", epochs=2, global_batch_size=16))
    spec = _spec(setup, tmp_path / "two", epochs=2, global_batch_size=16)
    sft.run_job(spec, 2)
    log = json.loads((tmp_path / "two/train_log.json").read_text())
    assert log["derived"]["world_size"] == 2
    assert log["derived"]["gradient_accumulation_steps"] == 1
    assert (tmp_path / "two/model/config.json").exists()
    assert log["selected"]["global_step"] == one["selected"]["global_step"]
    assert [p["by_language"] for p in log["val_curve"]] == [p["by_language"] for p in one["val_curve"]]


def test_padding_free_batches_give_the_loss_of_padded_ones(setup):
    """Flattened rows must not let attention cross examples: same loss as padding, to float precision."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(setup["base"])
    recs = [r for r in io.read_jsonl(setup["mixture"]) if r["split"] == "train"][:4]
    feats = [sft.tokenize_example(tok, r["prompt"], r["response"], 128)[0] for r in recs]
    model = AutoModelForCausalLM.from_pretrained(setup["base"]).eval()
    model.config.use_cache = False
    flat = sft.make_collator(_cfg(padding_free=True), tok.pad_token_id)(feats)
    padded = sft.make_collator(_cfg(), tok.pad_token_id)(feats)
    assert flat["input_ids"].shape[0] == 1 and "attention_mask" not in flat
    with torch.no_grad():
        loss_flat, loss_padded = model(**flat).loss.item(), model(**padded).loss.item()
        leaky = model(input_ids=flat["input_ids"], labels=flat["labels"]).loss.item()  # one long sequence
    assert abs(loss_flat - loss_padded) < 1e-5
    assert abs(leaky - loss_padded) > 1e-3  # the check can fail: attention across examples changes the loss


def test_padding_free_training_runs_through_the_trainer(setup, tmp_path):
    summary = sft.train_from_spec(_spec(setup, tmp_path, padding_free=True, epochs=1, selection="last"))
    assert summary["config"]["padding_free"] and (tmp_path / "model/config.json").exists()
    assert summary["loss_curve"][-1]["loss"] < summary["loss_curve"][0]["loss"]


# --- mixed precision: fp32 master weights ---------------------------------------------------------


def _changed_share(before: dict, after: dict) -> float:
    changed = sum((before[k] != after[k]).sum().item() for k in before)
    return changed / sum(v.numel() for v in before.values())


def test_bf16_training_keeps_fp32_master_weights(setup, tmp_path):
    """At lr 1e-5 an update is far below bf16's resolution: with fp32 master weights (bf16 only in
    the autocast compute) every weight moves; pure bf16 weights would round most updates away."""
    summary = sft.train_from_spec(_spec(setup, tmp_path, bf16=True, learning_rate=1e-5, warmup_ratio=0.0,
                                        epochs=1, selection="last", save_dtype="fp32"))  # the master weights
    assert summary["derived"]["total_steps"] >= 3
    base, tuned = _weights(setup["base"]), _weights(tmp_path / "model")
    assert all(v.dtype == torch.float32 for v in tuned.values())
    assert _changed_share(base, tuned) >= 0.99

    # the check can fail: the same kind of steps on weights held in bf16 leave most of them unchanged
    model = AutoModelForCausalLM.from_pretrained(setup["base"], dtype=torch.bfloat16)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
    ids = torch.randint(3, model.config.vocab_size, (4, 16))
    for _ in range(3):
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert _changed_share(before, model.state_dict()) < 0.5


def test_warmup_is_a_share_of_all_steps():
    assert sft.warmup_steps(_cfg(warmup_ratio=0.03), 1000) == 30
    assert sft.warmup_steps(_cfg(warmup_ratio=0.5), 7) == 4
    assert sft.warmup_steps(_cfg(warmup_ratio=0.0), 7) == 0


# --- validation sharded over ranks --------------------------------------------------------------

SHARDED_VALIDATION = textwrap.dedent("""
    import json, os, sys
    import torch.distributed as dist
    from transformers import AutoModelForCausalLM
    from mlpt import io, prompts, val_accuracy

    dist.init_process_group("gloo")
    base, mixture, out = sys.argv[1:4]
    model = AutoModelForCausalLM.from_pretrained(base)
    tok = prompts.load_tokenizer(base)
    recs = val_accuracy.select_records(list(io.read_jsonl(mixture)), None)
    seen = []
    real = val_accuracy._generate_local
    def counting(model, tok, user_prompts, **kw):
        seen.extend(user_prompts)
        return real(model, tok, user_prompts, **kw)
    val_accuracy._generate_local = counting
    answers = val_accuracy.generate(model, tok, [r["prompt"] for r in recs], batch_size=3, max_new_tokens=6)
    with open(f"{out}.{dist.get_rank()}.json", "w") as fh:
        json.dump({"answers": answers, "generated": len(seen)}, fh)
    dist.barrier()
    dist.destroy_process_group()
    # gloo's background threads can abort a bare interpreter at exit ("terminate called without an
    # active exception"); the results are written and every rank has passed the barrier
    os._exit(0)
""")


def test_validation_is_sharded_over_ranks_and_gathered(setup, tmp_path):
    """Two processes each answer half of the prompts; both get every answer, equal to one process."""
    from transformers import AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(setup["base"])
    tok = AutoTokenizer.from_pretrained(setup["base"])
    recs = val_accuracy.select_records(list(io.read_jsonl(setup["mixture"])), None)
    alone = val_accuracy.generate(model, tok, [r["prompt"] for r in recs], batch_size=3, max_new_tokens=6)

    (tmp_path / "job.py").write_text(SHARDED_VALIDATION)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", str(29400 + os.getpid() % 500), str(tmp_path / "job.py"), setup["base"],
                           setup["mixture"], str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"out.{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["answers"] == ranks[1]["answers"] == alone
    assert [r["generated"] for r in ranks] == [len(recs) // 2] * 2  # each rank its own half


# --- Gemma3-4B: an image-text checkpoint trains and evaluates as a text model ------------------


def test_image_text_gemma3_trains_on_two_processes_and_evaluates(setup, tmp_path):
    """A tiny copy of google/gemma-3-4b-pt (vision tower included) through the 2-process launcher
    with gradient checkpointing — where DDP would fail on the unused vision weights — then lm-eval."""
    from mlpt import evaluate

    template = (ROOT / "resources/models/google--gemma-3-4b-pt/chat_template.instruct.jinja").read_text()
    base = tmp_path / "gemma-4b"
    tiny.build_causal_lm("google/gemma-3-4b-pt", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2},
                         setup["dir"] / "tok", base, seed=0, resources_dir=ROOT / "resources", chat_template=template)
    assert json.loads((base / "config.json").read_text())["model_type"] == "gemma3"
    spec = {**_spec(setup, tmp_path, epochs=1, global_batch_size=16, gradient_checkpointing=True),
            "base_model": str(base)}
    sft.run_job(spec, 2)
    saved = json.loads((tmp_path / "model/config.json").read_text())
    assert saved["model_type"] == "gemma3_text" and saved["architectures"] == ["Gemma3ForCausalLM"]
    assert json.loads((tmp_path / "train_log.json").read_text())["derived"]["world_size"] == 2
    tok = prompts.load_tokenizer(str(tmp_path / "model"))
    assert json.loads((tmp_path / "model/generation_config.json").read_text())["eos_token_id"] == \
        [tok.convert_tokens_to_ids("<end_of_turn>"), tok.eos_token_id]

    docs = [{"id": f"t{i}", "task": "math", "lang": "en", "split": "test", "question": f"Add {i} and 3.",
             "answer": str(i + 3)} for i in range(3)]
    io.write_jsonl(tmp_path / "en.jsonl", docs, schema="example")
    names = evaluate.build_tasks({"en": str(tmp_path / "en.jsonl")}, str(ROOT / "resources/prompts/phrases.yaml"),
                                 str(tmp_path / "tasks"), task="math", kind="math", max_gen_toks=4)
    summary = evaluate.run(str(tmp_path / "model"), str(tmp_path / "tasks"), str(tmp_path / "eval.json"),
                           str(tmp_path / "eval.samples.jsonl"), task="math", languages=["en"], batch_size=4,
                           max_gen_toks=4, limit=None, meta={"model": "gemma-4b", "mixture": "en"})
    assert names == ["mlpt_math_en"] and summary["languages"]["en"]["n"] == 3
    assert summary["stop"] == "<end_of_turn>"


def test_step_sorted_batches_are_what_the_trainer_trains_on(setup, tmp_path):
    """The Trainer takes its batches from mlpt.batching: inside each 16-example step, sorted
    micro-batches of 4 carry less padding than random ones; both are recorded in train_log.json."""
    logs = {}
    for mode in ("random", "step_sorted"):
        logs[mode] = sft.train_from_spec(_spec(setup, tmp_path / mode, batching=mode, per_device_batch_size=4,
                                               global_batch_size=16, epochs=1, selection="last"))
        assert logs[mode]["real_tokens_per_second"] > 0
    assert logs["step_sorted"]["padding_share"] < logs["random"]["padding_share"]
    assert logs["random"]["derived"]["total_steps"] == logs["step_sorted"]["derived"]["total_steps"] == 2


def test_an_example_longer_than_max_length_is_left_out_never_cut(setup):
    """A cut would keep the prompt and the start of the answer and train the model to stop mid-answer;
    too-long examples are left out whole and counted, the others keep every token."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(setup["base"])
    recs = [_record(i, "train", "en") for i in range(3)]
    recs[1] = {**recs[1], "response": recs[1]["response"] + " and so on" * 40}
    whole = [sft.tokenize_example(tok, r["prompt"], r["response"], 10_000)[0] for r in recs]
    limit = max(len(whole[0]["input_ids"]), len(whole[2]["input_ids"]))
    assert len(whole[1]["input_ids"]) > limit
    feat, fits = sft.tokenize_example(tok, recs[1]["prompt"], recs[1]["response"], limit)
    assert not fits and feat == whole[1]  # reported as too long, never shortened
    kept, left_out = sft._tokenize_all(tok, recs, limit)
    assert left_out == 1 and kept == [whole[0], whole[2]]
    with pytest.raises(ValueError, match="raise sft.max_length"):
        sft._tokenize_all(tok, recs, 5)


def test_a_second_live_writer_of_a_checkpoint_folder_stops_with_the_holder_named(setup, tmp_path):
    """An orphaned job still training while a rerun starts: the rerun stops before it trains."""
    from mlpt import locks

    spec = _spec(setup, tmp_path, epochs=1, selection="last")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from mlpt import locks
        with locks.writer_lock({spec['checkpoint_dir']!r}):
            print("locked", flush=True)
            time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(locks.WriterLockHeld, match=rf"ckpt is being written by another live process \(host .*pid {holder.pid}"):
            sft.train_from_spec(spec)
        assert not Path(spec["out_dir"]).exists()
    finally:
        holder.kill()
        holder.wait()
    sft.train_from_spec(spec)  # the killed holder left nothing that blocks the rerun
    assert Path(spec["log_file"]).is_file()


def test_a_full_disk_while_saving_says_so_and_where(setup, tmp_path, monkeypatch):
    """torch's zip writer reports a full disk as "unexpected pos"; the job names the folder instead
    (the OSError ENOSPC form: tests/unit/test_locks.py)."""

    def full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 512 vs 458")

    monkeypatch.setattr(sft, "_save_model", full)
    spec = _spec(setup, tmp_path, epochs=1, selection="last")
    with pytest.raises(RuntimeError, match=rf"disk full while writing into {spec['out_dir']} \(.*GB free"):
        sft.train_from_spec(spec)


def test_the_paper_recipe_reaches_the_trainer_as_adamw_with_a_cosine_schedule(paper_config, tmp_path):
    """The paper's optimiser and schedule (AdamW, lr 1e-5, cosine, 3% warmup, weight decay 0.01),
    bf16 mixed precision and gradient checkpointing, as the Trainer receives them."""
    fields = sft.TrainConfig.__dataclass_fields__
    cfg = sft.TrainConfig(**{k: v for k, v in paper_config["sft"].items() if k in fields})
    args = sft._training_arguments(cfg, str(tmp_path), accum=64, total_steps=100, max_steps=-1, cuda=False)
    assert args.optim == "adamw_torch" and args.lr_scheduler_type == "cosine"
    assert (args.learning_rate, args.weight_decay) == (1.0e-5, 0.01)
    assert args.warmup_steps == sft.warmup_steps(cfg, 100) == 3
    assert cfg.gradient_checkpointing and cfg.bf16 and cfg.epochs == 6 and cfg.global_batch_size == 512
