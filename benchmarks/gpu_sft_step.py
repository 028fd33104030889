"""SFT steps of a real-size, random-initialised model in bf16 mixed precision: memory, tokens/s, MFU.

No weights are needed: the model is built from the real checkpoint's config in
``resources/models/<owner>--<name>/config.json`` (random initialisation), in fp32 — the master
weights, as ``mlpt.sft`` trains them — and each step runs forward and backward under bf16 autocast
with AdamW (fp32 moments), on micro-batches of the paper's shape (``--batch 8 --seq 1024``) of random
token ids, with gradient checkpointing as in ``paper.yaml``.

    python benchmarks/gpu_sft_step.py --model Qwen/Qwen3-1.7B-Base             # on a GPU
    python benchmarks/gpu_sft_step.py --model Qwen/Qwen3-0.6B-Base --smoke     # CPU, shrunk: checks the script

Prints one JSON object: parameters, peak GPU memory (GiB), seconds per step (median after warm-up),
tokens/s and model FLOPs utilisation against ``--peak-tflops`` (H100/H200 dense bf16: 989).
``--smoke`` shrinks the model to 2 layers and the batch to 2 x 64 so the script itself can be checked
on a CPU; its numbers mean nothing. FLOPs, MFU, peak memory and the random-initialised model come from
``mlpt.throughput``, which the GPU preflight (``make preflight``, ``mlpt.preflight``) counts with too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlpt import throughput  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Qwen/Qwen3-1.7B-Base")
    parser.add_argument("--batch", type=int, default=8, help="micro-batch (examples per forward pass)")
    parser.add_argument("--seq", type=int, default=1024, help="tokens per example (sft.max_length)")
    parser.add_argument("--steps", type=int, default=6, help="optimiser steps; the first 2 are warm-up")
    parser.add_argument("--attn", default="sdpa", help="attn_implementation: sdpa, eager, flash_attention_2 ...")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak of one GPU")
    parser.add_argument("--no-checkpointing", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="2 layers, batch 2 x 64, CPU allowed")
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch, args.seq, args.steps = 2, 64, 3
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu" and not args.smoke:
        raise SystemExit("no GPU visible: run with --smoke to check the script on a CPU")

    model = throughput.reference_model(args.model, str(ROOT / "resources"), layers=2 if args.smoke else None,
                                       attn=args.attn).to(device)
    if not args.no_checkpointing:
        model.activation_checkpointing_enable()
    model.config.use_cache = False
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01, fused=device == "cuda")
    ids = torch.randint(0, model.config.vocab_size, (args.batch, args.seq), device=device)
    throughput.reset_peak_gpu_memory()
    times = []
    for _ in range(args.steps):
        throughput.synchronize()
        start = time.perf_counter()
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        throughput.synchronize()
        times.append(time.perf_counter() - start)
    step = statistics.median(times[2:] if len(times) > 2 else times)
    tokens = args.batch * args.seq
    recompute = not args.no_checkpointing  # gradient checkpointing: one more forward pass per step
    result = {
        "model": args.model, "device": throughput.device_name(),
        "smoke": args.smoke, "parameters": n_params, "micro_batch": args.batch, "seq": args.seq,
        "attn_implementation": args.attn, "gradient_checkpointing": not args.no_checkpointing,
        "master_weights": str(next(model.parameters()).dtype), "compute_dtype": "bfloat16",
        "seconds_per_step": round(step, 4), "tokens_per_second": round(tokens / step, 1),
        "peak_memory_gib": throughput.peak_gpu_memory_gib(),
        "mfu": round(throughput.mfu(n_params, tokens / step, args.peak_tflops), 4) if device == "cuda" else None,
        "hardware_flops_utilisation": round(throughput.train_flops_per_token(n_params, recompute) * tokens / step
                                            / (args.peak_tflops * 1e12), 4) if device == "cuda" else None,
        "loss": round(loss.item(), 4),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
