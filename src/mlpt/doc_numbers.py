"""The demo's positive-control numbers that docs/outputs.md quotes, written from a run's accuracy table.

The sentence between the markers ``<!-- control-numbers -->`` and ``<!-- /control-numbers -->`` in
docs/outputs.md is what :func:`control_sentence` writes for the demo; the end-to-end test of the
demo (tests/e2e/test_demo.py) fails when its own run gives another sentence. After a change that
moves the demo's numbers, rewrite it from a fresh ``make demo``::

    .venv/bin/python -m mlpt.doc_numbers --write
"""
from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path

import pandas as pd

from mlpt import config as study_config
from mlpt import mixture_grammar

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "outputs.md"
BEGIN, END = "<!-- control-numbers -->", "<!-- /control-numbers -->"


def _span(values) -> str:
    """``92–100%`` for several percentages, ``38%`` for one (rounded to whole points)."""
    low, high = round(100 * min(values)), round(100 * max(values))
    return f"{low}%" if low == high else f"{low}–{high}%"


def _per_model(values: dict, labels: dict[str, str]) -> str:
    """``38% (Qwen3-tiny) and 72% (Gemma3-tiny)``: one accuracy, or a span of several, per model."""
    parts = [f"{_span(v if isinstance(v, pd.Series) else [v])} ({labels[m]})" for m, v in values.items()]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def control_sentence(acc: pd.DataFrame, cfg: dict, task: str = "control") -> str:
    """One sentence with the control task's accuracies of a run: the widest mixture on its training
    languages, the source-only mixture in the source language and in the other-script languages it
    never saw, and each leave-one-out mixture in the language it left out and in those it kept."""
    rows = acc[acc["task"] == task]
    labels = {name: spec["label"] for name, spec in cfg["models"].items()}
    mixtures = {name: set(m.languages) for name, m in mixture_grammar.by_name(cfg).items()}
    source = cfg["source_language"]
    widest = max(mixtures, key=lambda m: len(mixtures[m]))
    script = {code: spec["nllb"].split("_")[-1] for code, spec in cfg["languages"].items()}
    names = {code: spec["name"] for code, spec in cfg["languages"].items()}

    def accuracy(mixture: str, langs) -> pd.DataFrame:
        return rows[(rows["mixture"] == mixture) & rows["lang"].isin(langs)]

    trained = accuracy(widest, mixtures[widest])["accuracy"]
    solo = accuracy(source, [source]).set_index("model")["accuracy"].to_dict()
    unseen = accuracy(source, [c for c in script if script[c] != script[source]])["accuracy"]
    text = (f"The `{widest}` mixture scores {_span(trained)} on its {len(mixtures[widest])} training languages, "
            f"the {names[source]}-only model scores {_per_model(solo, labels)} in {names[source]} but "
            f"{_span(unseen)} in the other-script languages it never saw")
    for name, langs in mixtures.items():
        left_out = mixtures[widest] - langs
        if langs < mixtures[widest] and len(left_out) == 1:
            (lang,) = left_out
            out = accuracy(name, [lang]).set_index("model")["accuracy"].to_dict()
            kept = dict(list(accuracy(name, langs).groupby("model", sort=False)["accuracy"]))
            text += (f", and `{name}` scores {_per_model(out, labels)} in {names[lang]}, the language it left out, "
                     f"against {_per_model(kept, labels)} on the languages it kept")
    return text + "."


def quoted(doc: str) -> str:
    """The sentence between the markers of ``doc``."""
    found = re.search(rf"{re.escape(BEGIN)}\n(.*?)\n{re.escape(END)}", doc, re.S)
    if not found:
        raise ValueError(f"{DOC.relative_to(REPO)} has no {BEGIN} ... {END} block")
    return " ".join(found.group(1).split())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m mlpt.doc_numbers", description=__doc__.split("\n\n")[0])
    ap.add_argument("--configfile", default=str(REPO / "config" / "demo.yaml"), help="the run's config (default: the demo)")
    ap.add_argument("--write", action="store_true", help=f"write the sentence into {DOC.relative_to(REPO)} instead of printing it")
    args = ap.parse_args(argv)
    cfg = study_config.load(args.configfile)
    table = REPO / "results" / cfg["run"] / "tables" / "accuracy.csv"
    if not table.exists():
        raise SystemExit(f"{table} does not exist: run the demo first (make demo)")
    sentence = control_sentence(pd.read_csv(table), cfg)
    if not args.write:
        print(sentence)
        return
    doc = DOC.read_text(encoding="utf-8")
    quoted(doc)  # the markers must be there
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + textwrap.fill(sentence, 100, break_long_words=False, break_on_hyphens=False) + "\n" + doc[end:], encoding="utf-8")
    print(f"updated {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
