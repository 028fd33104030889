"""Reloading a checkpoint of a model with tied input and output embeddings: the checkpoint stores
the shared matrix once, so ``lm_head.weight`` is reported missing though it is loaded. The Trainer's
reload (the best checkpoint at the end, the last to resume) takes that quietly, where transformers
warned once per SFT run; a weight that is really missing still stops the run, at reload as at
loading."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mlpt import io, models, prompts, sft, tiny

ROOT = Path(__file__).resolve().parents[2]


def _tied_model():
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, head_dim=8, tie_word_embeddings=True)
    torch.manual_seed(0)
    return Qwen3ForCausalLM(config)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, torch.Tensor]:
    """The weights of a tied model as save_pretrained writes them: the shared matrix once."""
    d = tmp_path_factory.mktemp("tied")
    _tied_model().save_pretrained(d)
    weights = load_file(d / "model.safetensors")
    assert "lm_head.weight" not in weights and "model.embed_tokens.weight" in weights
    return weights


def _reload(weights: dict):
    """Load ``weights`` into a fresh tied model as the Trainer does (non-strict); the model and the result."""
    model = _tied_model()
    with torch.no_grad():
        model.model.embed_tokens.weight.zero_()
    return model, model.load_state_dict(weights, strict=False)


def test_a_tied_weight_is_not_missing_a_real_one_is(saved):
    model, result = _reload(saved)
    assert result.missing_keys == ["lm_head.weight"]
    assert models.really_missing(model, result.missing_keys) == []
    assert torch.equal(model.lm_head.weight, saved["model.embed_tokens.weight"])  # loaded through the embedding
    model, result = _reload({k: v for k, v in saved.items() if k != "model.norm.weight"})
    assert models.really_missing(model, result.missing_keys) == ["model.norm.weight"]
    model, result = _reload({k: v for k, v in saved.items() if k != "model.embed_tokens.weight"})
    assert models.really_missing(model, result.missing_keys) == ["lm_head.weight", "model.embed_tokens.weight"]


def _trainer(model):
    """The study's Trainer class around ``model``, as far as its reload check reads it."""
    trainer = sft._validating_trainer_class().__new__(sft._validating_trainer_class())
    trainer.model = model
    return trainer


def test_the_reload_is_quiet_for_a_tied_weight_and_fails_for_a_missing_one(saved, monkeypatch):
    import transformers.trainer

    warned = []
    monkeypatch.setattr(transformers.trainer.logger, "warning", lambda msg, *a, **k: warned.append(msg))
    model, result = _reload(saved)
    _trainer(model)._issue_warnings_after_load(result)
    assert warned == []
    model, result = _reload({**saved, "extra.weight": torch.zeros(1)})
    _trainer(model)._issue_warnings_after_load(result)  # unexpected keys: still warned of, as transformers does
    assert len(warned) == 1 and "unexpected keys" in warned[0] and "extra.weight" in warned[0]
    model, result = _reload({k: v for k, v in saved.items() if k != "model.norm.weight"})
    with pytest.raises(ValueError, match=r"the reloaded checkpoint lacks weights: \['model.norm.weight'\]"):
        _trainer(model)._issue_warnings_after_load(result)


def test_a_run_that_reloads_its_best_checkpoint_prints_no_missing_keys(tmp_path, monkeypatch):
    """A real SFT run of a tiny tied Qwen3 selecting by validation loss: the Trainer reloads the
    best epoch's checkpoint at the end (transformers warned "missing keys ... ['lm_head.weight']")."""
    import transformers.trainer

    phrases = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")
    recs = []
    for split, n in (("train", 8), ("val", 2)):
        for i in range(n):
            rec = {"id": f"{split}-{i}", "lang": "en", "split": split, "question": f"Add {i} and 2.",
                   "reasoning": f"{i} + 2 = {i + 2}.", "answer": str(i + 2)}
            recs.append({"id": rec["id"], "lang": "en", "split": split, "answer": rec["answer"],
                         "prompt": prompts.render_prompt("math", rec, phrases),
                         "response": prompts.render_response("math", rec, phrases)})
    io.write_jsonl(tmp_path / "mixture.jsonl", recs, schema="train_record")
    tiny.build_lm_tokenizer([r["prompt"] + r["response"] for r in recs], 300, tmp_path / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1},
                         tmp_path / "tok", tmp_path / "base", seed=0, resources_dir=ROOT / "resources")
    warned, checked = [], []
    monkeypatch.setattr(transformers.trainer.logger, "warning", lambda msg, *a, **k: warned.append(str(msg)))
    really_missing = models.really_missing
    monkeypatch.setattr(models, "really_missing", lambda m, keys: checked.append(list(keys)) or really_missing(m, keys))
    cfg = sft.TrainConfig(epochs=2, learning_rate=3e-3, per_device_batch_size=8, global_batch_size=8, max_length=128,
                          bf16=False, gradient_checkpointing=False, selection="val_loss", seed=7)
    sft.train(str(tmp_path / "base"), str(tmp_path / "mixture.jsonl"), str(tmp_path / "model"),
              str(tmp_path / "train_log.json"), str(tmp_path / "ckpt"), cfg, kind="math",
              answer_phrases=prompts.answer_phrases(phrases))
    assert checked == [["lm_head.weight"]]  # the best checkpoint was reloaded, its tied head reported missing
    assert not [w for w in warned if "missing keys" in w]
