#!/usr/bin/env bash
# The prepared GPU check (one GPU of the H100/H200 class, no internet; under 8 minutes): one
# bf16-mixed-precision SFT measurement per model at the paper's micro-batch (8 x 1024 tokens,
# gradient checkpointing), random-initialised from the real configs in resources/models/.
#   bash benchmarks/gpu_check.sh [OUT_DIR]     (default benchmarks/results)
# Needs torch (CUDA build) and transformers; writes OUT_DIR/gpu_check.jsonl, one JSON line per run.
# Record what it prints in BENCHMARKS.md and, as measured numbers with date and GPU, in
# cluster.plan of config/paper.yaml. On a cluster, `make preflight` goes further: per base model one job
# of the real pipeline on its GPU tier (FSDP, validation, kill and resume, decode), priced by `make plan`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results}
mkdir -p "$out"
: > "$out/gpu_check.jsonl"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
for model in Qwen/Qwen3-0.6B-Base Qwen/Qwen3-1.7B-Base; do
  for attn in sdpa eager; do
    timeout 150 python benchmarks/gpu_sft_step.py --model "$model" --attn "$attn" --steps 6 \
      | tee -a "$out/gpu_check.jsonl" || echo "{\"model\": \"$model\", \"attn\": \"$attn\", \"failed\": true}" >> "$out/gpu_check.jsonl"
  done
done
