"""Do `sft.max_length` and `evaluation.max_gen_toks` cut Bengali, Telugu and Thai examples?

    python benchmarks/token_lengths.py [--config config/paper.yaml] [--tokenizer DIR]

Token counts need a tokenizer. The real Qwen3 and Gemma3 tokenizers cannot be fetched here, so
by default the script trains the tiny models' byte-level BPE (mlpt.tiny, 2,000 symbols as in the
demo) on the shipped multilingual text and states that; pass ``--tokenizer`` with a real model
directory (e.g. hub-models/Qwen--Qwen3-0.6B-Base after download_model) to measure with it.

Training examples exist in English only (the others are machine-translated by the pipeline), so a
language's length is estimated from parallel text: the English example's token count times the
language/English token ratio measured on the 8 parallel MGSM exemplars (question + worked answer)
of that language. Test prompts (MGSM, human translations) are measured directly. Output: per
language, the share of training examples longer than ``max_length`` and of worked answers longer
than ``max_gen_toks``; written to benchmarks/results/token_lengths.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlpt import config as study_config  # noqa: E402
from mlpt import prompts, tiny  # noqa: E402

LANGS = ("en", "bn", "te", "th")


def _mgsm(lang: str) -> list[str]:
    with (ROOT / f"resources/mgsm/mgsm_{lang}.tsv").open(newline="", encoding="utf-8") as fh:
        return [row[0] for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config/paper.yaml"))
    parser.add_argument("--tokenizer", help="a model directory whose tokenizer to measure with")
    args = parser.parse_args(argv)
    cfg = study_config.load(args.config)
    max_length, max_gen = cfg["sft"]["max_length"], cfg["evaluation"]["max_gen_toks"]
    exemplars = json.loads((ROOT / "resources/mgsm/exemplars.json").read_text(encoding="utf-8"))
    train = [json.loads(line) for line in (ROOT / "resources/gsm8k/train.jsonl").open(encoding="utf-8")]

    if args.tokenizer:
        from transformers import AutoTokenizer

        tok, which = AutoTokenizer.from_pretrained(args.tokenizer), f"real: {args.tokenizer}"

        def count(texts):
            return [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]
    else:
        corpus = [r["question"] + "\n" + r["answer"] for r in train[:3000]]
        corpus += [t for lang in LANGS for t in _mgsm(lang)]
        corpus += [e["q"] + "\n" + e["a"] for lang in exemplars for e in exemplars[lang]]
        bpe = tiny.build_lm_tokenizer(corpus, 2000, Path(tempfile.mkdtemp()))
        which = "tiny byte-level BPE, 2,000 symbols, trained on the shipped text (NOT a real tokenizer)"

        def count(texts):
            return [len(e.ids) for e in bpe.encode_batch(texts)]

    phrases = prompts.load_phrases(ROOT / "resources/prompts/phrases.yaml")
    en_tokens = count([prompts.render_prompt("math", {"question": r["question"], "lang": "en"}, phrases)
                       + "\n" + r["answer"] for r in train])
    en_answers = count([r["answer"] for r in train])
    ex_en = sum(count([e["q"] + "\n" + e["a"] for e in exemplars["en"]]))
    out = {"tokenizer": which, "max_length": max_length, "max_gen_toks": max_gen, "languages": {}}
    for lang in LANGS:
        ratio = sum(count([e["q"] + "\n" + e["a"] for e in exemplars[lang]])) / ex_en
        est = [n * ratio for n in en_tokens]
        answers = [n * ratio for n in en_answers]
        prompts_ = count(_mgsm(lang))
        out["languages"][lang] = {
            "tokens_per_english_token": round(ratio, 2),
            "train_over_max_length": round(sum(n > max_length for n in est) / len(est), 4),
            "answers_over_max_gen_toks": round(sum(n > max_gen for n in answers) / len(answers), 4),
            "train_p99_tokens": round(sorted(est)[int(0.99 * len(est))]),
            "test_prompt_max_tokens": max(prompts_),
        }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    (ROOT / "benchmarks/results/token_lengths.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return out


if __name__ == "__main__":
    main()
