"""TRL's fused LM head on a CPU against transformers' own loss: the same forward and backward pass
of the tiny Qwen3 of benchmarks/sft_throughput.py (hidden 128, 2 layers, 2,000-token vocabulary),
one micro-batch of 8 rows × 256 tokens, one thread; the loss value of each and the median seconds
of 20 passes, alternating. Needs TRL (``pip install -e '.[bench]'``).

    .venv/bin/python benchmarks/trl_lm_head_cpu.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    import torch
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    sys.path.insert(0, str(ROOT / "src"))
    from mlpt import tiny

    torch.set_num_threads(1)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        texts = [f"{i} apples and {i + 3} pears make {2 * i + 3} fruits." for i in range(200)]
        tiny.build_lm_tokenizer(texts, 2000, Path(tmp) / "tok")
        tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {}, Path(tmp) / "tok", Path(tmp) / "base", seed=0,
                             resources_dir=ROOT / "resources")
        plain = AutoModelForCausalLM.from_pretrained(Path(tmp) / "base", dtype=torch.float32)
        fused = AutoModelForCausalLM.from_pretrained(Path(tmp) / "base", dtype=torch.float32)
    add_fused_lm_head(fused, outputs=("log_probs", "entropy", "is_top1"))
    ids = torch.randint(3, plain.config.vocab_size, (8, 256))
    labels = ids.clone()
    labels[:, :64] = -100  # a masked prompt, as in SFT
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}

    def step(model, **kw):
        start = time.perf_counter()
        out = model(**batch, **kw)
        out.loss.backward()
        model.zero_grad(set_to_none=True)
        return time.perf_counter() - start, out.loss.item()

    times = {"transformers": [], "trl_fused": []}
    losses = {}
    for _ in range(20):
        t, losses["transformers"] = step(plain)
        times["transformers"].append(t)
        t, losses["trl_fused"] = step(fused, fused_lm_head=True)
        times["trl_fused"].append(t)
    med = {k: statistics.median(v[2:]) for k, v in times.items()}
    for k in med:
        print(f"{k:13s} loss {losses[k]:.6f}  median {med[k] * 1000:.1f} ms per forward+backward")
    print(f"TRL fused / transformers: {med['trl_fused'] / med['transformers']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
