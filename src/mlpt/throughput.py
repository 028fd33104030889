"""What a training step or a generation costs on the device it runs on: FLOPs, model FLOPs
utilisation (MFU), peak memory, decode speed, and random-initialised models of real size.

Shared by the GPU preflight (:mod:`mlpt.preflight`) and ``benchmarks/gpu_sft_step.py``, so both
count the same way:

- training FLOPs: 6 per parameter and trained position (forward 2, backward 4); the extra forward
  pass of gradient checkpointing is not counted, so MFU is the share of the GPU's peak spent on the
  model's own arithmetic (hardware FLOPs utilisation counts the recomputation: × 4/3);
- MFU: training FLOPs per second over ``devices × peak_tflops``;
- peak memory: ``torch.cuda.max_memory_allocated`` (what the caching allocator handed out; the
  process also holds the CUDA context and cached blocks on top), and the peak resident memory of
  the process (host).
"""

from __future__ import annotations

import resource
import sys
import time


def train_flops_per_token(parameters: int, recompute: bool = False) -> float:
    """FLOPs of one trained position: 6 per parameter, 8 when the forward pass is recomputed
    (gradient checkpointing) and the recomputation is counted."""
    return (8 if recompute else 6) * parameters


def mfu(parameters: int, tokens_per_second: float, peak_tflops: float, devices: int = 1) -> float:
    """Model FLOPs utilisation of ``devices`` devices of ``peak_tflops`` that train ``tokens_per_second``
    positions per second (all devices together)."""
    return train_flops_per_token(parameters) * tokens_per_second / (devices * peak_tflops * 1e12)


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def synchronize() -> None:
    """Wait for the GPU's queued work (nothing on a CPU), so that wall time measures it."""
    if cuda():
        import torch

        torch.cuda.synchronize()


def device_name() -> str:
    """The GPU's name, or ``cpu``."""
    if cuda():
        import torch

        return torch.cuda.get_device_name()
    return "cpu"


def reset_peak_gpu_memory() -> None:
    if cuda():
        import torch

        torch.cuda.reset_peak_memory_stats()


def peak_gpu_memory_gib() -> float | None:
    """GiB the caching allocator handed out at most since the last reset (None on a CPU)."""
    if not cuda():
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 3)


def gpu_memory_gib() -> float | None:
    """The GPU's total memory in GiB (None on a CPU)."""
    if not cuda():
        return None
    import torch

    return round(torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory / 2**30, 2)


def peak_host_memory_gib() -> float:
    """Peak resident memory of this process in GiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (2**30 if sys.platform == "darwin" else 2**20), 3)


def reference_model(model_id: str, resources_dir: str, *, layers: int | None = None, attn: str = "sdpa"):
    """A random-initialised fp32 model built from the real checkpoint's config in
    ``<resources_dir>/models/<owner>--<name>/config.json`` (no weights needed), with its first
    ``layers`` decoder layers only when given (a shrunk copy that checks a script on a CPU)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from . import paths

    config = AutoConfig.from_pretrained(paths.model_reference(resources_dir, model_id))
    if layers:
        config.num_hidden_layers = layers
        config.layer_types = (getattr(config, "layer_types", None) or [])[:layers] or None
        config.max_window_layers = layers
    config._attn_implementation = attn
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32)


def decode_throughput(model, tokenizer, user_prompts: list[str], new_tokens: int) -> dict:
    """Greedy generation of ``new_tokens`` tokens for every prompt in one batch (chat template
    applied, left padding), as the evaluate rule generates: ``{"batch_size", "new_tokens",
    "seconds", "tokens_per_second"}``. A first short generation warms up; stopping early is
    prevented (``min_new_tokens``), and a batch costs its longest row anyway."""
    import torch

    from . import prompts

    tokenizer.padding_side = "left"
    texts = [prompts.chat_prompt(tokenizer, p) for p in user_prompts]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.no_grad():
        model.generate(**batch, max_new_tokens=2, do_sample=False, pad_token_id=pad)
        synchronize()
        start = time.perf_counter()
        out = model.generate(**batch, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                             pad_token_id=pad)
        synchronize()
    seconds = time.perf_counter() - start
    generated = out.shape[1] - batch["input_ids"].shape[1]
    return {"batch_size": len(texts), "new_tokens": int(generated), "seconds": round(seconds, 4),
            "tokens_per_second": round(len(texts) * generated / max(seconds, 1e-9), 1)}
