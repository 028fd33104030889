"""How much memory does reading mCoT-MATH take? Peak RSS of the streaming reader on a synthetic file.

    python benchmarks/mcot_stream_memory.py [--mb 200] [--with-datasets]

mCoT-MATH's file is about 12 GB of JSON; ``datasets`` reads a file holding one JSON array whole.
This script writes a synthetic file of ``--mb`` megabytes in mCoT-MATH's schema (rows ``lang-id``,
``question``, ``answer`` in the 11 languages, about a third of the English answers in LaTeX, so the
numeric-answer check has work to do) as one indented JSON array and as JSON Lines, and measures,
each in a fresh process, the peak resident memory (``ru_maxrss``) of:

- ``stream``: :func:`mlpt.data.iter_json_rows` over every row (both shapes);
- ``prepare``: the whole ``mcot_math`` adapter (index, draw, texts of 2,200 items in 11 languages,
  MGSM test split) on the array, the Hub download replaced by the local file;
- ``json_load``: ``json.load`` of the array, what reading it whole costs at the least;
- ``datasets`` (with ``--with-datasets``): ``datasets.load_dataset("json", ...)`` of the array;
- ``index``: the adapter's index of item ids at the real file's size, ``--index-items`` items
  (default 580,000, mCoT-MATH's count per language) in 11 languages, rows generated in memory with
  short texts: the part of the adapter's memory that grows with the file's number of items.

Each process also reports its resident memory after its imports and before reading (``baseline``),
so ``peak - baseline`` is what the read itself holds. Results: printed and written to
benchmarks/results/mcot_stream_memory.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

LANGS = ("en", "es", "ja", "bn", "sw", "te", "fr", "de", "ru", "zh", "th")
#: A few words of each language, so that the text has the byte mix of the real file (multi-byte scripts).
WORDS = {"en": "apples each box total left", "es": "manzanas cada caja total quedan", "ja": "りんご 箱 合計 残り 個",
         "bn": "আপেল বাক্স মোট বাকি টি", "sw": "matofaa kila sanduku jumla", "te": "ఆపిల్ పెట్టె మొత్తం మిగిలిన",
         "fr": "pommes chaque boîte total reste", "de": "Äpfel jede Kiste insgesamt übrig",
         "ru": "яблоки каждая коробка всего осталось", "zh": "苹果 每个 盒子 总共 剩下", "th": "แอปเปิ้ล กล่อง ทั้งหมด เหลือ"}
STATEMENT = {"en": "The answer is: {}", "es": "La respuesta es {}.", "ja": "答えは{}です。", "bn": "উত্তর হল {}।",
             "sw": "Jibu ni {}.", "te": "సమాధానం {}.", "fr": "La réponse est {}.", "de": "Die Antwort ist {}.",
             "ru": "Ответ: {}.", "zh": "答案是{}。", "th": "คำตอบคือ {}"}


def _row(lang: str, item: int, rng: random.Random) -> dict:
    """One item in one language: its numbers are the item's in every language, its words vary."""
    words = WORDS[lang].split()
    numbers = random.Random(item)
    a, b = numbers.randrange(2, 99), numbers.randrange(2, 99)
    steps = "\n".join(f"{' '.join(rng.choices(words, k=12))} {a} * {b + k} = {a * (b + k)}." for k in range(8))
    answer = f"\\frac{{{a}}}{{{b}}}" if lang == "en" and item % 3 == 0 else str(a * b)
    question = f"{' '.join(rng.choices(words, k=40))} {a} {b}?"
    return {"lang-id": f"{lang}-{item}", "question": question, "answer": f"{steps}\n{STATEMENT[lang].format(answer)}"}


def write_files(folder: Path, megabytes: int) -> tuple[Path, Path, int]:
    """(array file, JSON Lines file, rows): the same rows, grouped by language like the real file."""
    rng = random.Random(0)
    sample = sum(len(json.dumps(_row(lang, 1, rng), ensure_ascii=False, indent=1).encode()) for lang in LANGS)
    items = megabytes * 10**6 // sample
    array, lines = folder / "mcot-math.array.json", folder / "mcot-math.jsonl"
    rows = 0
    with array.open("w", encoding="utf-8") as fa, lines.open("w", encoding="utf-8") as fl:
        fa.write("[\n")
        for lang in LANGS:
            for item in range(items):
                row = _row(lang, item, rng)
                fa.write((",\n" if rows else "") + json.dumps(row, ensure_ascii=False, indent=1))
                fl.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows += 1
        fa.write("\n]\n")
    return array, lines, rows


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_rows(items: int):
    """Rows of ``items`` items in the 11 languages, short texts, English usable, made one at a time."""
    for lang in LANGS:
        for item in range(items):
            answer = f"{item} + 1 = {item + 1}.\n{STATEMENT[lang].format(item + 1)}"
            yield f"row {item}", {"lang-id": f"{lang}-{item}", "question": f"q{item}", "answer": answer}


def child(mode: str, path: str) -> dict:
    """Run one measurement in this (fresh) process (``index``: ``path`` is the number of items)."""
    if mode in ("stream", "prepare", "index"):
        from mlpt import data
        from mlpt.data import mcot_math
    if mode == "datasets":
        import datasets
    baseline = _rss_mib()
    start = time.perf_counter()
    if mode == "stream":
        result = {"rows": sum(1 for _ in data.iter_json_rows(path))}
    elif mode == "prepare":
        import huggingface_hub

        huggingface_hub.hf_hub_download = lambda *args, **kwargs: path
        spec = {"n_train": 2000, "n_val": 200, "n_test": 250, "hub_revision": "0" * 40}
        prepared = data.prepare("mcot_math", ROOT / "resources", "math", spec, list(LANGS), "en", seed=1)
        report = prepared.report
        result = {"train": report["train"], "val": report["val"], "records": len(prepared.records),
                  "references": len(prepared.references), "answer_filter": report["answer_filter"],
                  "file_reads": report["file_reads"]}
    elif mode == "index":
        index = mcot_math.index_mcot(_index_rows(int(path)), "en")
        result = {"items": len(index.items_in(LANGS))}
    elif mode == "json_load":
        with open(path, encoding="utf-8") as fh:
            result = {"rows": len(json.load(fh))}
    else:
        with tempfile.TemporaryDirectory() as cache:
            result = {"rows": len(datasets.load_dataset("json", data_files=path, split="train", cache_dir=cache))}
    return {"mode": mode, "seconds": round(time.perf_counter() - start, 1), "baseline_rss_mib": round(baseline, 1),
            "peak_rss_mib": round(_rss_mib(), 1), "read_holds_mib": round(_rss_mib() - baseline, 1), **result}


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], check=True, capture_output=True,
                         text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]), file=getattr(path, "name", f"{path} items"))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the synthetic array file, megabytes")
    parser.add_argument("--with-datasets", action="store_true", help="also measure datasets.load_dataset")
    parser.add_argument("--index-items", type=int, default=580_000, help="items of the index measurement")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        array, lines, rows = write_files(Path(tmp), args.mb)
        sizes = {p.name: round(p.stat().st_size / 10**6, 1) for p in (array, lines)}
        runs = [measure("stream", array), measure("stream", lines), measure("prepare", array),
                measure("json_load", array)]
        if args.with_datasets:
            runs.append(measure("datasets", array))
        runs.append(measure("index", args.index_items))
    result = {"rows": rows, "file_mb": sizes, "python": platform.python_version(), "runs": runs}
    for run in runs:
        print(f"{run['mode']:>9} {run['file']:<22} peak RSS {run['peak_rss_mib']:8.1f} MiB "
              f"(imports {run['baseline_rss_mib']:.1f}, the read {run['read_holds_mib']:.1f}) {run['seconds']:6.1f} s")
    out = ROOT / "benchmarks/results/mcot_stream_memory.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
