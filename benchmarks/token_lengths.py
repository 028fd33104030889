"""Token lengths of every task × language the studies train or test, with the real tokenizers.

    python benchmarks/token_lengths.py [--spontaneous-data DIR] [--families qwen3,gemma3,qwen1.5] [--write-table]

Tokenizers (mlpt.real_tokenizers, built from the package registry): Qwen3 (study A), Gemma3
(study A), Qwen1.5 (study B: the same Qwen2 byte-level BPE ranks as Qwen3, with Qwen1.5's three
added tokens and its ChatML template with a default system turn). Mistral-7B (study B) is not
measured: no package of the registry carries its SentencePiece vocabulary.

What is counted, for each family × task × language (the tasks and languages of config/paper.yaml
and config/paper-offline.yaml for Qwen3 and Gemma3, of config/spontaneous.yaml for Qwen1.5):

* training examples: prompt + target as training renders them (mlpt.prompts.chat_completion with
  the family's chat template; the EOS token mlpt.sft.tokenize_example appends), for the languages
  some mixture (study A) or mixture (study B) trains on;
* evaluation prompts: the chat prompt lm-eval sends (study A: zero-shot) or the plain few-shot
  prompt (study B: mlpt.spontaneous.prompts.build_prompts), for every language;
* gold-length answers (study A): the worked answer / gold call as the model should write it, plus
  its end-of-turn token. Study B scores label words: its "answers" are the label tokens.

Measured exactly where the text exists: English everywhere, the MGSM test questions (human
translations in all 11 languages), study B's few-shot prompts (the authors' test sets in 20
languages) and the authors' SNLI question-translation pairs the pipeline reads (de, es, it, sw, zh).

Estimated elsewhere, because the training data and API-Bank ship in English only (the pipeline
machine-translates them). Only the parts the pipeline translates are scaled (mlpt.mt_structure's
segments): a math question and its reasoning line by line (numbers-only lines kept), an API
dialogue's User/AI turns, and the natural-language string arguments of a gold call that also
appear in a turn; API descriptions, API names, keys, literals, dates, ids and the English API
instruction keep their English token counts, and localized fixed phrases ("Let's think step by
step.", "The answer is N.", study B's field names and language names) are tokenized in the
language itself. The scale of language X:

* question-like text (math questions, API turns, study B texts): the per-item ratio
  tokens(X) / tokens(English) of a parallel item — the 250 MGSM test questions for study A, the
  same task's authors' test set for study B — so the estimate keeps the spread between items,
  not only the mean. Training item i gets the ratio of a parallel item drawn with a fixed seed;
  MGSM test item i (whose English source is GSM8K test row i) its own;
* math reasoning: the ratio of MGSM's 8 parallel worked exemplar answers (label stripped), times
  the item's question ratio divided by its language mean (the same spread).

Data: study A math trains on GSM8K train (config/paper-offline.yaml; the paper's mCoT-MATH is on
the Hub and not measured), evaluates on MGSM; API trains on API-Bank's shipped level-3 calls
(paper-offline) or its level-1/2 calls from the Hub (paper), for which API-Bank's level-1 test
items, same format and APIs, stand in; the larger of the two is what the limits use. Study B needs
the authors' files (``--spontaneous-data``: a folder laid out like their repository's ``data/``,
e.g. a checkout at reference.commit, or the pipeline's results/spontaneous/reference/<task>;
every file read that resources/spontaneous/reference.sha256 lists is checked against it); without
them study B is left out. Amazon's training reviews come from the Hub: its English test reviews
stand in.

Outputs: benchmarks/results/token_lengths.json (every number), token_lengths.md (a table per
family, the limits each config should have: the smallest multiple of 128 that at most 0.5% of the
examples / answers of every language exceed), and with ``--write-table`` the plan's table
resources/plan/tokens_per_example.csv (mlpt.token_table).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlpt import config as study_config  # noqa: E402
from mlpt import data, mixture_grammar, mt_structure, prompts, real_tokenizers, sft, token_table  # noqa: E402
from mlpt.spontaneous import data as sp_data  # noqa: E402
from mlpt.spontaneous import prompts as sp_prompts  # noqa: E402
from mlpt.spontaneous import study as sp_study  # noqa: E402

RESOURCES = ROOT / "resources"
RESULTS = ROOT / "benchmarks" / "results"
STUDY_A_CONFIGS = ("config/paper.yaml", "config/paper-offline.yaml")
STUDY_B_CONFIG = "config/spontaneous.yaml"
FAMILIES: dict[str, Callable] = {
    "qwen3": real_tokenizers.qwen3_tokenizer,
    "gemma3": real_tokenizers.gemma3_tokenizer,
    "qwen1.5": real_tokenizers.qwen15_tokenizer,
}
QUANTILE = 0.995  # the limits let at most 0.5% of any language's examples / answers past them
ROUND = 128
SEED = 1234
LABEL = re.compile(r"^[^:：\n]{1,40}[:：]\s*")  # "Step-by-Step Answer:" before an MGSM exemplar's text


# --------------------------------------------------------------------------- #
# Counting
# --------------------------------------------------------------------------- #
class Counter:
    """Token counts with one tokenizer, as the pipeline tokenizes."""

    def __init__(self, tokenizer):
        self.tok = tokenizer

    def texts(self, texts: Sequence[str], special: bool = False) -> np.ndarray:
        """Tokens of each text (``special``: with the tokens the tokenizer adds to plain text)."""
        if not texts:
            return np.zeros(0, dtype=float)
        ids = self.tok(list(texts), add_special_tokens=special)["input_ids"]
        return np.array([len(i) for i in ids], dtype=float)

    def pieces(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """Per group, the summed tokens of its pieces, each tokenized on its own."""
        flat = [p for g in groups for p in g]
        counts = self.texts(flat)
        out, at = [], 0
        for g in groups:
            out.append(counts[at : at + len(g)].sum())
            at += len(g)
        return np.array(out, dtype=float)

    def train(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Tokens of each (prompt, response) training example (mlpt.sft.tokenize_example)."""
        return np.array([len(sft.tokenize_example(self.tok, p, r, 10**9)[0]["input_ids"]) for p, r in pairs], dtype=float)

    def chat_prompts(self, user_texts: Sequence[str]) -> np.ndarray:
        """Tokens of the chat prompt (generation prompt included) of each user turn."""
        return self.texts([prompts.chat_prompt(self.tok, t) for t in user_texts])


def stats(values: np.ndarray, limit: int | None = None) -> dict:
    """n, mean, p99.5 (a value at most 0.5% exceed), max and the share above ``limit``."""
    if len(values) == 0:
        return {}
    out = {"n": int(len(values)), "mean": round(float(values.mean()), 1),
           "p99_5": int(math.ceil(np.quantile(values, QUANTILE, method="higher"))), "max": int(math.ceil(values.max()))}
    if limit is not None:
        out["share_over_limit"] = round(float((values > limit).mean()), 4)
    return out


def round_up(tokens: float) -> int:
    return int(math.ceil(tokens / ROUND) * ROUND)


def _translated(segments) -> list[str]:
    return [text for text, translate in segments if translate]


# --------------------------------------------------------------------------- #
# Parallel text: how many tokens language X spends per English token
# --------------------------------------------------------------------------- #
def _mgsm_questions(lang: str) -> list[str]:
    with (RESOURCES / f"mgsm/mgsm_{lang}.tsv").open(newline="", encoding="utf-8") as fh:
        return [row[0].strip() for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def mgsm_ratios(count: Counter, languages: Sequence[str]) -> dict[str, dict]:
    """Per language: the per-item question ratio over the 250 MGSM test questions and the ratio
    of the 8 worked exemplar answers (label stripped), each against English."""
    exemplars = json.loads((RESOURCES / "mgsm/exemplars.json").read_text(encoding="utf-8"))
    q_en = count.texts(_mgsm_questions("en"))
    a_en = count.texts([LABEL.sub("", e["a"], count=1) for e in exemplars["en"]]).sum()
    out = {}
    for lang in languages:
        q = count.texts(_mgsm_questions(lang)) / q_en
        a = count.texts([LABEL.sub("", e["a"], count=1) for e in exemplars[lang]]).sum() / a_en
        out[lang] = {"question": q, "answer": float(a)}
    return out


def _draw(ratios: np.ndarray, n: int, lang: str) -> np.ndarray:
    """Ratios of ``n`` parallel items drawn with a fixed seed per language (the same for every family)."""
    rng = np.random.default_rng([SEED, sum(map(ord, lang))])
    return ratios[rng.integers(0, len(ratios), size=n)]


# --------------------------------------------------------------------------- #
# Study A
# --------------------------------------------------------------------------- #
def _prepared(source: str, task: str, spec: dict, languages: list[str]) -> list[dict]:
    spec = {**spec, "n_train": 10**6}  # every item of the pool, not the config's draw
    return data.prepare(source, RESOURCES, task, spec, languages, "en", SEED).records


def _gsm8k_test_answers(n: int) -> list[dict]:
    """The worked GSM8K test answers of MGSM's items (MGSM's English questions are GSM8K test rows
    0..n-1), calculator annotations removed as for training."""
    out = []
    for line in (RESOURCES / "gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:n]:
        row = json.loads(line)
        reasoning, answer = row["answer"].rsplit("####", 1)
        out.append({"reasoning": data.CALC_ANNOTATION.sub("", reasoning).strip(), "answer": answer.strip().replace(",", "")})
    return out


def math_lengths(count: Counter, phrases: dict, ratios: dict, records: list[dict], train_langs: list[str],
                 test_langs: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """{language: {"train", "eval_prompt", "answer": token counts}} of the math task."""
    train = [r for r in records if r["split"] in ("train", "val")]

    def pair(rec, lang):
        rec = {**rec, "lang": lang}
        return prompts.render_prompt("math", rec, phrases), prompts.render_response("math", rec, phrases)

    full_en = count.train([pair(r, "en") for r in train])
    q_nl = count.pieces([_translated(mt_structure.segment_math(r["question"])) for r in train])
    r_nl = count.pieces([_translated(mt_structure.segment_math(r["reasoning"])) for r in train])
    gold = _gsm8k_test_answers(250)
    answer_en = count.texts([prompts.render_response("math", {**g, "lang": "en"}, phrases) for g in gold]) + 1
    answer_nl = count.pieces([_translated(mt_structure.segment_math(g["reasoning"])) for g in gold])

    def fixed(lang: str) -> float:  # the localized phrases around the texts, against English
        spec, en = phrases["languages"][lang], phrases["languages"]["en"]
        texts = [spec["step_by_step"], spec["answer"].format(answer="18"), en["step_by_step"], en["answer"].format(answer="18")]
        n = count.texts(texts)
        return float(n[0] + n[1] - n[2] - n[3])

    out = {}
    for lang in sorted(set(train_langs) | set(test_langs), key=lambda x: (x != "en", x)):
        q, a = ratios[lang]["question"], ratios[lang]["answer"]
        res = {}
        if lang in train_langs:
            drawn = _draw(q, len(train), lang)
            res["train"] = full_en + fixed(lang) + q_nl * (drawn - 1) + r_nl * (a * drawn / q.mean() - 1)
        if lang in test_langs:
            res["eval_prompt"] = count.chat_prompts([prompts.render_prompt("math", {"question": t, "lang": lang}, phrases)
                                                     for t in _mgsm_questions(lang)])
            delta = count.texts([phrases["languages"][lang]["answer"].format(answer="18"),
                                 phrases["languages"]["en"]["answer"].format(answer="18")])
            res["answer"] = answer_en + (delta[0] - delta[1]) + answer_nl * (a * q[: len(gold)] / q.mean() - 1)
        out[lang] = res
    return out


def _api_parts(count: Counter, records: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Per record, the tokens of the translated parts of the prompt (dialogue turns) and of the gold
    call (natural-language string arguments linked to a turn)."""
    prompt_parts, call_parts = [], []
    for rec in records:
        segments = mt_structure.segment_dialogue(rec["question"])
        natural = [v for v, nat in mt_structure.linked_values(rec, segments) if nat]
        prompt_parts.append(_translated(segments))
        call_parts.append([v for v in natural if v in rec["call"]])
    return count.pieces(prompt_parts), count.pieces(call_parts)


def api_lengths(count: Counter, phrases: dict, ratios: dict, train: list[dict], test: list[dict],
                train_langs: list[str], test_langs: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """{language: {"train", "eval_prompt", "answer": token counts}} of the API-call task."""
    def render(rec):
        return prompts.render_prompt("api_call", rec, phrases), prompts.render_response("api_call", rec, phrases)

    full_en = count.train([render(r) for r in train])
    p_nl, c_nl = _api_parts(count, train)
    prompt_en = count.chat_prompts([render(r)[0] for r in test])
    answer_en = count.texts([render(r)[1] for r in test]) + 1
    tp_nl, tc_nl = _api_parts(count, test)
    out = {}
    for lang in sorted(set(train_langs) | set(test_langs), key=lambda x: (x != "en", x)):
        q = ratios[lang]["question"]
        res = {}
        if lang in train_langs:
            res["train"] = full_en + (p_nl + c_nl) * (_draw(q, len(train), lang) - 1)
        if lang in test_langs:
            drawn = _draw(q, len(test), lang + "-test")
            res["eval_prompt"] = prompt_en + tp_nl * (drawn - 1)
            res["answer"] = answer_en + tc_nl * (drawn - 1)
        out[lang] = res
    return out


def study_a(count: Counter, family: str) -> tuple[list[dict], dict]:
    """Rows of every task × language of the study A configs for one family, and the MGSM ratios.

    A row's ``configs`` are the runs whose training data it describes (the limits of each config
    are chosen from its own rows); the test sets, and so prompts and answers, are the same in both."""
    phrases = prompts.load_phrases(RESOURCES / prompts.PHRASES_FILE)
    configs = {c["run"]: c for c in (study_config.load(ROOT / path) for path in STUDY_A_CONFIGS)}
    first = next(iter(configs.values()))
    languages = list(first["languages"])
    train_langs = sorted({lang for c in configs.values() for lang in mixture_grammar.training_languages(c)},
                         key=languages.index)
    max_length, max_gen = first["sft"]["max_length"], first["evaluation"]["max_gen_toks"]
    ratios = mgsm_ratios(count, languages)
    rows = []

    def add(task, data_name, runs, lengths, estimated):
        for lang, res in lengths.items():
            rows.append({"study": "A", "family": family, "task": task, "data": data_name, "configs": runs,
                         "language": lang, "source": "measured" if lang == "en" else estimated,
                         "train": stats(res.get("train", np.zeros(0)), max_length),
                         "eval_prompt": stats(res.get("eval_prompt", np.zeros(0))),
                         "answer": stats(res.get("answer", np.zeros(0)), max_gen),
                         "limits": {"max_length": max_length, "max_gen_toks": max_gen}})

    offline = configs["paper-offline"]["tasks"]
    math_records = _prepared("gsm8k_mgsm", "math", offline["math"], languages)
    add("math", "GSM8K train, MGSM test", list(configs),
        math_lengths(count, phrases, ratios, math_records, train_langs, languages),
        "train and answers scaled by MGSM ratios; prompts measured (MGSM human translations)")
    api = _prepared("api_bank", "api", offline["api"], languages)
    train_l3 = [r for r in api if r["split"] in ("train", "val")]
    test = [r for r in api if r["split"] == "test"]
    scaled = "translated parts scaled by MGSM question ratios"
    add("api", "API-Bank level-3 train, level-1 test", ["paper-offline"],
        api_lengths(count, phrases, ratios, train_l3, test, train_langs, languages), scaled)
    add("api", "API-Bank level-1 items standing in for level-1/2 train", ["paper"],
        api_lengths(count, phrases, ratios, test, test, train_langs, []), scaled)
    return rows, {lang: {"mgsm_question_ratio_mean": round(float(v["question"].mean()), 2),
                         "mgsm_exemplar_answer_ratio": round(v["answer"], 2)} for lang, v in ratios.items()}


# --------------------------------------------------------------------------- #
# Study B
# --------------------------------------------------------------------------- #
def _checked(path: Path, repo_path: str, checksums: dict[str, str]) -> Path:
    from mlpt import io

    if repo_path in checksums and (got := io.file_sha256(path)) != checksums[repo_path]:
        raise ValueError(f"{path}: sha256 {got}, but resources/spontaneous/reference.sha256 lists {checksums[repo_path]}")
    return path


def _study_b_dir(given: str | None, task: str) -> Path | None:
    """The folder holding ``task``'s authors' files (laid out like their ``data/``), if any."""
    folder = sp_data.task_spec(task).folder
    for cand in ([Path(given)] if given else []) + [ROOT / "results/spontaneous/reference" / task]:
        if (cand / folder).is_dir():
            return cand
    return None


def study_b(count: Counter, family: str, given_dir: str | None) -> list[dict]:
    """Rows of every task × language of config/spontaneous.yaml for one family (Qwen1.5)."""
    config = study_config.load(ROOT / STUDY_B_CONFIG)
    spec = sp_prompts.load_prompt_spec(RESOURCES / sp_prompts.PROMPTS_FILE)
    checksums = sp_study.read_checksums(RESOURCES / config["reference"]["checksums"])
    languages, pivot = list(config["languages"]), config["source_language"]
    max_length = config["sft"]["max_length"]
    rows = []
    for task in config["tasks"]:
        # the sets of pairs of one language into the pivot (the table keys rows by language; the
        # authors' X->zh sets and pairs-of-languages files are not rows of it)
        qt_sets = {sp_study.direction_languages(name, config)[0]: s
                   for name, s in sp_study.qt_sets(config, task, checksums).items()
                   if len(s.directions) == 1 and sp_study.direction_languages(name, config)[1] == pivot}
        ref = _study_b_dir(given_dir, task)
        if ref is None:
            print(f"study B {task}: no authors' files (--spontaneous-data); left out", file=sys.stderr)
            continue
        tspec = sp_data.task_spec(task)
        for lang in languages:
            rel = f"data/{tspec.folder}/{tspec.test_file.format(lang=lang)}"
            _checked(ref / rel.removeprefix("data/"), rel, checksums)
        tests = {lang: sp_data.read_test_set(ref, task, lang) for lang in languages}
        text = {lang: count.texts(["\n".join(r[f].strip() for f in tspec.text_fields) for r in recs])
                for lang, recs in tests.items()}
        ratio = {lang: text[lang] / text["en"] for lang in languages}
        english_file = sp_study.ENGLISH_TRAIN_FILES[task]
        if (ref / english_file.removeprefix("data/")).is_file():
            path = _checked(ref / english_file.removeprefix("data/"), english_file, checksums)
            english = sp_data.read_items(path, task, "en")
            english_source = english_file
        else:  # never seen here (Amazon's): its English test items stand in
            english = [{k: v for k, v in r.items() if k not in ("label", "label_local")} for r in tests["en"]]
            english_source = f"English test items (standing in for {english_file}, not available here)"
        english = english[: config["tasks"][task]["qt_pairs_per_language"]]
        en_questions = [sp_prompts.render_question(spec, task, r) for r in english]
        base = count.train([(sp_data.qt_prompt(q, "English"), q) for q in en_questions])
        nl = count.pieces([[r[f].strip() for f in tspec.text_fields] for r in english])
        labels = count.texts(['"' + w + '"' for w in tspec.labels])
        for lang in languages:
            res, source = {}, "prompts measured (authors' test sets)"
            if lang in qt_sets:
                qt_path = qt_sets[lang].file
                name = sp_prompts.language_name(spec, lang)
                if qt_path and (ref / qt_path.removeprefix("data/")).is_file():
                    pairs = sp_data.read_qt_pairs(_checked(ref / qt_path.removeprefix("data/"), qt_path, checksums))
                    pairs = pairs[: config["tasks"][task]["qt_pairs_per_language"]]
                    res["train"] = count.train([(sp_data.qt_prompt(p["question"], name), p["answer"]) for p in pairs])
                    source = "train measured (authors' question-translation pairs); " + source
                else:
                    empty = {f: "" for f in tspec.text_fields}
                    fields = count.texts([sp_prompts.render_question(spec, task, {**empty, "lang": lang}) + name,
                                          sp_prompts.render_question(spec, task, {**empty, "lang": "en"}) + "English"])
                    res["train"] = base + (fields[0] - fields[1]) + nl * (_draw(ratio[lang], len(english), lang) - 1)
                    why = "the authors' pairs not available here" if qt_path else "machine-translated pairs"
                    source = (f"train estimated ({why}: English questions scaled by the test sets' per-item "
                              "ratios); " + source)
            res["eval_prompt"] = count.texts(sp_prompts.build_prompts(spec, task, tests[lang], seed=config["seed"]),
                                             special=True)
            res["answer"] = np.repeat(labels, len(tests[lang]) // len(labels) + 1)[: len(tests[lang])]
            rows.append({"study": "B", "family": family, "task": task, "language": lang, "configs": [config["run"]],
                         "data": f"authors' test sets; training questions: {english_source}", "source": source,
                         "train": stats(res.get("train", np.zeros(0)), max_length),
                         "eval_prompt": stats(res["eval_prompt"]), "answer": stats(res["answer"]),
                         "limits": {"max_length": max_length}})
    return rows


# --------------------------------------------------------------------------- #
# Limits and reports
# --------------------------------------------------------------------------- #
def recommend(rows: list[dict]) -> dict:
    """Per config: the smallest multiple of 128 that at most 0.5% of every language's training
    examples (``max_length``) and gold answers (``max_gen_toks``, study A) exceed, the worst row,
    and the same per family."""
    out = {}
    for run in dict.fromkeys(run for r in rows for run in r["configs"]):
        mine = [r for r in rows if run in r["configs"]]
        study = mine[0]["study"]
        rec = {}
        for part, key in (("train", "max_length"), ("answer", "max_gen_toks")):
            if study == "B" and part == "answer":
                continue  # label scoring: no generation budget to set
            pool = [r for r in (mine if part == "train" else [r for r in rows if r["study"] == study]) if r[part]]
            worst = max(pool, key=lambda r: r[part]["p99_5"])
            needed = round_up(worst[part]["p99_5"])
            current = worst["limits"][key]
            rec[key] = {"needed": needed, "current": current, "current_suffices": current >= needed,
                        "worst": {k: worst[k] for k in ("family", "task", "language", "data")}
                        | {"p99_5": worst[part]["p99_5"]},
                        "by_family": {f: round_up(max(r[part]["p99_5"] for r in pool if r["family"] == f))
                                      for f in sorted({r["family"] for r in pool})}}
        out[run] = rec
    return out


def _pct(share: float | None) -> str | None:
    return None if share is None else f"{100 * share:.1f}%"


def _table(header: list[str], rows: list[list]) -> list[str]:
    """Markdown table lines: text columns left-aligned, the others right-aligned; None is blank."""
    numeric = [not any(isinstance(r[i], str) and not r[i].endswith("%") for r in rows) for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    return out + ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]


def markdown(result: dict) -> str:
    lines = ["# Token lengths with the real tokenizers", "",
             f"Written by `benchmarks/token_lengths.py` ({result['date']}); method in its docstring. "
             "p99.5 = a length at most 0.5% of the examples exceed. Languages other than English are "
             "estimated from parallel text for training examples and answers (and API prompts); "
             "MGSM prompts and study B prompts are measured.", ""]
    for family, info in result["tokenizers"].items():
        fam_rows = [r for r in result["rows"] if r["family"] == family]
        if not fam_rows:
            continue
        study = fam_rows[0]["study"]
        limits = fam_rows[0]["limits"]
        lines += [f"## {family} (study {study}): {info['what']}", ""]
        if study == "A":
            lines += [f"Limits now: `sft.max_length` {limits['max_length']}, `evaluation.max_gen_toks` "
                      f"{limits['max_gen_toks']} (config/paper.yaml, paper-offline.yaml).", ""]
            header = ["task", "data (configs)", "lang", "train mean", "train p99.5", "> max_length", "eval prompt mean",
                      "eval prompt p99.5", "answer mean", "answer p99.5", "> max_gen_toks"]
            cells = [[r["task"], f"{r['data']} ({', '.join(r['configs'])})", r["language"],
                      r["train"].get("mean"), r["train"].get("p99_5"), _pct(r["train"].get("share_over_limit")),
                      r["eval_prompt"].get("mean"), r["eval_prompt"].get("p99_5"),
                      r["answer"].get("mean"), r["answer"].get("p99_5"), _pct(r["answer"].get("share_over_limit"))]
                     for r in fam_rows]
        else:
            lines += [f"Limit now: `sft.max_length` {limits['max_length']} (config/spontaneous.yaml). Answers are "
                      "label words (scored, not generated).", ""]
            header = ["task", "lang", "train mean", "train p99.5", "> max_length", "few-shot prompt mean",
                      "prompt p99.5", "prompt max"]
            cells = [[r["task"], r["language"], r["train"].get("mean"), r["train"].get("p99_5"),
                      _pct(r["train"].get("share_over_limit")), r["eval_prompt"]["mean"], r["eval_prompt"]["p99_5"],
                      r["eval_prompt"]["max"]] for r in fam_rows]
        lines += _table(header, cells)
        lines.append("")
    lines += ["## Limits that at most 0.5% of any language's examples / answers exceed", ""]
    for run, rec in result["recommended"].items():
        for key, r in rec.items():
            w = r["worst"]
            verdict = "the current value suffices" if r["current_suffices"] else "**raise it**"
            lines.append(f"- config/{run}.yaml `{key}`: needs **{r['needed']}** (now {r['current']}: {verdict}); worst: "
                         f"{w['family']} {w['task']} {w['language']}, p99.5 = {w['p99_5']} ({w['data']}); per family: "
                         + ", ".join(f"{f} {v}" for f, v in r["by_family"].items()))
    ratios = result["ratios"]
    if ratios:
        ratio_lines = [f"| {lang} | " + " | ".join(f"{ratios[f][lang]['mgsm_question_ratio_mean']} / "
                                                    f"{ratios[f][lang]['mgsm_exemplar_answer_ratio']}" for f in ratios) + " |"
                       for lang in next(iter(ratios.values()))]
        lines += ["", "Tokens per English token on MGSM (mean per-question ratio / worked exemplar answers):", "",
                  "| lang | " + " | ".join(ratios) + " |", "|---|" + "---:|" * len(ratios), *ratio_lines]
    lines += ["", "Mistral-7B (study B) is not measured: no package of the registry carries its vocabulary."]
    return "\n".join(lines) + "\n"


def plan_table(rows: list[dict]) -> list[dict]:
    """One row per family × task × language for resources/plan/tokens_per_example.csv. Study A's
    API has two training sources (one per config): the table keeps the larger mean."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["family"], r["task"], r["language"])
        row = out.setdefault(key, {"family": r["family"], "task": r["task"], "language": r["language"],
                                   "train_tokens_mean": None, "eval_prompt_tokens_mean": None, "answer_tokens_mean": None,
                                   "data": [], "source": r["source"]})
        if r["train"] and (row["train_tokens_mean"] is None or r["train"]["mean"] > row["train_tokens_mean"]):
            row["train_tokens_mean"] = float(r["train"]["mean"])
            row["data"].insert(0, r["data"])
        elif r["train"] or r["eval_prompt"]:
            row["data"].append(r["data"])
        if r["eval_prompt"]:
            row["eval_prompt_tokens_mean"] = float(r["eval_prompt"]["mean"])
            row["answer_tokens_mean"] = float(r["answer"]["mean"])
    for row in out.values():
        row["source"] = f"{' + '.join(dict.fromkeys(row.pop('data')))}: {row['source']}"
    return list(out.values())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, of " + ", ".join(FAMILIES))
    parser.add_argument("--spontaneous-data", help="folder with the authors' data/ files for study B")
    parser.add_argument("--write-table", action="store_true", help="also write resources/" + str(token_table.TABLE_FILE))
    args = parser.parse_args(argv)
    started = time.time()
    rows, ratios, tokenizers = [], {}, {}
    for family in args.families.split(","):
        tok = FAMILIES[family]()
        count = Counter(tok)
        what = {"qwen3": "Qwen3 (Qwen2 BPE ranks, 151,669 tokens with added tokens)",
                "gemma3": "Gemma3 (SentencePiece from the gemma-3-270m GGUF, 262,144 tokens)",
                "qwen1.5": "Qwen1.5 (the same Qwen2 BPE ranks as Qwen3, 151,646 tokens)"}[family]
        tokenizers[family] = {"what": what, "class": type(tok).__name__, "len": len(tok),
                              "built_from": json.loads((Path(tok.name_or_path) / "provenance.json").read_text())}
        if family == "qwen1.5":
            rows += study_b(count, family, args.spontaneous_data)
        else:
            fam_rows, ratios[family] = study_a(count, family)
            rows += fam_rows
        print(f"{family}: done after {time.time() - started:.0f} s", file=sys.stderr)
    result = {"date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - started), "quantile": QUANTILE,
              "tokenizers": tokenizers, "ratios": ratios, "rows": rows, "recommended": recommend(rows)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "token_lengths.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / "token_lengths.md").write_text(markdown(result), encoding="utf-8")
    if args.write_table:
        token_table.write_table(RESOURCES / token_table.TABLE_FILE, plan_table(rows))
    print(json.dumps(result["recommended"], indent=1))
    return result


if __name__ == "__main__":
    main()
