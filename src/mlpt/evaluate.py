"""Evaluation with lm-evaluation-harness: task generation and one-process-per-checkpoint runs.

``build_tasks`` writes, for one task of the study, one lm-eval task per language (YAML + its test
documents + the filter hooks) into a folder usable on its own::

    lm_eval --include_path results/<run>/tasks/math --tasks mlpt_math --model hf --model_args pretrained=<model> --apply_chat_template

Documents carry the rendered user prompt (:mod:`mlpt.prompts`, the same function training uses);
lm-eval wraps it in the model's chat template. Generation is greedy and stops at the chat
template's end-of-turn marker. The filter extracts the final number (math) or the canonical API
call (api_call) and ``exact_match`` compares it with the gold target.

``run`` evaluates one checkpoint on every language of one task in a single process (model loaded
once) and writes a summary plus per-example records (prompt language, prediction, extracted
answer, gold, correct, the response's identified language, whether the answer ended before
``max_gen_toks``; per language the count of those that did not, ``hit_max_gen_toks``). Language fidelity — the share of
responses written in the prompt's language (:mod:`mlpt.language_id`) — is reported beside
accuracy; it is meaningful for natural-language answers (math), less so for API calls.

Few-shot baseline: with ``num_fewshot > 0`` ``build_tasks`` also writes each language's
validation records as the task's ``validation`` split (``fewshot_split``; never the test split),
each with the response training teaches, and ``run`` passes ``num_fewshot`` to lm-eval, which
prepends the first k of them (sampler ``first_n``: the same k items, parallel across languages)
as user/assistant turns. The workflow does this for the ``pretrained`` checkpoint only
(``evaluation.baseline_num_fewshot``); the paper evaluates every model zero-shot.

Backends: ``hf`` (transformers, CPU or GPU) or ``vllm`` (GPU, the optional ``vllm`` extra); both get
the same task definitions, chat template, stop string and greedy generation.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import time
from pathlib import Path

import yaml

from . import io, language_id, models, prompts

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "lm_eval_tasks"
FILTERS = {"math": "extract_math", "api_call": "extract_call"}
TASK_VERSION = 1.0  # bump when a prompt or target changes
BACKENDS = ("hf", "vllm")
FEWSHOT_SPLIT = "validation"  # the lm-eval split holding a language's few-shot exemplars (val records)


def task_name(task: str, lang: str | None = None) -> str:
    return f"mlpt_{task}" + (f"_{lang}" if lang else "")


class _Function(str):
    """Emit a YAML ``!function`` tag."""


yaml.SafeDumper.add_representer(_Function, lambda d, v: d.represent_scalar("!function", str(v)))


def task_yaml(task: str, lang: str, docs_path: Path, kind: str, max_gen_toks: int,
              fewshot_path: Path | None = None) -> dict:
    """One language's lm-eval task; with ``fewshot_path``, its docs are the few-shot split.

    ``num_fewshot`` is deliberately not set: a task-level 0 would make lm-eval ignore the
    caller's ``num_fewshot``; unset means 0 unless the caller asks for shots.
    """
    data_files = {"test": str(docs_path.resolve())}
    fewshot = {}
    if fewshot_path is not None:
        data_files[FEWSHOT_SPLIT] = str(fewshot_path.resolve())
        fewshot = {"fewshot_split": FEWSHOT_SPLIT,
                   "fewshot_config": {"sampler": "first_n", "doc_to_target": "response"}}
    return {
        "task": task_name(task, lang),
        "tag": [task_name(task)],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": data_files},
        "test_split": "test",
        **fewshot,
        "output_type": "generate_until",
        # fields named, not Jinja templates ("{{prompt}}"): lm-eval returns a named field as it is,
        # where it would compile a template afresh for every document (0.7 s of a demo evaluation)
        "doc_to_text": "prompt",
        "doc_to_target": "answer",
        "generation_kwargs": {"until": [], "do_sample": False, "max_gen_toks": max_gen_toks},
        "filter_list": [
            {"name": "extract", "filter": [
                {"function": "custom", "filter_fn": _Function(f"mlpt_task_utils.{FILTERS[kind]}")},
                {"function": "take_first"},
            ]},
        ],
        "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": TASK_VERSION},
    }


def _docs(records: list[dict], lang: str, kind: str, phrases: dict, fewshot: bool) -> list[dict]:
    """lm-eval documents; with ``fewshot`` each carries ``response`` (an exemplar's answer turn;
    empty for test docs, which only share the field because lm-eval's splits need one schema)."""
    docs = []
    for r in records:
        doc = {"id": r["id"], "lang": lang, "prompt": prompts.render_prompt(kind, r, phrases), "answer": r["answer"]}
        if fewshot:
            doc["response"] = prompts.render_response(kind, r, phrases) if r["split"] == "val" else ""
        docs.append(doc)
    return docs


def build_tasks(language_files: dict[str, str], phrases_file: str, out_dir: str, *, task: str, kind: str,
                max_gen_toks: int, num_fewshot: int = 0) -> list[str]:
    """Write the lm-eval tasks of one study task into ``out_dir`` (one per language + a group).

    ``num_fewshot`` > 0 adds each language's val records as the few-shot split
    (``<lang>.fewshot.jsonl``); every language must then have at least that many.
    """
    phrases = prompts.load_phrases(phrases_file)
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    names = []
    fewshot = num_fewshot > 0
    for lang, path in language_files.items():
        records = list(io.read_jsonl(path, schema="example"))
        docs = _docs([r for r in records if r["split"] == "test"], lang, kind, phrases, fewshot)
        if not docs:
            raise ValueError(f"{path}: no test records for '{lang}'")
        io.write_jsonl(tmp / f"{lang}.jsonl", docs, schema="eval_doc")
        fewshot_path = None
        if fewshot:
            shots = _docs([r for r in records if r["split"] == "val"], lang, kind, phrases, fewshot)
            if len(shots) < num_fewshot:
                raise ValueError(f"evaluation.baseline_num_fewshot is {num_fewshot} but {path} has {len(shots)} "
                                 f"validation records for '{lang}' (tasks.{task}.n_val must be at least {num_fewshot})")
            io.write_jsonl(tmp / f"{lang}.fewshot.jsonl", shots, schema="eval_doc")
            fewshot_path = out / f"{lang}.fewshot.jsonl"
        spec = task_yaml(task, lang, out / f"{lang}.jsonl", kind, max_gen_toks, fewshot_path)
        (tmp / f"{task_name(task, lang)}.yaml").write_text(
            "# Generated by the build_eval_tasks rule (mlpt.evaluate); do not edit.\n"
            + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
        names.append(task_name(task, lang))
    group = {"group": f"{task_name(task)}_all", "task": names,
             "aggregate_metric_list": [{"metric": "exact_match", "aggregation": "mean", "weight_by_size": True}],
             "metadata": {"version": TASK_VERSION}}
    (tmp / f"_{task_name(task)}_group.yaml").write_text(yaml.safe_dump(group, sort_keys=False), encoding="utf-8")
    shutil.copy(TEMPLATE_DIR / "mlpt_task_utils.py", tmp / "mlpt_task_utils.py")
    (tmp / "answer_phrases.json").write_text(json.dumps(prompts.answer_phrases(phrases), ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return names


def check_backend(backend: str) -> None:
    """Fail fast, before anything is loaded, when ``backend`` cannot run here."""
    if backend not in BACKENDS:
        raise ValueError(f"evaluation.backend: unknown backend '{backend}' (one of {', '.join(BACKENDS)})")
    if backend == "vllm":
        if importlib.util.find_spec("vllm") is None:
            raise RuntimeError("evaluation.backend is 'vllm' but the vllm package is not installed here: "
                               "install the optional extra (pip install -e '.[vllm]') on a CUDA machine, "
                               "or set evaluation.backend: hf")
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("evaluation.backend is 'vllm' but no CUDA GPU is visible: vLLM needs one; "
                               "set evaluation.backend: hf to evaluate on CPU")


def _check_tasks(manager, wanted: list[str], tasks_dir: str, num_fewshot: int) -> None:
    missing = sorted(set(wanted) - set(manager.all_tasks))
    if missing:  # lm-eval skips a broken YAML silently
        raise RuntimeError(f"{tasks_dir}: lm-eval did not register tasks {missing}")
    if num_fewshot:  # without a few-shot split lm-eval would draw exemplars from the test split
        bare = [n for n in wanted if manager.task_index[n].cfg.get("fewshot_split") != FEWSHOT_SPLIT]
        if bare:
            raise RuntimeError(f"{tasks_dir}: {num_fewshot}-shot evaluation asked for, but tasks {bare} have no "
                               f"'{FEWSHOT_SPLIT}' few-shot split (build them with num_fewshot > 0, i.e. "
                               "evaluation.baseline_num_fewshot > 0)")


def _chat_lm(base: type) -> type:
    """``base`` (an lm-eval model class) with the study's chat rendering and answer ends.

    * Chats (the prompt, and few-shot exemplars as earlier turns) are rendered by
      :func:`mlpt.prompts.render_conversation`, the functions training uses.
    * HF backend: a generated answer is cut at the first end-of-turn or EOS *token* before it is
      decoded (lm-eval decodes with special tokens skipped, which would erase the marker and keep
      what a row generated after it), and whether the answer ended before ``max_gen_toks`` is
      recorded per prompt in ``answer_ended``.
    """

    class ChatLM(base):
        answer_ended: dict[str, bool]

        def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
            return prompts.render_conversation(self.chat_tokenizer, chat_history)

        def tok_decode(self, tokens, skip_special_tokens: bool = True):
            if isinstance(tokens, list) and skip_special_tokens:  # a generated continuation
                tokens, self._ended = prompts.cut_at_stop(tokens, self.stop_ids)
            return super().tok_decode(tokens, skip_special_tokens=skip_special_tokens)

    return ChatLM


def _hf_chat_lm(base: type) -> type:
    """:func:`_chat_lm` of lm-eval's ``HFLM``, which also counts the positions it decodes
    (``decoded``: every row of a batch at every step the batch runs) and the useful ones (each
    row's tokens up to and including its stop), and probes ``batch_size: auto`` at this run's
    length."""
    from lm_eval.models.utils import normalize_gen_kwargs

    class HFChatLM(_chat_lm(base)):
        decoded: dict[str, int]
        probe_length: int | None = None

        def _model_generate(self, context, max_length: int, stop: list[str], **generation_kwargs):
            out = super()._model_generate(context, max_length, stop, **generation_kwargs)
            rows = out[:, context.shape[1] :].tolist()
            self.decoded["batches"] += 1
            self.decoded["largest_batch"] = max(self.decoded["largest_batch"], len(rows))
            self.decoded["decoded_positions"] += len(rows) * (len(rows[0]) if rows else 0)
            self.decoded["useful_positions"] += sum(prompts.useful_positions(r, self.stop_ids) for r in rows)
            return out

        def _detect_batch_size(self, requests=None, pos: int = 0):
            """``batch_size: auto`` for generation: lm-eval's own search (the largest batch, from
            ``max_batch_size`` down, whose forward pass fits), probed at this run's longest prompt +
            ``max_gen_toks`` instead of the model's maximum context (32k tokens for Qwen3)."""
            if requests or not getattr(self, "probe_length", None):
                return super()._detect_batch_size(requests, pos)
            saved, self._max_length = self._max_length, self.probe_length
            try:
                return super()._detect_batch_size()
            finally:
                self._max_length = saved

        def generate_until(self, requests, disable_tqdm: bool = False):
            if self.batch_size_per_gpu == "auto" and requests:
                longest = max(len(self.tok_encode(r.args[0])) for r in requests)
                budget = max(normalize_gen_kwargs(dict(r.args[1]), self.max_gen_toks)["max_gen_toks"] for r in requests)
                self.probe_length = min(longest + budget, self.max_length)
            return super().generate_until(requests, disable_tqdm)

    return HFChatLM


class _AnswerEnds:
    """lm-eval's cache hook, which HFLM calls once per answer with its prompt right after decoding
    it: records whether that answer ended (see :func:`_chat_lm`)."""

    def __init__(self, lm):
        self.lm = lm

    def add_partial(self, attr, req, res) -> None:
        if attr == "generate_until":
            self.lm.answer_ended[req[0]] = self.lm._ended


def set_generation_stops(model, stop_ids: list[int]) -> None:
    """Make ``stop_ids`` (:func:`mlpt.prompts.stop_token_ids`: the chat template's end-of-turn
    token and EOS) the generation EOS of ``model``, as :func:`mlpt.sft._save_model` writes them into
    a fine-tuned checkpoint, keeping any EOS id the checkpoint already has. A base checkpoint
    (``pretrained``) stops only at its pretraining EOS (Qwen3-Base: ``<|endoftext|>``, not
    ``<|im_end|>``): without this, a row that has ended its answer keeps decoding real tokens."""
    have = model.generation_config.eos_token_id
    have = [] if have is None else [have] if isinstance(have, int) else list(have)
    model.generation_config.eos_token_id = list(stop_ids) + [i for i in have if i not in stop_ids]


def _load_lm(backend: str, model_path: str, tokenizer, batch_size: int | str):
    """The lm-eval model object of ``backend``, rendering chats as training does."""
    import torch

    if backend == "vllm":
        from lm_eval.models.vllm_causallms import VLLM

        lm = _chat_lm(VLLM)(pretrained=str(model_path), dtype="bfloat16", batch_size=batch_size, add_bos_token=False)
        lm.hf_chat_template = tokenizer.chat_template  # the template `prompts` ensured (fallback included)
        lm.chat_tokenizer, lm.answer_ended = tokenizer, {}  # vLLM stops at the checkpoint's EOS ids; whether an answer ended is not reported
        return lm
    from lm_eval.models.huggingface import HFLM

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = models.load_causal_lm(model_path, dtype=torch.float32 if device == "cpu" else torch.bfloat16)
    model.to(device).eval()
    stop_ids = prompts.stop_token_ids(tokenizer)
    set_generation_stops(model, stop_ids)
    lm = _hf_chat_lm(HFLM)(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, add_bos_token=False)
    lm.chat_tokenizer, lm.stop_ids, lm.answer_ended, lm._ended = tokenizer, stop_ids, {}, None
    lm.decoded = {"decoded_positions": 0, "useful_positions": 0, "batches": 0, "largest_batch": 0}
    lm.cache_hook = _AnswerEnds(lm)
    return lm


def _decoding(lm) -> dict | None:
    """The HF backend's decoded and useful positions and their ratio (benchmarks/decoding_waste.py);
    None for vLLM, whose continuous batching decodes each answer only until it stops."""
    counts = getattr(lm, "decoded", None)
    if counts is None:
        return None
    useful = counts["useful_positions"]
    return dict(counts, batch_size=lm.batch_size, waste_ratio=round(counts["decoded_positions"] / useful, 4) if useful else None)


class _Phases:
    """Wall time of the phases of one evaluation process (see benchmarks/eval_startup.py)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def _add(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - since
        return now

    def lap(self, name: str) -> None:
        self._last = self._add(name, self._last)

    def timed(self, name: str, fn):
        """``fn`` wrapped so that the time spent in it is also summed under ``name``."""
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._add(name, start)
        return wrapper


def run(model_path: str, tasks_dir: str, out_file: str, samples_file: str, *, task: str, languages: list[str],
        batch_size: int, max_gen_toks: int, limit: int | None, meta: dict, num_fewshot: int = 0,
        backend: str = "hf", timings: dict | None = None) -> dict:
    """Evaluate one checkpoint on every language of ``task``; write the summary and per-example records.

    ``timings``, when given, receives the wall seconds of each phase: ``imports``, ``load_model``
    (tokenizer, weights, lm-eval wrapper), ``index_tasks``, ``lm_eval`` (simple_evaluate: task and
    request building, generation, filters, metrics), ``generate`` (the part of ``lm_eval`` spent in
    the model's generate_until) and ``records`` (language ID, writing the outputs).
    """
    check_backend(backend)
    phases = _Phases()
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import handle_non_serializable

    phases.lap("imports")
    wanted = [task_name(task, lang) for lang in languages]
    manager = TaskManager(include_path=str(tasks_dir), include_defaults=False)
    _check_tasks(manager, wanted, tasks_dir, num_fewshot)
    phases.lap("index_tasks")

    tokenizer = prompts.load_tokenizer(model_path)
    lm = _load_lm(backend, model_path, tokenizer, batch_size)
    lm.generate_until = phases.timed("generate", lm.generate_until)
    stop = prompts.end_of_turn(tokenizer)
    phases.lap("load_model")
    results = simple_evaluate(
        model=lm, tasks=wanted, task_manager=manager, apply_chat_template=True, fewshot_as_multiturn=True,
        num_fewshot=num_fewshot or None, log_samples=True, limit=limit,
        gen_kwargs={"until": [stop], "max_gen_toks": max_gen_toks, "do_sample": False}, bootstrap_iters=0,
    )
    phases.lap("lm_eval")

    identify = language_id.LanguageIdentifier(languages)
    per_lang, samples = {}, []
    for lang, name in zip(languages, wanted):
        rows = results["samples"][name]
        correct = in_language = unfinished = 0
        for s in rows:
            ok = bool(s["exact_match"])
            response_lang = identify(s["resps"][0][0])
            prompt = s["arguments"][0][0] if s["arguments"] else None
            ended = lm.answer_ended.get(prompt)
            correct += ok
            in_language += response_lang == lang
            unfinished += ended is False
            samples.append({
                "lang": lang, "id": s["doc"]["id"], "prompt": prompt,
                "prediction": s["resps"][0][0], "extracted": s["filtered_resps"][0], "gold": s["target"], "correct": ok,
                "response_lang": response_lang, "ended": ended,
            })
        per_lang[lang] = {"n": len(rows), "correct": correct, "accuracy": correct / len(rows) if rows else None,
                          "fidelity": in_language / len(rows) if rows else None,
                          "hit_max_gen_toks": unfinished if lm.answer_ended else None}
    settings = {"batch_size": batch_size, "max_gen_toks": max_gen_toks, "limit": limit, "num_fewshot": num_fewshot,
                "backend": backend}
    summary = dict(meta, task=task, model_path=str(model_path), languages=per_lang, stop=stop, num_fewshot=num_fewshot,
                   backend=backend, decoding=_decoding(lm), provenance=io.provenance(settings))
    io.write_jsonl(samples_file, (json.loads(json.dumps(s, default=handle_non_serializable)) for s in samples))
    io.write_json(out_file, summary)
    phases.lap("records")
    log.info("evaluation phases (s): %s", ", ".join(f"{k} {v:.2f}" for k, v in phases.seconds.items()))
    if timings is not None:
        timings.update(phases.seconds)
    return summary
