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
output, and the control's scores, prediction, label read and tie; with the authors' prompt also
``exemplar_answer``, the answer the fixed exemplars show for the item when it is one of them, and
``authors_gold_match``, whether the authors' scorer could credit it) and a summary per language (n,
correct, accuracy, ties, ``exemplar_items`` and ``exemplar_items_correct``, irrelevant-output rate,
and the control's correct, accuracy and ties). The prompt style (``authors``: the authors' fixed
exemplars and field names read from their fetched script; ``instruction``) and the label token
rule are recorded in the summary.
Given question-translation files,
it also measures what tuning learned: the mean per-token loss of the held-out (``val``) pairs'
English questions, rendered exactly as training renders them (:func:`mlpt.sft.tokenize_example`),
per language (:func:`qt_validation_loss`; the criterion the paper's LLaMA-Factory runs select by).

:func:`probe` runs the logit lens (:mod:`mlpt.spontaneous.lens`, the authors' measure: per decoder
layer, the probability summed over the prefix-token sets of each item's gold English and gold
localized label, items whose two sets overlap dropped, the entropy in bits; first-token
probabilities as labelled extras) or the PCA of mean-pooled hidden states of parallel items
(:mod:`mlpt.spontaneous.pca`, the authors' statistic: per language pair the Pearson r between the
first-component coordinates of the same items; the correlation ratio with language as a labelled
extra). With ``prompts_from="authors"`` (Amazon only) the prompts are the authors' localized-label
ones, read from their fetched lens script or PCA notebook; with ``"evaluation"`` they are the
evaluation prompts (any task; the demo's).

Precision (``evaluation.quantization``): ``nf4`` loads every model as the authors evaluate, probe
with the lens and run the PCA: bitsandbytes 4-bit NF4 with fp16 compute
(:func:`mlpt.models.load_nf4_causal_lm`); ``none`` loads bf16 on a GPU, fp32 on the CPU. Where NF4
cannot run (bitsandbytes missing, no CUDA GPU) a job stops before loading, naming the key and the
reason, unless ``evaluation.quantization_fallback: none`` lets it load unquantized. Every result
records the precision it used (``precision``, and ``precision_detail`` with the request and any
fallback reason).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from .. import io, models, sft
from .. import prompts as chat
from . import data, labels, lens, pca, prompts

log = logging.getLogger(__name__)

__all__ = ["QUANTIZATIONS", "evaluate_checkpoint", "item_prompts", "load", "load_for_scoring", "precision_plan",
           "probe", "qt_validation_loss"]

#: ``evaluation.quantization``: the authors' 4-bit NF4 (fp16 compute), or unquantized.
QUANTIZATIONS = ("nf4", "none")
#: The files of the authors' repository each probe reads with ``prompts: authors``.
AUTHORS_FILES = {"lens": lens.AUTHORS_SCRIPT, "pca": pca.AUTHORS_NOTEBOOK}


def precision_plan(quantization: str = "none", fallback: str | None = None, *, cuda: bool | None = None) -> dict:
    """What precision a job loads its model in, decided before anything is loaded:
    ``{"precision": "nf4-fp16" | "bf16" | "fp32", "quantization": used, "requested": quantization,
    "fallback_reason": why NF4 was not used, or None}``. RuntimeError naming the key and the
    reason where NF4 is asked for, cannot run here, and no fallback is configured."""
    import torch

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"evaluation.quantization must be one of {list(QUANTIZATIONS)}, not {quantization!r}")
    if fallback not in (None, "none"):
        raise ValueError(f"evaluation.quantization_fallback must be null or 'none', not {fallback!r}")
    cuda = torch.cuda.is_available() if cuda is None else cuda
    unquantized = "bf16" if cuda else "fp32"
    if quantization == "none":
        return {"precision": unquantized, "quantization": "none", "requested": "none", "fallback_reason": None}
    why = models.nf4_unavailable()
    if not why:
        return {"precision": "nf4-fp16", "quantization": "nf4", "requested": "nf4", "fallback_reason": None}
    if fallback == "none":
        log.warning("evaluation.quantization nf4 cannot run here (%s); loading %s as "
                    "evaluation.quantization_fallback says", why, unquantized)
        return {"precision": unquantized, "quantization": "none", "requested": "nf4", "fallback_reason": why}
    raise RuntimeError(
        f"evaluation.quantization is 'nf4' (the authors' bitsandbytes 4-bit NF4 with fp16 compute), but {why}. "
        "Run this job on a CUDA machine with the extra installed, set evaluation.quantization: none, or set "
        "evaluation.quantization_fallback: none to load the model unquantized (recorded in every result)")


def load_for_scoring(model_path: str, quantization: str = "none", fallback: str | None = None):
    """(model, tokenizer, precision record) for scoring, in eval mode: see :func:`precision_plan`;
    unquantized is bf16 on a GPU, fp32 on the CPU."""
    import torch

    plan = precision_plan(quantization, fallback)
    if plan["quantization"] == "nf4":
        model = models.load_nf4_causal_lm(model_path).eval()
    else:
        cuda = torch.cuda.is_available()
        model = models.load_causal_lm(model_path, dtype=torch.bfloat16 if cuda else torch.float32)
        model = model.to("cuda" if cuda else "cpu").eval()
    log.info("%s loaded in %s", model_path, plan["precision"])
    return model, chat.load_tokenizer(model_path), plan


def load(model_path: str):
    """(model, tokenizer) for scoring: bf16 on a GPU, fp32 on the CPU, in eval mode."""
    model, tokenizer, _ = load_for_scoring(model_path)
    return model, tokenizer


def test_records(path: str, limit: int | None = None) -> tuple[list[dict], list[dict]]:
    """(every test record of a language file, in row order; the first ``limit`` of them)."""
    records = [r for r in io.read_jsonl(path) if r["split"] == "test"]
    return records, records[:limit]


def item_prompts(spec: dict, task: str, records: Sequence[dict], n: int, seed: int,
                 label_words: Sequence[str] | None = None, authors: prompts.AuthorsPrompts | None = None) -> list[str]:
    """The prompts of the first ``n`` of ``records`` (one language): the authors' (their fixed
    exemplars, :func:`mlpt.spontaneous.prompts.authors_prompt`) when ``authors`` is given, else the
    instruction prompt with exemplars drawn from all of them; ``label_words`` stand in for the
    task's labels (the irrelevant-label control)."""
    if authors is not None:
        return [prompts.authors_prompt(authors, records[i], label_words) for i in range(min(n, len(records)))]
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
                        qt_files: dict[str, str] | None = None, max_length: int = 2048, quantization: str = "none",
                        quantization_fallback: str | None = None, prompt_style: str = "instruction",
                        reference_dir: str | None = None, label_tokens: str = "authors") -> dict:
    """Score one checkpoint on ``task`` in every language of ``test_files``, and its loss on the
    held-out pairs of ``qt_files``, in the precision of ``quantization`` (see the module docstring).

    ``prompt_style`` (``evaluation.prompt_style``): ``authors`` reads the authors' prompts from their
    evaluation script in ``reference_dir`` (the task's fetched reference folder) and flags the test
    items that are also its exemplars (``exemplar_answer`` per item, ``exemplar_items`` and
    ``exemplar_items_correct`` per language); ``instruction``, this project's prompt.
    ``label_tokens`` (``evaluation.label_tokens``): how label token sets are built."""
    if prompt_style not in prompts.PROMPT_STYLES:
        raise ValueError(f"unknown prompt style '{prompt_style}' (known: {', '.join(prompts.PROMPT_STYLES)})")
    authors = prompts.load_authors_prompts(reference_dir, task) if prompt_style == "authors" else None
    spec = prompts.load_prompt_spec(prompt_file)
    model, tokenizer, precision = load_for_scoring(model_path, quantization, quantization_fallback)
    words = data.task_spec(task).labels
    sets = labels.label_token_sets(tokenizer, words, label_tokens)
    control = labels.control_words(len(words))
    control_sets = labels.label_token_sets(tokenizer, control, label_tokens)
    samples, by_language = [], {}
    for lang, path in test_files.items():
        records, scored = test_records(path, limit)
        texts = item_prompts(spec, task, records, len(scored), seed, authors=authors)
        ids = [r["id"] for r in scored]
        result = labels.score_labels(model, tokenizer, texts, sets, seed=seed, keys=ids, batch_size=batch_size)
        free = labels.free_generation(model, tokenizer, texts, words, batch_size=batch_size) if free_generation else None
        correct = [p == r["label"] for p, r in zip(result.predictions, scored)]
        ctrl_rows, ctrl = _control(model, tokenizer, item_prompts(spec, task, records, len(scored), seed, control, authors),
                                   control_sets, words, scored, ids, seed, batch_size)
        shown = [prompts.authors_exemplar_answer(authors, r) if authors else None for r in scored]
        for k, (row, rec) in enumerate(zip(result.rows(ids), scored)):
            samples.append({**row, "lang": lang, "label": rec["label"], "correct": correct[k], "origin": rec["origin"],
                            "precision": precision["precision"], "exemplar_answer": shown[k],
                            "authors_gold_match": prompts.authors_gold_matches(authors, rec) if authors else None,
                            "free_output": free.outputs[k] if free else None,
                            "free_relevant": free.relevant[k] if free else None, **ctrl_rows[k]})
        by_language[lang] = {"n": len(scored), "correct": int(sum(correct)), "accuracy": float(np.mean(correct)),
                             "ties": int(result.ties.sum()), "origin": scored[0]["origin"] if scored else None,
                             "irrelevant_rate": free.irrelevant_rate if free else None,
                             "exemplar_items": sum(a is not None for a in shown),
                             "exemplar_items_correct": sum(c for a, c in zip(shown, correct) if a is not None),
                             "precision": precision["precision"], **ctrl}
        log.info("%s %s: accuracy %.3f over %d items, %d correct with irrelevant labels%s", task, lang,
                 by_language[lang]["accuracy"], len(scored), ctrl["control_correct"],
                 f", irrelevant outputs {free.irrelevant_rate:.3f}" if free else "")
    io.write_jsonl(samples_file, samples)
    qt = qt_validation_loss(model, tokenizer, qt_files or {}, max_length=max_length, batch_size=batch_size)
    summary = {"task": task, **(meta or {}), "model_path": model_path, "prompt_style": prompt_style,
               "prompt_source": authors.path if authors else prompt_file, "label_tokens": label_tokens,
               "labels": list(words), "control_words": list(control), "languages": by_language, "qt_validation": qt,
               "precision": precision["precision"], "precision_detail": precision,
               "provenance": io.provenance({"limit": limit, "seed": seed, "quantization": quantization,
                                            "quantization_fallback": quantization_fallback}, [], seed)}
    io.write_json(summary_file, summary)
    return summary


def _exemplar_items(records: Sequence[dict], prefix: str, field: str) -> list[str]:
    """Ids of the items whose text is one of the exemplars in ``prefix`` (they see their own answer)."""
    return [r["id"] for r in records if r[field].strip() and r[field].strip() in prefix]


def _lens(model, tokenizer, spec, task, test_files, languages, limit, seed, batch_size, authors, **_) -> dict:
    out, skipped, order = {}, {}, list(languages)
    read = {lang: test_records(test_files[lang], limit) for lang in languages}
    by_lang = {lang: scored for lang, (_, scored) in read.items()}
    if authors is not None:
        order, skipped = lens.authors_languages(authors, languages,
                                                {lang: [r["label_local"] for r in rs] for lang, rs in by_lang.items()})
        for lang, why in skipped.items():
            log.warning("logit lens: %s skipped: %s", lang, why)
    for lang in order:
        scored = by_lang[lang]
        if authors is not None:
            texts = lens.authors_prompts(authors, lang, [r["review"] for r in scored])
            english = [authors.to_english[r["label_local"]] for r in scored]
            mismatched = sum(e != r["label"] for e, r in zip(english, scored))
            extra = {"exemplar_items": _exemplar_items(scored, authors.prefixes[lang], "review"),
                     "label_mismatches": mismatched}
        else:
            texts = item_prompts(spec, task, read[lang][0], len(scored), seed)
            english, extra = [r["label"] for r in scored], {}
        res = lens.authors_lens(model, tokenizer, texts, english, [r["label_local"] for r in scored],
                                drop_overlap=lang != "en", batch_size=batch_size)
        out[lang] = {**res.summary(), "n_items": len(scored), **extra}
        log.info("logit lens %s: %d of %d items kept (%s)", lang, res.summary()["n"], len(scored),
                 ", ".join(f"{k} {v}" for k, v in res.summary()["dropped"].items()))
    return {"languages": out, "order": order, "skipped": skipped, "measure": "authors",
            "rows": "decoder layers 1..L (block outputs through the final norm and the LM head)",
            "entropy_unit": "bits"}


def _pca(model, tokenizer, spec, task, test_files, languages, limit, seed, batch_size, authors, pairs=None,
         layer=None) -> dict:
    texts, ids, exemplar_items = [], None, {}
    for lang in languages:
        records, scored = test_records(test_files[lang], limit)
        if ids is not None and [r["id"] for r in scored] != ids:
            raise ValueError(f"the {lang} test items are not parallel to the {languages[0]} ones")
        ids = [r["id"] for r in scored]
        if authors is not None:
            texts += pca.authors_prompts(authors, lang, [r["review"] for r in scored])
            exemplar_items[lang] = _exemplar_items(scored, authors.prefixes[lang], "review")
        else:
            texts += item_prompts(spec, task, records, len(scored), seed)
    n_items = len(ids or [])
    if pairs is None:
        pairs = [p for p in pca.AUTHORS_PAIRS if set(p) <= set(languages)] if authors is not None else []
        pairs = pairs or pca.all_pairs(languages)
    states = pca.mean_pooled_hidden_states(model, tokenizer, texts, batch_size=batch_size)
    if layer is None:
        layer = authors.layer if authors is not None and authors.layer is not None else states.shape[0] - 1
    if not 0 <= layer < states.shape[0]:
        raise ValueError(f"analysis.pca.layer {layer}: the model has hidden states 0..{states.shape[0] - 1}")
    langs = [lang for lang in languages for _ in range(n_items)]
    pearson, eta, explained, coords = {f"{a}-{b}": [] for a, b in pairs}, [], [], None
    for index, layer_states in enumerate(states):
        r, c, e = pca.pc1_pearson(layer_states, list(languages), n_items, pairs)
        for key, value in r.items():
            pearson[key].append(value)
        eta.append(pca.correlation_ratio(c[:, 0], langs))
        explained.append(e.tolist())
        if index == layer:
            coords = np.round(c, 5).tolist()
    return {"languages": langs, "order": list(languages), "ids": ids, "n_items": n_items, "layer": layer,
            "pairs": [f"{a}-{b}" for a, b in pairs], "pearson": pearson, "measure": "authors",
            "hidden_states": "transformers hidden_states: 0 = embeddings, l = after decoder layer l, "
                             "the last after the final norm",
            "extra_eta": eta, "explained": explained, "coords": coords, "coords_layer": layer,
            **({"exemplar_items": exemplar_items} if authors is not None else {})}


PROBES = {"lens": _lens, "pca": _pca}
#: How each probe reads the authors' file (``prompts_from="authors"``).
AUTHORS_READERS = {"lens": lens.read_authors_script, "pca": pca.read_authors_notebook}


def probe(kind: str, model_path: str, test_files: dict[str, str], out_file: str, *, task: str, prompt_file: str,
          languages: Sequence[str], limit: int | None, seed: int = 0, batch_size: int = 8, meta: dict | None = None,
          prompts_from: str = "evaluation", authors_file: str | None = None, quantization: str = "none",
          quantization_fallback: str | None = None, pairs: Sequence[Sequence[str]] | None = None,
          layer: int | None = None) -> dict:
    """Run the ``lens`` or ``pca`` probe of one checkpoint on ``task`` (see the module docstring).

    Args:
        prompts_from: ``authors`` (their localized-label Amazon prompts, read from ``authors_file``:
            their lens script or PCA notebook) or ``evaluation`` (the evaluation prompts).
        quantization, quantization_fallback: ``evaluation.quantization`` and its fallback.
        pairs: PCA only: the language pairs (default: the authors' 9 where their languages are
            configured, else every pair).
        layer: PCA only: the hidden-states index of the headline statistic and the coordinates
            kept (default: the notebook's 18 with authors' prompts, else the last).
    """
    if prompts_from not in ("authors", "evaluation"):
        raise ValueError(f"analysis.{kind}.prompts must be 'authors' or 'evaluation', not {prompts_from!r}")
    authors = None
    if prompts_from == "authors":
        if task != "amazon":
            raise ValueError(f"analysis.{kind}.prompts 'authors': the authors' {AUTHORS_FILES[kind]} has Amazon "
                             f"prompts only, not '{task}'")
        if not authors_file:
            raise ValueError(f"analysis.{kind}.prompts 'authors' needs the authors' {AUTHORS_FILES[kind]} "
                             "(fetched by fetch_reference)")
        authors = AUTHORS_READERS[kind](authors_file)
    spec = prompts.load_prompt_spec(prompt_file)
    model, tokenizer, precision = load_for_scoring(model_path, quantization, quantization_fallback)
    extra = {"pairs": pairs, "layer": layer} if kind == "pca" else {}
    result = PROBES[kind](model, tokenizer, spec, task, test_files, list(languages), limit, seed, batch_size, authors,
                          **extra)
    result.update(kind=kind, task=task, **(meta or {}), layers=len(lens.decoder_layers(model)),
                  prompts=prompts_from, authors_file=AUTHORS_FILES[kind] if authors is not None else None,
                  precision=precision["precision"], precision_detail=precision)
    io.write_json(out_file, result)
    return result
