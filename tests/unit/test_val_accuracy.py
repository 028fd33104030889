"""Validation decoding (mlpt.val_accuracy): every method gives greedy generation's answers.

A tiny Qwen3 is trained for a few steps to write a word k times and stop, so that rows end at
different lengths (a random tiny model never stops); static batches (sorted, per-row stop) and
transformers' continuous batching must then give exactly the answers of one-prompt ``generate``,
and count their decoded and useful positions.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from mlpt import prompts, tiny, val_accuracy

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["apple", "river", "stone", "cloud"]


def _examples(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k, w = rng.randint(1, 9), rng.choice(WORDS)
        out.append((f"Write {w} {k} times.", " ".join([w] * k)))
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from transformers import AutoModelForCausalLM

    d = tmp_path_factory.mktemp("stopper")
    data = _examples(400, 0)
    tiny.build_lm_tokenizer([p + " " + r for p, r in data], 300, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1},
                         d / "tok", d / "model", seed=0, resources_dir=ROOT / "resources")
    tok = prompts.load_tokenizer(str(d / "model"))
    model = AutoModelForCausalLM.from_pretrained(str(d / "model"))
    return tiny.fit_chats(model, tok, data, 60, lr=1e-2), tok


def _one_by_one(model, tok, user_prompts, max_new_tokens):
    stop = prompts.stop_token_ids(tok)
    out = []
    for p in user_prompts:
        ids = torch.tensor([tok(prompts.chat_prompt(tok, p), add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            gen = model.generate(input_ids=ids, do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=stop,
                                 pad_token_id=tok.pad_token_id)
        out.append(tok.decode(prompts.cut_at_stop(gen[0, ids.shape[1] :].tolist(), stop)[0], skip_special_tokens=True))
    return out


def test_every_method_gives_greedy_answers(trained):
    model, tok = trained
    user_prompts = [p for p, _ in _examples(12, 7)]
    alone = _one_by_one(model, tok, user_prompts, 16)
    counts = {}
    for method in ("static", "continuous"):
        counts[method] = val_accuracy.DecodeCount()
        answers = val_accuracy.generate(model, tok, user_prompts, batch_size=5, max_new_tokens=16, method=method,
                                        count=counts[method])
        assert answers == alone, method
    assert counts["static"].useful == counts["continuous"].useful  # the same rows, stopped at the same tokens
    assert counts["continuous"].decoded == counts["continuous"].useful  # continuous batching decodes no more
    assert counts["static"].decoded >= counts["static"].useful
    assert counts["static"].rows == counts["continuous"].rows == len(user_prompts)
    assert len({len(a.split()) for a in alone}) > 1  # rows really end at different lengths
    assert model.training is False and model.config.use_cache


def test_method_choice():
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(_config())
    assert val_accuracy.choose_method(model) == "static"  # a CPU model: the static path is cheaper here
    assert val_accuracy.choose_method(model, "continuous") == "continuous"
    with pytest.raises(ValueError, match="unknown validation decoding method 'beam'"):
        val_accuracy.choose_method(model, "beam")


def _config():
    from transformers import Qwen3Config

    return Qwen3Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                       num_key_value_heads=1, head_dim=8)


def test_accuracy_reports_decoding(trained):
    model, tok = trained
    recs = [{"lang": "en", "prompt": p, "answer": "1"} for p, _ in _examples(6, 3)]
    result = val_accuracy.accuracy(model, tok, recs, kind="math", answer_phrases=[], batch_size=4, max_new_tokens=8)
    dec = result["decoding"]
    assert dec["method"] == "static" and dec["rows"] == 6
    assert dec["waste_ratio"] == pytest.approx(dec["decoded_positions"] / dec["useful_positions"], abs=1e-4)
