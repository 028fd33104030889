"""Bytes an SFT job writes to checkpoints and the most temporary disk they hold, before and after
``sft.save_dtype`` / ``sft.resume_every_hours`` (tiny model, CPU), per parameter.

    .venv/bin/python benchmarks/checkpoint_bytes.py [--before-rev HEAD] [--out benchmarks/results/checkpoint_bytes.json]

*Before* is the code of git revision ``--before-rev`` (``git archive`` of its ``src/`` into a temporary
folder; nothing in the working tree changes), *after* the working tree's. Each runs ``mlpt.sft.train``
in its own process on the same tiny Qwen3 (hidden 128, 2 layers; random weights) and mixture, 6 epochs,
selection by validation loss (whose epoch-to-epoch path decides which candidates are written).
The child counts every file that appears in the checkpoint folder (at each save, just before older
checkpoints are removed, so nothing is missed) and the folder's size at that moment (the peak), and
the final model's weight files. *After* runs twice: ``resume_every_hours: 0`` (a resume state at every
epoch end but the last: the most a job can write) and the default 2.0 (a job of minutes: none).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r'''
import json, sys
from pathlib import Path
spec, out = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])
import transformers.trainer as tt
from mlpt import sft
ckpt = Path(spec["checkpoint_dir"])
seen, peak = {}, [0]

def scan():
    total = 0
    for p in ckpt.rglob("*"):
        if p.is_file():
            st = p.stat()
            seen[(str(p), st.st_ino, st.st_mtime_ns)] = st.st_size
            total += st.st_size
    peak[0] = max(peak[0], total)

rotate = tt.rotate_checkpoints  # before: the Trainer removes old checkpoints here
tt.rotate_checkpoints = lambda *a, **k: (scan(), rotate(*a, **k))[1]
if hasattr(sft, "_prune"):  # after: mlpt removes them here
    prune = sft._prune
    sft._prune = lambda *a, **k: (scan(), prune(*a, **k))[1]
summary = sft.train_from_spec(spec)
weights = sum(p.stat().st_size for p in Path(spec["out_dir"]).glob("*.safetensors"))
out.write_text(json.dumps({"written_bytes": sum(seen.values()), "peak_bytes": peak[0], "final_model_bytes": weights,
                           "train_log_checkpoints": summary.get("checkpoints"), "selected": summary["selected"],
                           "val_curve": [p.get("val_loss") for p in summary["val_curve"]]}))
'''


def build(work: Path) -> tuple[str, str, int]:
    """(base model dir, mixture file, parameters)."""
    sys.path.insert(0, str(ROOT / "src"))
    from transformers import AutoModelForCausalLM

    from mlpt import io, tiny

    records = [{"id": f"{lang}-{split}-{i}", "lang": lang, "split": split, "prompt": f"{i} + {i + 5} = ?",
                "response": f"{i} + {i + 5} = {2 * i + 5}. The answer is {2 * i + 5}.", "answer": str(2 * i + 5)}
               for lang in ("en", "es") for split, n in (("train", 32), ("val", 4)) for i in range(n)]
    io.write_jsonl(work / "mixture.jsonl", records, schema="train_record")
    tiny.build_lm_tokenizer([r["prompt"] + r["response"] for r in records], 400, work / "tok")
    tiny.build_causal_lm("Qwen/Qwen3-0.6B-Base", {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2},
                         work / "tok", work / "base", seed=0, resources_dir=ROOT / "resources")
    params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(work / "base").parameters())
    return str(work / "base"), str(work / "mixture.jsonl"), params


def run(src: Path, work: Path, name: str, base: str, mixture: str, config: dict) -> dict:
    spec = {"base_model": base, "mixture_file": mixture, "out_dir": str(work / name / "model"),
            "log_file": str(work / name / "train_log.json"), "checkpoint_dir": str(work / name / "ckpt"),
            "kind": "math", "answer_phrases": [], "config": config}
    (work / name).mkdir(parents=True)
    (work / name / "spec.json").write_text(json.dumps(spec))
    (work / "child.py").write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(src), "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(work / "child.py"), str(work / name / "spec.json"),
                    str(work / name / "result.json")], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return json.loads((work / name / "result.json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-rev", default="HEAD", help="git revision of the code before (default HEAD)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/checkpoint_bytes.json")
    args = parser.parse_args(argv)
    recipe = dict(epochs=6, learning_rate=3e-3, per_device_batch_size=8, global_batch_size=16, max_length=96,
                  bf16=False, gradient_checkpointing=False, selection="val_loss", seed=7)
    with tempfile.TemporaryDirectory(prefix="ckpt-bytes-") as tmp:
        work = Path(tmp)
        base, mixture, params = build(work)
        before_src = work / "before-src"
        before_src.mkdir()
        archive = subprocess.run(["git", "archive", args.before_rev, "src"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before_src)], input=archive, check=True)
        runs = {
            "before": run(before_src / "src", work, "before", base, mixture, recipe),
            "after_fp32_resume_every_epoch": run(ROOT / "src", work, "a32", base, mixture,
                                                 {**recipe, "save_dtype": "fp32", "resume_every_hours": 0}),
            "after_bf16_resume_every_epoch": run(ROOT / "src", work, "a16", base, mixture,
                                                 {**recipe, "save_dtype": "bf16", "resume_every_hours": 0}),
            "after_default": run(ROOT / "src", work, "adef", base, mixture, recipe),
        }
    for r in runs.values():
        r.update({f"{k}_per_param": round(r[k] / params, 2) for k in ("written_bytes", "peak_bytes",
                                                                        "final_model_bytes")})
    report = {"parameters": params, "epochs": recipe["epochs"], "selection": recipe["selection"],
              "before_rev": args.before_rev, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    for name, r in runs.items():
        print(f"{name:32s} written {r['written_bytes_per_param']:6.2f} B/param (+ final {r['final_model_bytes_per_param']}),"
              f" peak {r['peak_bytes_per_param']:6.2f} B/param")
    return 0


if __name__ == "__main__":
    sys.exit(main())
