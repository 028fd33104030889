"""MT throughput of the translate stage on CPU: length-bucketed vs naive batch order, same run.

    .venv/bin/python benchmarks/translate_throughput.py [--items 96] [--repeats 2]
        [--out benchmarks/results/translate_throughput.json]

What is measured: the tiny random-initialised NLLB-architecture model the demo builds
(``mlpt.tiny.build_mt_model`` with config/demo.yaml ``translation.model.tiny``, tokenizer trained on
the items) translating the distinct MT inputs of real training items from resources/ (GSM8K
questions and solutions, API-Bank dialogues), cut exactly as the ``translate`` rule cuts them
(``mlpt.translate.plan_records``: lines, calculator marks and dialogue markup protected, long
segments split into sentences). The same ``Seq2SeqTranslator`` runs the inputs in two orders, with
the demo's batch size and generation settings, alternating, ``--repeats`` times each:

- ``naive``: batches in the order the inputs occur in the data;
- ``bucketed``: batches of inputs sorted by length (what the stage does).

Reported: seconds, inputs/s and items/s (best of the repeats), the bucketed/naive speed-up of
this run, the share of encoder positions that are padding in each order (exact, free of timing
noise), the share of outputs that ran to ``max_new_tokens`` (a random model rarely emits the end
token, so every batch decodes the full ``max_new_tokens`` steps whatever its order: bucketing can
only save encoder padding here; with a trained model, outputs of similar-length inputs also end
together), and an **extrapolation** to the paper's data (config/paper.yaml: math and API train +
val items, plus the API test items that have no human translation, into the 10 other languages)
from the measured per-input time and the measured inputs per item. That extrapolation is from a
CPU, one thread, ~0.4M-parameter model: it is not a prediction for NLLB-600M on a GPU (a 1,400×
larger model on much faster hardware); it shows how the stage's cost scales with the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SEED = 1234
TARGET = "de"  # one target language; the tiny model's speed does not depend on it


def load_items(n: int) -> dict[str, tuple[str, list[dict]]]:
    """``n`` real training items per task (the data adapters of the prepare_data rule)."""
    from mlpt import data

    spec = {"n_train": n, "n_val": 1, "n_test": 1}
    out = {}
    for task, kind, source in (("math", "math", "gsm8k_mgsm"), ("api", "api_call", "api_bank")):
        prepared = data.prepare(source, ROOT / "resources", task, spec, ["en"], "en", SEED)
        out[task] = (kind, [r for r in prepared.records if r["split"] == "train"])
    return out


def paper_items() -> dict[str, int]:
    """Items the paper's config machine-translates per language (math test: MGSM references)."""
    from mlpt import config

    tasks = config.load(ROOT / "config/paper.yaml")["tasks"]
    return {"math": tasks["math"]["n_train"] + tasks["math"]["n_val"],
            "api": tasks["api"]["n_train"] + tasks["api"]["n_val"] + tasks["api"]["n_test"]}


def padding_share(lengths: list[int], batch_size: int, bucketed: bool) -> float:
    """Share of encoder positions that are padding when batching in this order (no timing noise)."""
    order = sorted(lengths) if bucketed else lengths
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    positions = sum(max(b) * len(b) for b in batches)
    return 1 - sum(lengths) / positions


def timed(translator, texts: list[str], bucketed: bool) -> float:
    translator.bucketed = bucketed
    start = time.perf_counter()
    translator(texts, "en", TARGET, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=96, help="training items per task")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/translate_throughput.json"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # shared machine; one thread, like the translate rule (threads: 1)
    from mlpt import config, tiny, translate

    demo = config.load(ROOT / "config/demo.yaml")
    backend, languages = demo["translation"], demo["languages"]
    codes = {code: spec.get("nllb", code) for code, spec in languages.items()}
    items = load_items(args.items)
    inputs, per_item = [], {}
    for task, (kind, records) in items.items():
        _, sources = translate.plan_records(records, kind, "en", backend["max_segment_chars"])
        inputs += sources
        per_item[task] = len(sources) / len(records)
    texts = [r[f] for _, records in items.values() for r in records for f in ("question", "reasoning") if f in r]

    with tempfile.TemporaryDirectory() as tmp:
        spec = backend["model"]["tiny"]
        tiny.build_mt_model(texts, spec["vocab_size"], {"d_model": spec["d_model"]}, tmp, seed=SEED)
        mt = translate.Seq2SeqTranslator(tmp, codes, batch_size=backend["batch_size"], num_beams=backend["num_beams"],
                                         max_new_tokens=backend["max_new_tokens"], device="cpu")
        timed(mt, inputs[: backend["batch_size"]], True)  # warm-up
        mt.hit_max_new_tokens = 0
        runs = {"naive": [], "bucketed": []}
        for _ in range(args.repeats):
            for order in runs:
                runs[order].append(timed(mt, inputs, order == "bucketed"))
        mt.tokenizer.src_lang = codes["en"]
        lengths = [len(ids) for ids in mt.tokenizer(inputs)["input_ids"]]
        at_max = mt.hit_max_new_tokens / (len(inputs) * 2 * args.repeats)

    best = {order: min(times) for order, times in runs.items()}
    n_items = sum(len(records) for _, records in items.values())
    per_input_s = best["bucketed"] / len(inputs)
    paper = paper_items()
    paper_inputs = sum(paper[task] * per_item[task] for task in paper)
    cpu_hours = paper_inputs * 10 * per_input_s / 3600
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU only, torch threads 1",
        "model": f"tiny NLLB-architecture (M2M100) random-init, d_model {spec['d_model']}, vocab {spec['vocab_size']}",
        "settings": {k: backend[k] for k in ("batch_size", "num_beams", "max_new_tokens", "max_segment_chars")},
        "data": {task: len(records) for task, (_, records) in items.items()}, "mt_inputs": len(inputs),
        "mt_inputs_per_item": {task: round(v, 2) for task, v in per_item.items()},
        "seconds": {order: [round(t, 2) for t in times] for order, times in runs.items()},
        "inputs_per_s": {order: round(len(inputs) / t, 1) for order, t in best.items()},
        "items_per_s": {order: round(n_items / t, 2) for order, t in best.items()},
        "speedup_bucketed_over_naive": round(best["naive"] / best["bucketed"], 2),
        "encoder_padding_share": {order: round(padding_share(lengths, backend["batch_size"], order == "bucketed"), 3)
                                  for order in runs},
        "outputs_at_max_new_tokens_share": round(at_max, 3),
        "extrapolation": {
            "label": "EXTRAPOLATED from CPU tiny-model numbers (1 thread, ~0.4M parameters); not a GPU/NLLB-600M measurement",
            "paper_items_per_language": paper, "languages": 10,
            "mt_inputs": round(paper_inputs * 10),
            "hours_at_measured_rate": round(cpu_hours, 2),
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
