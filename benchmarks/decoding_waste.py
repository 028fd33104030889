"""Decoded positions ÷ useful positions, for evaluation and validation decoding, before and after.

    python benchmarks/decoding_waste.py [--steps 150] [--prompts 96]

*Useful* positions are each answer's tokens up to and including its stop token (or all of its
``max_new_tokens`` when it never stops); *decoded* positions are what the decoder really runs: a
static batch runs every row at every step until its longest row ends (a finished row is padded,
not removed), continuous batching (vLLM; transformers' ``generate_batch``) decodes each answer
only until its stop.

Part 1, measured on this machine (CPU): a tiny Qwen3 (mlpt.tiny) trained for a few steps to write
a word k times and stop, k drawn long-tailed (exponential, mean 6, at most 40) — a random tiny
model almost never stops, so without training every schedule decodes the full budget and the
ratio is 1.0 trivially. Every prompt's useful length is measured once (greedy answers do not
depend on the batch: tests/unit/test_val_accuracy.py); the static schedules' decoded positions
are then the batch arithmetic on those lengths, and are checked against a real static run
(mlpt.val_accuracy ``static``) and a real continuous-batching run. What it shows: the mechanics
(how a batch's longest row sets its cost; that continuous batching decodes only the useful
positions, with the same answers) and the wall time of each path *for a tiny model on a CPU*.
What it cannot show: the answer-length distribution of real models, or GPU wall time.

Part 2, simulated at paper scale: MGSM's 2,750 test items (250 × 11 languages) with answer lengths
drawn per language from a log-normal matched to the gold-length answers' mean and 99.5th
percentile measured with the real tokenizers (benchmarks/results/token_lengths.json; the worked
answer as training teaches it + the end-of-turn token), in lm-eval's order (longest prompt first:
languages by their measured mean prompt length), batches of 32 and ``max_gen_toks`` 1,024. A model
writes gold-like lengths only if it was trained to; the share of answers that never stop (and so
run to 1,024) is unknown without a GPU run, so it is a parameter (0%, 1%, 5%). Validation during
training decodes the same kind of answers at ``sft.val_batch_size`` 32.

Writes benchmarks/results/decoding_waste.json and .md.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlpt import prompts, tiny, val_accuracy  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
WORDS = ["apple", "river", "stone", "cloud", "tiger", "lamp", "paper", "green"]
MAX_NEW = 48


def examples(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k, w = min(int(rng.expovariate(1 / 6)) + 1, 40), rng.choice(WORDS)
        out.append((f"Write {w} {k} times.", " ".join([w] * k)))
    return out


def train_stopper(d: Path, steps: int):
    from transformers import AutoModelForCausalLM

    data = examples(2000, 0)
    tiny.build_lm_tokenizer([p + " " + r for p, r in data[:500]], 300, d / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2},
                         d / "tok", d / "model", seed=0, resources_dir=ROOT / "resources")
    tok = prompts.load_tokenizer(str(d / "model"))
    model = AutoModelForCausalLM.from_pretrained(str(d / "model"))
    return tiny.fit_chats(model, tok, data, steps, lr=3e-3), tok


def static_positions(useful: list[int], order: list[int], batch: int) -> int:
    """Decoded positions of static batches of ``batch`` rows taken in ``order``."""
    return sum(len(idx) * max(useful[i] for i in idx) for idx in (order[s : s + batch] for s in range(0, len(order), batch)))


def measured(steps: int, n_prompts: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        model, tok = train_stopper(Path(tmp), steps)
        train_s = time.perf_counter() - t0
    user = [p for p, _ in examples(n_prompts, 99)]
    runs = {}
    for method, batch in (("continuous", None), ("static", 32), ("static", 8)):
        count = val_accuracy.DecodeCount()
        t0 = time.perf_counter()
        answers = val_accuracy.generate(model, tok, user, batch_size=batch or 32, max_new_tokens=MAX_NEW, method=method,
                                        count=count)
        runs[f"{method}" + (f" b{batch}" if batch else "")] = dict(count.as_dict(), seconds=round(time.perf_counter() - t0, 2),
                                                                   answers=answers)
    base = runs["continuous"]["answers"]
    assert all(r["answers"] == base for r in runs.values()), "decoding methods disagree"
    stop = prompts.stop_token_ids(tok)
    texts = [prompts.chat_prompt(tok, p) for p in user]
    plen = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
    # each row's useful length, from a batch of one (greedy answers do not depend on the batch)
    useful, stopped = [], 0
    import torch

    for t in texts:
        ids = torch.tensor([tok(t, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            g = model.generate(input_ids=ids, do_sample=False, max_new_tokens=MAX_NEW, eos_token_id=stop,
                               pad_token_id=tok.pad_token_id)[0, ids.shape[1] :].tolist()
        a, ended = prompts.cut_at_stop(g, stop)
        useful.append(len(a) + ended)
        stopped += ended
    total = sum(useful)
    by_prompt = sorted(range(len(user)), key=lambda i: (len(texts[i]), i))  # the old validation order (characters)
    by_tokens = sorted(range(len(user)), key=lambda i: (plen[i], i))
    lm_eval_order = sorted(range(len(user)), key=lambda i: (-plen[i], i))  # lm-eval: longest context first
    schedules = {
        "evaluation, lm-eval HF, batch 32 (before and after)": static_positions(useful, lm_eval_order, 32),
        "evaluation, lm-eval HF, batch 8": static_positions(useful, lm_eval_order, 8),
        "evaluation, vLLM / continuous batching": total,
        "validation before: static batch 32, sorted by characters": static_positions(useful, by_prompt, 32),
        "validation, static batch 32, sorted by tokens": static_positions(useful, by_tokens, 32),
        "validation after: continuous batching (auto on a CUDA model FSDP does not shard)": total,
    }
    for r in runs.values():
        r.pop("answers")
    assert runs["static b32"]["decoded_positions"] == schedules["validation, static batch 32, sorted by tokens"]
    assert runs["continuous"]["decoded_positions"] == total
    return {"train_steps": steps, "train_seconds": round(train_s, 1), "prompts": n_prompts, "max_new_tokens": MAX_NEW,
            "stopped": stopped,
            "useful_positions": total, "useful_mean": round(total / len(useful), 2), "useful_max": max(useful),
            "schedules": {k: {"decoded_positions": v, "ratio": round(v / total, 3)} for k, v in schedules.items()},
            "runs": runs}


def _lognormal(mean: float, p995: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal with this mean and 99.5th percentile (the smaller sigma)."""
    z = 2.5758
    # ln p = mu + z s, ln m = mu + s^2/2  =>  s^2/2 - z s + (ln p - ln m) = 0
    c = math.log(p995) - math.log(mean)
    s = z - math.sqrt(max(z * z - 2 * c, 0.0))
    return math.log(mean) - s * s / 2, s


def simulated(seed: int = 0, batch: int = 32, max_gen: int = 1024) -> dict:
    rows = json.loads((OUT / "token_lengths.json").read_text(encoding="utf-8"))["rows"]
    out = {}
    for family in ("qwen3", "gemma3"):
        langs = [r for r in rows if r["study"] == "A" and r["family"] == family and r["task"] == "math"
                 and r["answer"].get("n")]
        rng = np.random.default_rng(seed)
        items = []  # (prompt mean of its language, tie-break, answer length)
        for r in langs:
            mu, s = _lognormal(r["answer"]["mean"], r["answer"]["p99_5"])
            lengths = np.clip(np.rint(rng.lognormal(mu, s, r["answer"]["n"])), 1, max_gen).astype(int)
            items += [(r["eval_prompt"]["mean"], rng.random(), int(x)) for x in lengths]
        res = {}
        for never in (0.0, 0.01, 0.05):
            draw = np.random.default_rng(seed + 1).random(len(items)) < never
            useful = [max_gen if d else x for (_, _, x), d in zip(items, draw)]
            order = sorted(range(len(items)), key=lambda i: (-items[i][0], items[i][1]))
            total = sum(useful)
            res[f"{never:.0%} never stop"] = {
                "items": len(items), "useful_mean": round(total / len(items), 1),
                f"static batch {batch}": round(static_positions(useful, order, batch) / total, 2),
                "static batch 8": round(static_positions(useful, order, 8) / total, 2),
                "continuous": 1.0}
        out[family] = res
    return out


def markdown(result: dict) -> str:
    m = result["measured"]
    lines = ["# Decoding waste: decoded positions ÷ useful positions", "",
             f"Written by `benchmarks/decoding_waste.py` ({result['date']}); method in its docstring.", "",
             f"## Measured on CPU: a tiny Qwen3 trained {m['train_steps']} steps to stop, {m['prompts']} prompts, "
             f"max_new_tokens {m['max_new_tokens']}", "",
             f"Useful positions {m['useful_positions']} (mean {m['useful_mean']} per answer, longest {m['useful_max']}); "
             f"{m['stopped']} of {m['prompts']} answers stop before the budget.", "",
             "| schedule | decoded positions | ÷ useful |", "|:--|--:|--:|"]
    lines += [f"| {k} | {v['decoded_positions']} | {v['ratio']} |" for k, v in m["schedules"].items()]
    lines += ["", "Real runs through `mlpt.val_accuracy.generate` (same answers from every method):", "",
              "| method | decoded | useful | ÷ useful | wall (s) |", "|:--|--:|--:|--:|--:|"]
    lines += [f"| {k} | {v['decoded_positions']} | {v['useful_positions']} | {v['waste_ratio']} | {v['seconds']} |"
              for k, v in m["runs"].items()]
    lines += ["", "## Simulated at paper scale: MGSM, 2,750 items, max_gen_toks 1,024, lm-eval's order", "",
              "| tokenizer | answers that never stop | useful mean | static batch 32 | static batch 8 | continuous |",
              "|:--|--:|--:|--:|--:|--:|"]
    for fam, res in result["simulated"].items():
        for k, v in res.items():
            lines.append(f"| {fam} | {k.split()[0]} | {v['useful_mean']} | {v['static batch 32']} | {v['static batch 8']} | "
                         f"{v['continuous']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--prompts", type=int, default=96)
    args = ap.parse_args()
    import datetime

    result = {"date": datetime.date.today().isoformat(), "measured": measured(args.steps, args.prompts),
              "simulated": simulated()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "decoding_waste.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (OUT / "decoding_waste.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
