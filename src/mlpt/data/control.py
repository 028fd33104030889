"""The positive control (``synthetic_arithmetic``): synthetic one-step addition problems, parallel
in every language, written from ``resources/control/templates.yaml``."""

from __future__ import annotations

import random
from pathlib import Path

from ..yaml_files import safe_load_yaml
from .common import Prepared, SourceError, check_unique, read_text, text_hash

MAX_OPERAND = 9
TEMPLATE_FIELDS = {"name", "item", "a", "b"}  # placeholders a template may use; {a} and {b} are required


def files_synthetic_arithmetic(resources: Path, languages: list[str]) -> list[Path]:
    return [resources / "control/templates.yaml"]


def prepare_synthetic_arithmetic(resources: Path, task: str, spec: dict, languages: list[str], source_lang: str,
                                 seed: int) -> Prepared:
    """Parallel word problems from ``resources/control/templates.yaml``.

    A problem is an operand pair (a, b), 1 <= a, b <= ``MAX_OPERAND``, rendered with one template.
    All (a, b, template) combinations are shuffled with the seed and dealt to test, val and train
    in that order, so no test problem (operands *and* template) is ever trained on, while the
    addition facts themselves can be learned from other wordings. Names and objects are drawn per
    item and are the same in every language: item k is one problem in 11 renderings. The source
    language's records are the task data; the others are supplied as references, the same path
    human translations (MGSM) take."""
    table = _read_templates(resources / "control/templates.yaml", languages)
    n_templates, n_names, n_items = (len(table[languages[0]][key]) for key in ("templates", "names", "items"))

    rng = random.Random(seed)
    combos = [(a, b, t) for a in range(1, MAX_OPERAND + 1) for b in range(1, MAX_OPERAND + 1) for t in range(n_templates)]
    rng.shuffle(combos)
    sizes = {"test": spec["n_test"], "val": spec["n_val"], "train": spec["n_train"]}
    if sum(sizes.values()) > len(combos):
        raise SourceError(f"n_train + n_val + n_test = {sum(sizes.values())} exceeds the {len(combos)} distinct problems")
    records, references, start = [], [], 0
    for split in ("test", "val", "train"):
        for i, (a, b, t) in enumerate(combos[start : start + sizes[split]]):
            n, o = rng.randrange(n_names), rng.randrange(n_items)
            for lang in languages:
                entry = table[lang]
                question = entry["templates"][t].format(name=entry["names"][n], item=entry["items"][o], a=a, b=b)
                rec = {"id": f"ctrl-{split}-{i:04d}", "task": task, "lang": lang, "split": split, "question": question,
                       "reasoning": f"{a} + {b} = {a + b}.", "answer": str(a + b), "source": "synthetic-control"}
                (records if lang == source_lang else references).append(rec)
        start += sizes[split]
    forbidden = {text_hash(r["question"]) for r in records + references if r["split"] == "test"}
    report = dict(sizes, distinct_problems=len(combos))
    return Prepared(records, references, forbidden, report)


def _read_templates(path: Path, languages: list[str]) -> dict[str, dict]:
    """The ``languages`` table of the control templates file, checked: for every language non-empty
    ``templates``, ``names`` and ``items`` lists of texts, equally long in every language, and
    distinct templates that use only the known placeholders, {a} and {b} among them."""
    import string

    import yaml

    try:
        doc = safe_load_yaml(read_text(path))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SourceError(f"{path}{line}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
    table = doc.get("languages") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise SourceError(f"{path}: field 'languages': missing" + (" (the file is empty)" if doc is None else ""))
    missing = [lang for lang in languages if lang not in table]
    if missing:
        raise SourceError(f"{path}: field 'languages': no templates for languages {missing}")
    for lang in languages:
        for key in ("templates", "names", "items"):
            field = f"languages/{lang}/{key}"
            values = table[lang].get(key) if isinstance(table[lang], dict) else None
            if not values or not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise SourceError(f"{path}: field '{field}': expected a non-empty list of texts, got {values!r:.80}")
            first = f"languages/{languages[0]}/{key}"
            if len(values) != len(table[languages[0]][key]):
                raise SourceError(f"{path}: field '{field}': {len(values)} entries, but '{first}' has "
                                  f"{len(table[languages[0]][key])} (the languages must be parallel)")
        for i, template in enumerate(table[lang]["templates"]):
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
            except ValueError as err:
                used = {f"malformed: {err}"}
            if not {"a", "b"} <= used <= TEMPLATE_FIELDS:
                raise SourceError(f"{path}: field 'languages/{lang}/templates/{i}': placeholders {sorted(used)}; "
                                  f"expected {{a}} and {{b}}, optionally {{name}} and {{item}}")
        check_unique([(f"{path}: languages/{lang}/templates/{i}", t) for i, t in enumerate(table[lang]["templates"])],
                      "template")
    return table


def control_languages(resources: Path, languages: list[str]) -> list[str]:
    """Every language: the control task's test items are written from its templates in each one.
    The templates file is read and checked here, so a language without templates is an error when
    the workflow is planned, not when prepare_data runs."""
    _read_templates(resources / "control/templates.yaml", languages)
    return list(languages)
