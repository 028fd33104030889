"""Study B's evaluation of one checkpoint, and the logit-lens and PCA probes of one checkpoint.

:func:`evaluate_checkpoint` loads the model once and, for every language of one task, builds the
few-shot prompts (:func:`mlpt.spontaneous.prompts.build_prompt`, exemplars drawn per item from the
same language's test set, so the prompts of an item are parallel across languages), scores the
task's English label words with the constrained scorer (:func:`mlpt.spontaneous.labels.score_labels`)
and, as the paper's control, generates each answer freely and counts the outputs that begin with
no label word (:func:`mlpt.spontaneous.labels.free_generation`). The paper's second control, the
irrelevant-label one, runs in the same process: the same items and exemplars with the label words
replaced, in the instruction and the exemplar answers, by irrelevant words
(:func:`mlpt.spontaneous.labels.control_words`: "ox", "horse", ...), those words scored by the same
constrained scorer, and each prediction read as the task label in the same position. It writes one
record per test item (prompt id, gold label, every label's score, the prediction, tie, the free
output, and the control's scores, prediction, label read and tie) and a summary per language (n,
correct, accuracy, ties, irrelevant-output rate, and the control's correct, accuracy and ties).
Given question-translation files,
it also measures what tuning learned: the mean per-token loss of the held-out (``val``) pairs'
English questions, rendered exactly as training renders them (:func:`mlpt.sft.tokenize_example`),
per language (:func:`qt_validation_loss`; the criterion the paper's LLaMA-Factory runs select by).

:func:`probe` runs the logit lens (:mod:`mlpt.spontaneous.lens`: per layer, the mean probability of
the English label token and of the target-language label token of each item's gold label, and the
mean entropy) or the PCA of mean-pooled states of the same items in several languages
(:mod:`mlpt.spontaneous.pca`: per layer the variance share of the first components, the
correlation ratio of the first component with language, and every prompt's coordinates).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from .. import io, models, sft
from .. import prompts as chat
from . import data, labels, lens, pca, prompts

log = logging.getLogger(__name__)

__all__ = ["evaluate_checkpoint", "item_prompts", "load", "probe", "qt_validation_loss"]


def load(model_path: str):
    """(model, tokenizer) for scoring: bf16 on a GPU, fp32 on the CPU, in eval mode."""
    import torch

    cuda = torch.cuda.is_available()
    model = models.load_causal_lm(model_path, dtype=torch.bfloat16 if cuda else torch.float32)
    model = model.to("cuda" if cuda else "cpu").eval()
    return model, chat.load_tokenizer(model_path)


def test_records(path: str, limit: int | None = None) -> tuple[list[dict], list[dict]]:
    """(every test record of a language file, in row order; the first ``limit`` of them)."""
    records = [r for r in io.read_jsonl(path) if r["split"] == "test"]
    return records, records[:limit]


def item_prompts(spec: dict, task: str, records: Sequence[dict], n: int, seed: int,
                 label_words: Sequence[str] | None = None) -> list[str]:
    """The prompts of the first ``n`` of ``records`` (one language), exemplars drawn from all of them;
    ``label_words`` stand in for the task's labels (the irrelevant-label control)."""
    gold = [r["label"] for r in records]
    return [prompts.build_prompt(spec, task, records[i],
                                 [records[j] for j in prompts.exemplar_indices(gold, i, task, seed)], label_words)
            for i in range(min(n, len(records)))]


def qt_validation_loss(model, tokenizer, qt_files: dict[str, str], *, max_length: int,
                       batch_size: int = 8) -> dict[str, dict]:
    """``{lang: {"n": pairs, "tokens": response tokens, "loss": mean NLL per token}}`` of the
    held-out question-translation pairs of each file (records of schema ``train_record``)."""
    import torch

    collate = sft.CompletionCollator(tokenizer.pad_token_id)
    out = {}
    for lang, path in qt_files.items():
        held_out = [r for r in io.read_jsonl(path, schema="train_record") if r["split"] == "val"]
        feats = [sft.tokenize_example(tokenizer, r["prompt"], r["response"], max_length)[0] for r in held_out]
        nll, tokens = 0.0, 0
        for start in range(0, len(feats), batch_size):
            batch = {k: v.to(model.device) for k, v in collate(feats[start : start + batch_size]).items()}
            with torch.no_grad():
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            sums = sft.token_nll(logits, batch["labels"])  # the loss sft.selection val_loss selects by
            nll += float(sums[:, 0].sum())
            tokens += int(sums[:, 1].sum())
        out[lang] = {"n": len(held_out), "tokens": tokens, "loss": nll / tokens if tokens else None}
    return out


def _control(model, tokenizer, texts: Sequence[str], control_sets: labels.LabelTokenSets, words: Sequence[str],
             scored: Sequence[dict], ids: Sequence[str], seed: int, batch_size: int) -> tuple[list[dict], dict]:
    """The irrelevant-label control of one language: ``texts`` are the items' prompts with the
    control words in place of the labels; each predicted control word is read as the task label in
    its position. (per item ``control_*`` fields, the language's ``control_correct``,
    ``control_accuracy`` and ``control_ties``)."""
    result = labels.score_labels(model, tokenizer, texts, control_sets, seed=seed, keys=ids, batch_size=batch_size)
    meaning = dict(zip(control_sets.labels, words))
    read = [meaning[p] for p in result.predictions]
    correct = [label == r["label"] for label, r in zip(read, scored)]
    rows = [{"control_scores": row["scores"], "control_prediction": row["prediction"], "control_label": label,
             "control_correct": ok, "control_tie": row["tie"]} for row, label, ok in zip(result.rows(ids), read, correct)]
    summary = {"control_correct": int(sum(correct)), "control_accuracy": float(np.mean(correct)) if correct else None,
               "control_ties": int(result.ties.sum())}
    return rows, summary


def evaluate_checkpoint(model_path: str, test_files: dict[str, str], *, task: str, prompt_file: str,
                        summary_file: str, samples_file: str, batch_size: int = 8, limit: int | None = None,
                        free_generation: bool = True, seed: int = 0, meta: dict | None = None,
                        qt_files: dict[str, str] | None = None, max_length: int = 2048) -> dict:
    """Score one checkpoint on ``task`` in every language of ``test_files``, and its loss on the
    held-out pairs of ``qt_files`` (see the module docstring)."""
    spec = prompts.load_prompt_spec(prompt_file)
    model, tokenizer = load(model_path)
    words = data.task_spec(task).labels
    sets = labels.label_token_sets(tokenizer, words)
    control = labels.control_words(len(words))
    control_sets = labels.label_token_sets(tokenizer, control)
    samples, by_language = [], {}
    for lang, path in test_files.items():
        records, scored = test_records(path, limit)
        texts = item_prompts(spec, task, records, len(scored), seed)
        ids = [r["id"] for r in scored]
        result = labels.score_labels(model, tokenizer, texts, sets, seed=seed, keys=ids, batch_size=batch_size)
        free = labels.free_generation(model, tokenizer, texts, words, batch_size=batch_size) if free_generation else None
        correct = [p == r["label"] for p, r in zip(result.predictions, scored)]
        ctrl_rows, ctrl = _control(model, tokenizer, item_prompts(spec, task, records, len(scored), seed, control), control_sets,
                        words, scored, ids, seed, batch_size)
        for k, (row, rec) in enumerate(zip(result.rows(ids), scored)):
            samples.append({**row, "lang": lang, "label": rec["label"], "correct": correct[k], "origin": rec["origin"],
                            "free_output": free.outputs[k] if free else None,
                            "free_relevant": free.relevant[k] if free else None, **ctrl_rows[k]})
        by_language[lang] = {"n": len(scored), "correct": int(sum(correct)), "accuracy": float(np.mean(correct)),
                             "ties": int(result.ties.sum()), "origin": scored[0]["origin"] if scored else None,
                             "irrelevant_rate": free.irrelevant_rate if free else None, **ctrl}
        log.info("%s %s: accuracy %.3f over %d items, %d correct with irrelevant labels%s", task, lang,
                 by_language[lang]["accuracy"], len(scored), ctrl["control_correct"],
                 f", irrelevant outputs {free.irrelevant_rate:.3f}" if free else "")
    io.write_jsonl(samples_file, samples)
    qt = qt_validation_loss(model, tokenizer, qt_files or {}, max_length=max_length, batch_size=batch_size)
    summary = {"task": task, **(meta or {}), "model_path": model_path, "labels": list(words),
               "control_words": list(control), "languages": by_language, "qt_validation": qt,
               "provenance": io.provenance({"limit": limit, "seed": seed}, [], seed)}
    io.write_json(summary_file, summary)
    return summary


def _lens(model, tokenizer, spec, task, test_files, languages, limit, seed, batch_size) -> dict:
    out = {}
    for lang in languages:
        records, scored = test_records(test_files[lang], limit)
        texts = item_prompts(spec, task, records, len(scored), seed)
        res = lens.logit_lens(model, tokenizer, texts, [r["label"] for r in scored], [r["label_local"] for r in scored],
                              batch_size=batch_size)
        out[lang] = {"english": res.english.mean(axis=1).tolist(), "target": res.target.mean(axis=1).tolist(),
                     "entropy": res.entropy.mean(axis=1).tolist(), "n": len(scored)}
    return {"languages": out, "order": list(languages)}


def _pca(model, tokenizer, spec, task, test_files, languages, limit, seed, batch_size) -> dict:
    texts, langs, ids = [], [], None
    for lang in languages:
        records, scored = test_records(test_files[lang], limit)
        if ids is not None and [r["id"] for r in scored] != ids:
            raise ValueError(f"the {lang} test items are not parallel to the {languages[0]} ones")
        ids = [r["id"] for r in scored]
        texts += item_prompts(spec, task, records, len(scored), seed)
        langs += [lang] * len(scored)
    states = pca.mean_pooled_states(model, tokenizer, texts, batch_size=batch_size)
    res = pca.layer_pca(states, langs)
    return {"languages": langs, "ids": ids, "eta": res.eta.tolist(), "explained": res.explained.tolist(),
            "coords": np.round(res.coords, 5).tolist()}


PROBES = {"lens": _lens, "pca": _pca}


def probe(kind: str, model_path: str, test_files: dict[str, str], out_file: str, *, task: str, prompt_file: str,
          languages: Sequence[str], limit: int, seed: int = 0, batch_size: int = 8, meta: dict | None = None) -> dict:
    """Run the ``lens`` or ``pca`` probe of one checkpoint on ``task`` (see the module docstring)."""
    spec = prompts.load_prompt_spec(prompt_file)
    model, tokenizer = load(model_path)
    result = PROBES[kind](model, tokenizer, spec, task, test_files, list(languages), limit, seed, batch_size)
    result.update(kind=kind, task=task, **(meta or {}), layers=len(lens.decoder_layers(model)))
    io.write_json(out_file, result)
    return result
