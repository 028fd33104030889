"""lm-eval tasks and one-process evaluation (mlpt.evaluate) on a tiny model and real shipped data.

Three test items per task kind (MGSM in English and Spanish, API-Bank level 1 in English), a
2-layer random Qwen3 and a few generated tokens keep every run to seconds on CPU. The tiny model's
answers are noise; the tests check the plumbing: task files, few-shot exemplars, per-example
records, summary shape, backend checks.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from mlpt import data, evaluate, io, prompts, tiny

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
PHRASES = RESOURCES / prompts.PHRASES_FILE
SPEC = {"n_train": 2, "n_val": 2, "n_test": 3}
KINDS = {"math": ("gsm8k_mgsm", ["en", "es"]), "api": ("api_bank", ["en"])}
RUN_ARGS = {"batch_size": 4, "max_gen_toks": 6, "limit": None}


class _Loader(yaml.SafeLoader):
    """Reads generated task YAMLs (which tag their filter hooks with ``!function``)."""


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


@pytest.fixture(scope="module")
def language_files(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """task -> lang -> example records (English: val + test; other languages: MGSM test)."""
    out = {}
    for task, (source, langs) in KINDS.items():
        prepared = data.prepare(source, RESOURCES, task, SPEC, langs, "en", seed=0)
        d = tmp_path_factory.mktemp(task)
        out[task] = {}
        for lang in langs:
            records = [r for r in prepared.records + prepared.references
                       if r["lang"] == lang and r["split"] != "train"]
            out[task][lang] = d / f"{lang}.jsonl"
            io.write_jsonl(out[task][lang], records, schema="example")
    return out


def _kind(task: str) -> str:
    return "math" if task == "math" else "api_call"


def _build(language_files, out_dir: Path, task: str, langs: list[str], num_fewshot: int = 0) -> Path:
    files = {lang: str(language_files[task][lang]) for lang in langs}
    evaluate.build_tasks(files, str(PHRASES), str(out_dir), task=task, kind=_kind(task),
                         max_gen_toks=RUN_ARGS["max_gen_toks"], num_fewshot=num_fewshot)
    return out_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, language_files) -> Path:
    """A tiny Qwen3 whose tokenizer is trained on the test prompts (built as the workflow does)."""
    texts = [line for files in language_files.values() for path in files.values() for line in path.open(encoding="utf-8")]
    tok_dir = tmp_path_factory.mktemp("tokenizer")
    tiny.build_lm_tokenizer(texts, 600, tok_dir)
    d = tmp_path_factory.mktemp("qwen3-tiny")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2},
                         tok_dir, d, seed=0, resources_dir=RESOURCES)
    return d


def _run(model_dir, tasks_dir, out: Path, task: str, langs: list[str], **kwargs) -> tuple[dict, list[dict]]:
    summary_file, samples_file = out / f"{task}.json", out / f"{task}.samples.jsonl"
    evaluate.run(str(model_dir), str(tasks_dir), str(summary_file), str(samples_file), task=task, languages=langs,
                 meta={"model": "qwen3-tiny", "mixture": "pretrained"}, **{**RUN_ARGS, **kwargs})
    return io.read_json(summary_file), list(io.read_jsonl(samples_file))


# --- task files --------------------------------------------------------------------------------


def test_zero_shot_tasks_have_no_fewshot_split(language_files, tmp_path):
    tasks = _build(language_files, tmp_path / "math", "math", ["en", "es"])
    spec = _yaml(tasks / "mlpt_math_en.yaml")
    assert "fewshot_split" not in spec and "num_fewshot" not in spec
    assert list(spec["dataset_kwargs"]["data_files"]) == ["test"]
    assert not list(tasks.glob("*.fewshot.jsonl"))
    assert all("response" not in d for d in io.read_jsonl(tasks / "en.jsonl"))


def test_fewshot_tasks_draw_exemplars_from_validation(language_files, tmp_path):
    tasks = _build(language_files, tmp_path / "math", "math", ["en"], num_fewshot=2)
    spec = _yaml(tasks / "mlpt_math_en.yaml")
    assert spec["fewshot_split"] == evaluate.FEWSHOT_SPLIT == "validation"
    assert spec["fewshot_config"] == {"sampler": "first_n", "doc_to_target": "response"}
    assert "num_fewshot" not in spec  # a task-level 0 would override the caller's num_fewshot
    files = spec["dataset_kwargs"]["data_files"]
    assert files == {"test": str((tasks / "en.jsonl").resolve()), "validation": str((tasks / "en.fewshot.jsonl").resolve())}

    val = [r for r in io.read_jsonl(language_files["math"]["en"]) if r["split"] == "val"]
    shots = list(io.read_jsonl(tasks / "en.fewshot.jsonl"))
    assert [s["id"] for s in shots] == [r["id"] for r in val]
    phrases = prompts.load_phrases(PHRASES)
    assert shots[0]["response"] == prompts.render_response("math", val[0], phrases)
    test_docs = list(io.read_jsonl(tasks / "en.jsonl"))
    assert {d["response"] for d in test_docs} == {""}
    assert not {d["id"] for d in test_docs} & {s["id"] for s in shots}


def test_fewshot_needs_enough_validation_records(language_files, tmp_path):
    with pytest.raises(ValueError, match=r"evaluation.baseline_num_fewshot is 3 .* 2 validation records for 'en'"):
        _build(language_files, tmp_path / "math", "math", ["en"], num_fewshot=3)
    with pytest.raises(ValueError, match=r"0 validation records for 'es'"):  # MGSM test only
        _build(language_files, tmp_path / "math", "math", ["es"], num_fewshot=1)


# --- backend and task checks happen before any model is loaded ---------------------------------


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_vllm_backend_without_vllm_fails_before_loading(tmp_path):
    with pytest.raises(RuntimeError, match="evaluation.backend is 'vllm' but the vllm package is not installed"):
        _run(tmp_path / "no-such-model", tmp_path / "no-such-tasks", tmp_path, "math", ["en"], backend="vllm")
    assert not list(tmp_path.iterdir())


def test_unknown_backend_names_the_key():
    with pytest.raises(ValueError, match="evaluation.backend: unknown backend 'tgi'"):
        evaluate.check_backend("tgi")


def test_fewshot_run_refuses_tasks_without_fewshot_split(language_files, tmp_path):
    tasks = _build(language_files, tmp_path / "math", "math", ["en"])
    with pytest.raises(RuntimeError, match="1-shot evaluation asked for, but tasks \\['mlpt_math_en'\\] have no 'validation'"):
        _run(tmp_path / "no-such-model", tasks, tmp_path, "math", ["en"], num_fewshot=1)


# --- end to end: lm-eval on the tiny model, both task kinds ------------------------------------


@pytest.mark.parametrize("task", list(KINDS))
def test_tiny_model_end_to_end(task, language_files, model_dir, tmp_path):
    langs = KINDS[task][1]
    tasks = _build(language_files, tmp_path / "tasks", task, langs)
    timings: dict = {}
    summary, samples = _run(model_dir, tasks, tmp_path, task, langs, timings=timings)

    assert summary["task"] == task and summary["model"] == "qwen3-tiny" and summary["mixture"] == "pretrained"
    assert summary["num_fewshot"] == 0 and summary["backend"] == "hf" and summary["stop"] == "<|im_end|>"
    assert set(summary["languages"]) == set(langs)
    for lang, res in summary["languages"].items():
        assert set(res) == {"n", "correct", "accuracy", "fidelity", "hit_max_gen_toks"}
        assert res["n"] == SPEC["n_test"] and 0 <= res["accuracy"] <= 1 and 0 <= res["fidelity"] <= 1
        rows = [s for s in samples if s["lang"] == lang]
        assert len(rows) == res["n"] and sum(s["correct"] for s in rows) == res["correct"]
        assert res["hit_max_gen_toks"] == sum(s["ended"] is False for s in rows)
        assert all(isinstance(s["ended"], bool) for s in rows)  # recorded for every answer

    docs = {(d["lang"], d["id"]): d for lang in langs for d in io.read_jsonl(tasks / f"{lang}.jsonl")}
    for s in samples:
        assert set(s) == {"lang", "id", "prompt", "prediction", "extracted", "gold", "correct", "response_lang",
                          "ended"}
        doc = docs[(s["lang"], s["id"])]
        assert s["gold"] == doc["answer"] and doc["prompt"] in s["prompt"]
        # Qwen3's own template, non-thinking: the empty think block ends the prompt
        assert s["prompt"].startswith("<|im_start|>user\n")
        assert s["prompt"].endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
        assert s["correct"] == (s["extracted"] == s["gold"])
    assert {"imports", "index_tasks", "load_model", "lm_eval", "generate", "records"} <= set(timings)
    assert timings["generate"] <= timings["lm_eval"]


def test_fewshot_prompt_carries_in_language_exemplar(language_files, model_dir, tmp_path):
    tasks = _build(language_files, tmp_path / "tasks", "math", ["en"], num_fewshot=1)
    summary, samples = _run(model_dir, tasks, tmp_path, "math", ["en"], num_fewshot=1)
    shot = next(io.read_jsonl(tasks / "en.fewshot.jsonl"))
    second = list(io.read_jsonl(tasks / "en.fewshot.jsonl"))[1]
    assert summary["num_fewshot"] == 1
    for s in samples:  # user turn (exemplar), assistant turn (its answer), then the test question
        # the exemplar turn is rendered exactly like a training example: the same empty think block
        exemplar = (f"<|im_start|>user\n{shot['prompt']}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
                    f"{shot['response']}<|im_end|>\n")
        assert s["prompt"].startswith(exemplar)
        assert second["prompt"] not in s["prompt"]  # k = 1 exemplar only
        assert s["prompt"].count("<|im_start|>user") == 2


# --- HF vs vLLM: identical scores on the tiny model (GPU machines with the vllm extra) ----------


def _why_no_vllm() -> str:
    """Why the vLLM backend cannot run here ("" when it can)."""
    import torch

    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (optional extra: pip install -e '.[vllm]', CUDA machines only)"
    return "" if torch.cuda.is_available() else "vLLM needs a CUDA GPU; none is visible"


@pytest.mark.skipif(bool(_why_no_vllm()), reason=_why_no_vllm() or "vLLM can run here")
def test_hf_and_vllm_give_identical_scores(language_files, model_dir, tmp_path):
    for task, (_, langs) in KINDS.items():
        tasks = _build(language_files, tmp_path / task, task, langs)
        scores = {}
        for backend in evaluate.BACKENDS:
            (tmp_path / backend).mkdir(exist_ok=True)
            summary, samples = _run(model_dir, tasks, tmp_path / backend, task, langs, backend=backend)
            scores[backend] = (summary["languages"], [(s["id"], s["extracted"]) for s in samples])
        assert scores["hf"] == scores["vllm"], task


def test_task_folder_registers_with_lm_eval_alone(language_files, tmp_path):
    """The generated folder is a self-contained lm-eval include path (as for `lm_eval --include_path`)."""
    from lm_eval.tasks import TaskManager

    tasks = _build(language_files, tmp_path / "api", "api", ["en"], num_fewshot=1)
    manager = TaskManager(include_path=str(tasks), include_defaults=False)
    assert {"mlpt_api_en", "mlpt_api_all"} <= set(manager.all_tasks)
    assert json.loads((tasks / "answer_phrases.json").read_text(encoding="utf-8"))


# --- answers end at the end-of-turn token; answers that never end are counted ------------------


@pytest.mark.parametrize("ends", [True, False])
def test_answers_are_cut_at_the_end_of_turn_token_and_unfinished_ones_counted(ends, language_files, model_dir,
                                                                               tmp_path, monkeypatch):
    """The model is made to answer '12', then the end-of-turn token, then '99' (or '12 34 ...' that
    never ends): the answer scored is '12', and an answer without an end is counted as such."""
    import torch

    from mlpt import models

    tok = prompts.load_tokenizer(str(model_dir))
    end = tok.convert_tokens_to_ids(prompts.end_of_turn(tok))
    answer = tok("12", add_special_tokens=False)["input_ids"]
    tail = tok(" 99", add_special_tokens=False)["input_ids"]
    real_load = models.load_causal_lm

    def load(path, dtype=None, **kw):
        model = real_load(path, dtype, **kw)

        def generate(input_ids, max_length, **kwargs):
            n_new = max_length - input_ids.shape[1]
            cont = (answer + [end] + tail) if ends else (answer * n_new)
            cont = (cont + [tok.pad_token_id] * n_new)[:n_new]
            return torch.cat([input_ids, torch.tensor([cont] * input_ids.shape[0])], dim=1)

        model.generate = generate
        return model

    monkeypatch.setattr(models, "load_causal_lm", load)
    tasks = _build(language_files, tmp_path / "tasks", "math", ["en"])
    summary, samples = _run(model_dir, tasks, tmp_path, "math", ["en"])
    if ends:
        assert {s["prediction"] for s in samples} == {"12"} and all(s["ended"] for s in samples)
        assert summary["languages"]["en"]["hit_max_gen_toks"] == 0
    else:
        assert not any(s["ended"] for s in samples)
        assert summary["languages"]["en"]["hit_max_gen_toks"] == len(samples) == SPEC["n_test"]


def test_every_task_decodes_greedily_up_to_the_generation_budget(tmp_path):
    from mlpt import evaluate

    spec = evaluate.task_yaml("math", "bn", tmp_path / "bn.jsonl", "math", 1024)
    assert spec["generation_kwargs"]["do_sample"] is False and spec["generation_kwargs"]["max_gen_toks"] == 1024


# --- every evaluated model stops a row at its end-of-turn token --------------------------------


def test_base_model_stops_rows_at_end_of_turn(model_dir):
    """A base checkpoint (Qwen3-Base's generation config: EOS <|endoftext|> only) gets the chat
    template's end-of-turn token as generation EOS too, as fine-tuned checkpoints have it, so a row
    that has answered stops there (HF generate pads it) instead of decoding on."""
    import torch
    from transformers import GenerationConfig
    from transformers.modeling_outputs import CausalLMOutputWithPast

    tok = prompts.load_tokenizer(str(model_dir))
    end = tok.convert_tokens_to_ids("<|im_end|>")
    saved = GenerationConfig.from_pretrained(str(model_dir)).eos_token_id
    assert end not in ([saved] if isinstance(saved, int) else saved)  # the base checkpoint's own config
    lm = evaluate._load_lm("hf", str(model_dir), tok, 2)
    eos = lm.model.generation_config.eos_token_id
    eos = [eos] if isinstance(eos, int) else eos
    assert eos[: 2] == prompts.stop_token_ids(tok) == [end, tok.eos_token_id]

    # a row whose model emits <|im_end|> ends there, with no explicit eos_token_id passed (as lm-eval calls it)
    model = lm.model
    vocab = model.config.vocab_size

    def forward(input_ids, **kwargs):
        logits = torch.zeros(input_ids.shape[0], input_ids.shape[1], vocab)
        logits[:, :, end] = 1.0
        return CausalLMOutputWithPast(logits=logits)

    ids = torch.tensor([tok("x", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        real = model.forward
        model.forward = forward
        try:
            out = model.generate(input_ids=ids, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id,
                                 use_cache=False)
        finally:
            model.forward = real
    assert out[0, ids.shape[1] :].tolist() == [end]


def test_decoded_and_useful_positions_are_recorded(language_files, model_dir, tmp_path):
    tasks = _build(language_files, tmp_path / "tasks", "math", ["en", "es"])
    summary, samples = _run(model_dir, tasks, tmp_path, "math", ["en", "es"])
    dec = summary["decoding"]
    assert dec["batches"] == 2 and dec["largest_batch"] == RUN_ARGS["batch_size"]  # 6 prompts, batches of 4
    assert dec["useful_positions"] <= dec["decoded_positions"] <= len(samples) * RUN_ARGS["max_gen_toks"]
    assert dec["waste_ratio"] == pytest.approx(dec["decoded_positions"] / dec["useful_positions"], abs=1e-4)


def test_auto_batch_size_probes_this_runs_length(language_files, model_dir, tmp_path, monkeypatch):
    """``batch_size: auto``: lm-eval's search runs at the longest prompt + max_gen_toks, not at the
    model's maximum context."""
    from lm_eval.models.huggingface import HFLM

    probed = []
    real = HFLM._detect_batch_size

    def detect(self, requests=None, pos=0):
        probed.append(self.max_length)
        return real(self, requests, pos)

    monkeypatch.setattr(HFLM, "_detect_batch_size", detect)
    tasks = _build(language_files, tmp_path / "tasks", "math", ["en"])
    summary, samples = _run(model_dir, tasks, tmp_path, "math", ["en"], batch_size="auto")
    tok = prompts.load_tokenizer(str(model_dir))
    longest = max(len(tok(s["prompt"], add_special_tokens=False)["input_ids"]) for s in samples)
    assert probed == [longest + RUN_ARGS["max_gen_toks"]]
    assert summary["decoding"]["batch_size"] == "auto" and summary["decoding"]["largest_batch"] == SPEC["n_test"]
