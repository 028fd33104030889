"""Study B's few-shot prompts: in-language exemplars and field names, English label words.

Two styles (``evaluation.prompt_style``, :data:`PROMPT_STYLES`). ``authors``, the default, is the
authors' prompt, read at run time from their evaluation scripts (:data:`EVAL_SCRIPTS`, fetched and
checksummed with each task's reference files; their repository has no licence, so nothing of them is
shipped): :func:`parse_authors_script` reads the ``prompt_prefix`` dictionary (a fixed exemplar block
per language), the answer dictionaries and the per-language query expression from the script's syntax
tree (``ast.literal_eval``; never executed), and :func:`authors_prompt` joins the block and the item's
query with one ``\n``: no instruction, their field names, ending ``<answer field>: "``. Test items
that are themselves exemplars are found by :func:`authors_exemplar_answer`. ``instruction`` is this
project's prompt, described next.

The paper evaluates base models by in-context learning: Amazon Reviews Polarity with 2 exemplars,
SNLI with 6 and PAWS-X with 4. A prompt in language X is plain text (no chat template)::

    <instruction in X, naming the English label words in quotes>

    <field in X>: <text>
    <field in X>: <text>
    <answer field in X>: "<English label>"

    ... (one block per exemplar, blank lines between)

    <field in X>: <text of the scored item>
    <answer field in X>: "

so the next token begins the label word (``Answer: "`` in English, ``答案: "`` in Chinese), which
:mod:`mlpt.spontaneous.labels` scores. The wording per language (field names, instructions, the
language's English name) is data: ``resources/spontaneous/prompts.yaml`` (:data:`PROMPTS_FILE`
below a resources folder).

Exemplars come from the same language's test set and are never the scored item: for item i,
:func:`exemplar_indices` draws ``shots / labels`` rows of every label (2 = one positive and one
negative, SNLI 2 of each of 3 labels, PAWS-X 2 of each of 2) among the other rows, in a shuffled
order, with a generator seeded by the seed and i. The draw depends only on the English labels,
which are row-parallel across languages, so item i gets the same exemplar rows in every language
and the prompts of one item are translations of each other (what the PCA of parallel prompts
needs).

The question block alone (fields and the open answer field, :func:`render_question`) is also the
text a question-translation pair translates: :func:`question_pairs` gives (question in X, English
question) for :func:`mlpt.spontaneous.data.build_qt_records`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..yaml_files import load_yaml
from .data import TASKS, task_spec

__all__ = [
    "EVAL_SCRIPTS",
    "PROMPT_STYLES",
    "PROMPTS_FILE",
    "AuthorsPrompts",
    "AuthorsScriptError",
    "authors_exemplar_answer",
    "authors_gold_matches",
    "authors_prefix",
    "authors_prompt",
    "authors_query",
    "load_authors_prompts",
    "parse_authors_script",
    "build_prompt",
    "build_prompts",
    "exemplar_indices",
    "instruction",
    "language_name",
    "load_prompt_spec",
    "question_pairs",
    "render_question",
]

#: The wording file, relative to the resources folder.
PROMPTS_FILE = Path("spontaneous") / "prompts.yaml"


def load_prompt_spec(path: str | Path) -> dict:
    """The wording file (see the module docstring), checked: every language names itself, every
    field of every task and the answer field, and has one instruction per task that uses each
    label placeholder ``{0}``, ``{1}``, ... exactly once. ValueError naming the key otherwise."""
    return _load(str(Path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    spec = load_yaml(path)
    langs = spec.get("languages") if isinstance(spec, dict) else None
    if not isinstance(langs, dict) or not langs:
        raise ValueError(f"{path}: no 'languages' mapping")
    fields = {"answer"} | {f for t in TASKS.values() for f in t.text_fields}
    for lang, entry in langs.items():
        where = f"{path}: languages/{lang}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"{where}/name: missing")
        missing = sorted(fields - set(entry.get("fields") or {}))
        if missing:
            raise ValueError(f"{where}/fields: missing {missing}")
        for task, tspec in TASKS.items():
            text = (entry.get("instructions") or {}).get(task)
            if not isinstance(text, str):
                raise ValueError(f"{where}/instructions/{task}: missing")
            n = len(tspec.labels)
            counts = [text.count("{" + str(k) + "}") for k in range(n + 1)]
            if counts[:n] != [1] * n or counts[n] or text.count("{") != n:
                raise ValueError(f"{where}/instructions/{task}: must use each of "
                                 f"{', '.join('{' + str(k) + '}' for k in range(n))} once and no other placeholder")
    return spec


def _entry(spec: dict, lang: str) -> dict:
    entry = spec["languages"].get(lang)
    if entry is None:
        raise KeyError(f"no study B prompt wording for language '{lang}'")
    return entry


def language_name(spec: dict, lang: str) -> str:
    """The English name of ``lang`` ("Chinese"), as question-translation prompts write it."""
    return _entry(spec, lang)["name"]


def _label_words(task: str, label_words: Sequence[str] | None) -> tuple[str, ...]:
    labels = task_spec(task).labels
    if label_words is None:
        return labels
    if len(label_words) != len(labels):
        raise ValueError(f"{len(label_words)} label words for the {len(labels)} labels of '{task}'")
    return tuple(label_words)


def instruction(spec: dict, task: str, lang: str, label_words: Sequence[str] | None = None) -> str:
    """The task instruction in ``lang`` with the label words (the task's English labels unless
    ``label_words`` stand in for them, position by position) in double quotes."""
    words = _label_words(task, label_words)
    return _entry(spec, lang)["instructions"][task].format(*(f'"{w}"' for w in words))


def render_question(spec: dict, task: str, record: dict, answer: str | None = None) -> str:
    """One item as a block of ``<field>: <text>`` lines in the record's language, ending with the
    answer field and an opening quote, or with the closed ``"<answer>"`` when ``answer`` is given.
    Texts are stripped of surrounding white space."""
    names = _entry(spec, record["lang"])["fields"]
    lines = [f"{names[f]}: {record[f].strip()}" for f in task_spec(task).text_fields]
    lines.append(f'{names["answer"]}: "' + ("" if answer is None else f'{answer}"'))
    return "\n".join(lines)


def exemplar_indices(labels: Sequence[str], index: int, task: str, seed: int = 0) -> list[int]:
    """The exemplar rows of item ``index`` (see the module docstring).

    Args:
        labels: the English label of every row of the test set (row-parallel across languages).
        index: the scored row; never among the exemplars.
        task: the task (its shot count and labels).
        seed: with ``index``, seeds the draw.
    """
    tspec = task_spec(task)
    per_label, rest = divmod(tspec.shots, len(tspec.labels))
    if rest:
        raise ValueError(f"{tspec.shots} shots do not split evenly over the {len(tspec.labels)} labels of '{task}'")
    rng = np.random.default_rng([seed, index])
    chosen: list[int] = []
    for label in tspec.labels:
        pool = [j for j, lab in enumerate(labels) if lab == label and j != index]
        if len(pool) < per_label:
            raise ValueError(f"'{task}': {len(pool)} other rows labelled '{label}', {per_label} needed")
        chosen.extend(int(j) for j in rng.choice(pool, size=per_label, replace=False))
    return [chosen[k] for k in rng.permutation(len(chosen))]


def build_prompt(spec: dict, task: str, record: dict, exemplars: Sequence[dict],
                 label_words: Sequence[str] | None = None) -> str:
    """The few-shot prompt for ``record`` with ``exemplars`` (records with an English ``label``),
    all in the record's language.

    ``label_words`` replace the task's labels, position by position, in the instruction and the
    exemplar answers (the irrelevant-label control, e.g. ``("ox", "horse")``)."""
    words = dict(zip(task_spec(task).labels, _label_words(task, label_words)))
    for ex in exemplars:
        if ex["lang"] != record["lang"] or ex["id"] == record["id"]:
            raise ValueError(f"exemplar {ex['id']} ({ex['lang']}) for {record['id']} ({record['lang']}): exemplars "
                             f"must be other items of the same language")
    blocks = [instruction(spec, task, record["lang"], label_words)]
    blocks += [render_question(spec, task, ex, words[ex["label"]]) for ex in exemplars]
    blocks.append(render_question(spec, task, record))
    return "\n\n".join(blocks)


def build_prompts(spec: dict, task: str, records: Sequence[dict], seed: int = 0,
                  label_words: Sequence[str] | None = None) -> list[str]:
    """The prompt of every record of one language's test set (records as
    :func:`mlpt.spontaneous.data.read_test_set` gives them, in row order), exemplars drawn with
    :func:`exemplar_indices` from the same records."""
    langs = {r["lang"] for r in records}
    if len(langs) > 1:
        raise ValueError(f"records of several languages {sorted(langs)}: build the prompts of each language apart")
    labels = [r["label"] for r in records]
    return [build_prompt(spec, task, rec, [records[j] for j in exemplar_indices(labels, i, task, seed)], label_words)
            for i, rec in enumerate(records)]


def question_pairs(spec: dict, task: str, records: Sequence[dict], english: Sequence[dict]) -> list[tuple[str, str]]:
    """(question in X, English question) for parallel records (matched by id), each rendered by
    :func:`render_question` with the open answer field, as question-translation pairs are."""
    by_id = {r["id"]: r for r in english}
    missing = [r["id"] for r in records if r["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} records have no English counterpart, e.g. {missing[:3]}")
    return [(render_question(spec, task, r), render_question(spec, task, by_id[r["id"]])) for r in records]


# --------------------------------------------------------------------------- #
# The authors' prompt (evaluation.prompt_style: authors), read from their fetched scripts
# --------------------------------------------------------------------------- #
#: The two prompt styles: the authors' (the default) and this project's instruction prompt above.
PROMPT_STYLES: tuple[str, ...] = ("authors", "instruction")

#: The authors' evaluation script of each task (their repository's root), whose prompt dictionaries
#: :func:`parse_authors_script` reads; fetched with the task's other files (``fetch_reference``).
EVAL_SCRIPTS: dict[str, str] = {"amazon": "emotion_eval_2shot_enout.py", "snli": "snli_eval_6shot_enout.py",
                                "paws": "paws_eval_4shot_enout.py"}

#: The dictionaries of a script that hold the localized gold word of each label, in the task's
#: label order (``answers[label][lang]``).
_ANSWER_DICTS = {2: ("positive_answers", "negative_answers"),
                 3: ("positive_answers", "neutral_answers", "negative_answers")}


@dataclass(frozen=True)
class AuthorsPrompts:
    """One task's prompts as the authors' script builds them.

    ``prefixes[lang]``: the fixed exemplar block (``prompt_prefix[lang]``), verbatim;
    ``queries[lang]``: the query expression as pieces, a string (literal text) or ``("text", key)``
    (the item's text under ``key`` of the test file), the first piece being the prefix itself
    (``("prefix", lang)``); ``answers[label][lang]``: the gold word the script compares the test
    file's answer with (None where its dictionary has no entry), read in the item's language or,
    where the script compares with a fixed key (PAWS: ``positive_answers['en']``), in
    ``gold_language``; ``answer_lines[lang]``: the line
    index and English label of each exemplar answer in the prefix."""

    task: str
    path: str
    prefixes: dict[str, str]
    queries: dict[str, tuple]
    answers: dict[str, dict[str, str | None]]
    answer_lines: dict[str, tuple[tuple[int, str], ...]]
    gold_language: str | None = None  # the dictionaries' language the scorer compares with; None: the item's


class AuthorsScriptError(ValueError):
    """An authors' script that does not have the structure the parser reads (names the file)."""


def authors_script_path(ref_dir: str | Path, task: str) -> Path:
    """Where ``fetch_reference`` puts the authors' evaluation script of ``task``."""
    return Path(ref_dir) / EVAL_SCRIPTS[task]


def load_authors_prompts(ref_dir: str | Path | None, task: str) -> AuthorsPrompts:
    """The authors' prompts of ``task`` from the fetched reference folder; FileNotFoundError naming
    the script when it is not there (it is fetched only with ``evaluation.prompt_style: authors``)."""
    task_spec(task)
    if ref_dir is None:
        raise FileNotFoundError(f"prompt style 'authors' reads the authors' {EVAL_SCRIPTS[task]}, fetched with the "
                                f"task's reference files (fetch_reference); task '{task}' has no reference folder")
    path = authors_script_path(ref_dir, task)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the authors' evaluation script of '{task}' ({EVAL_SCRIPTS[task]}) is not "
                                "in the reference folder; fetch_reference fetches it when evaluation.prompt_style is "
                                "'authors' (its sha256 is in resources/spontaneous/reference.sha256)")
    return parse_authors_script(path, task)


def _literal_assignments(tree: ast.Module, names: Sequence[str], path) -> dict:
    """``{name: value}`` of module-level ``name = <literal>`` statements (``ast.literal_eval`` on the
    node; nothing is executed). The last assignment wins, as it would at run time."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in names:
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError as err:
                raise AuthorsScriptError(f"{path}:{node.lineno}: '{node.targets[0].id}' is not a literal ({err})") \
                    from None
    return out


def _flatten_add(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def _str_const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _subscript_key(node, name: str) -> str | None:
    """``k`` for ``name['k']``, else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == name:
        return _str_const(node.slice)
    return None


def _loop_bindings(comp: ast.ListComp, path) -> dict[str, str]:
    """``{loop variable: key of inputs}`` of ``for i in inputs['k']`` or
    ``for a, b in zip(inputs['k1'], inputs['k2'])``."""
    if len(comp.generators) != 1:
        raise AuthorsScriptError(f"{path}:{comp.lineno}: expected one 'for' in the query comprehension")
    gen = comp.generators[0]
    if isinstance(gen.target, ast.Name):
        names, sources = [gen.target.id], [gen.iter]
    elif isinstance(gen.target, ast.Tuple) and isinstance(gen.iter, ast.Call) and \
            isinstance(gen.iter.func, ast.Name) and gen.iter.func.id == "zip":
        names, sources = [getattr(e, "id", None) for e in gen.target.elts], list(gen.iter.args)
    else:
        raise AuthorsScriptError(f"{path}:{comp.lineno}: unexpected loop in the query comprehension")
    keys = [_subscript_key(s, "inputs") for s in sources]
    if None in names or None in keys or len(names) != len(keys):
        raise AuthorsScriptError(f"{path}:{comp.lineno}: the query must loop over inputs['<key>'] columns")
    return dict(zip(names, keys))


def _queries(tree: ast.Module, path, keys: Sequence[str]) -> dict[str, tuple]:
    """Per language, the query of the ``if target_lang == '<lang>': input = [<expr> for ...]`` chain."""
    out: dict[str, tuple] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if not (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "target_lang"
                and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            continue
        lang = _str_const(test.comparators[0])
        assigns = [s for s in node.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                   and isinstance(s.targets[0], ast.Name) and s.targets[0].id == "input"]
        if lang is None or not assigns:
            continue  # another branch on target_lang (which test file to read)
        comp = assigns[0].value
        if not isinstance(comp, ast.ListComp):
            raise AuthorsScriptError(f"{path}:{assigns[0].lineno}: the '{lang}' query is not a list comprehension")
        bound = _loop_bindings(comp, path)
        pieces: list = []
        for part in _flatten_add(comp.elt):
            text = _str_const(part)
            if text is not None:
                if pieces and isinstance(pieces[-1], str):
                    pieces[-1] += text
                else:
                    pieces.append(text)
            elif _subscript_key(part, "prompt_prefix") is not None:
                pieces.append(("prefix", _subscript_key(part, "prompt_prefix")))
            elif isinstance(part, ast.Name) and part.id in bound:
                if bound[part.id] not in keys:
                    raise AuthorsScriptError(f"{path}:{part.lineno}: the '{lang}' query reads inputs"
                                             f"['{bound[part.id]}'], not one of {list(keys)}")
                pieces.append(("text", bound[part.id]))
            else:
                raise AuthorsScriptError(f"{path}:{getattr(part, 'lineno', comp.lineno)}: unexpected term in the "
                                         f"'{lang}' query: {ast.unparse(part)!r:.80}")
        if lang in out:
            raise AuthorsScriptError(f"{path}:{comp.lineno}: a second query for '{lang}'")
        out[lang] = tuple(pieces)
    return out


def _gold_language(tree: ast.Module, path, dict_names: Sequence[str]) -> str | None:
    """The key the scorer reads the dictionaries with in ``inputs['answer'][i] == <dict>[<key>]``:
    None for ``target_lang`` (the item's language), else the fixed language code."""
    keys: dict[str, str | None] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
            continue
        left, right = node.left, node.comparators[0]
        if not (isinstance(left, ast.Subscript) and _subscript_key(left.value, "inputs") == "answer"):
            continue
        if isinstance(right, ast.Subscript) and isinstance(right.value, ast.Name) and right.value.id in dict_names:
            key = None if isinstance(right.slice, ast.Name) and right.slice.id == "target_lang" else _str_const(right.slice)
            if key is None and not (isinstance(right.slice, ast.Name) and right.slice.id == "target_lang"):
                raise AuthorsScriptError(f"{path}:{node.lineno}: unexpected gold comparison {ast.unparse(node)!r:.80}")
            keys[right.value.id] = key
    if set(keys) != set(dict_names) or len(set(keys.values())) != 1:
        raise AuthorsScriptError(f"{path}: expected one gold comparison inputs['answer'][i] == <dict>[<key>] per "
                                 f"dictionary {list(dict_names)}, with one key; found {keys}")
    return next(iter(keys.values()))


def _answer_field(query: tuple) -> str:
    """The answer field of a query: its last line, ``<name>: "``."""
    tail = query[-1] if query and isinstance(query[-1], str) else ""
    return tail.rsplit("\n", 1)[-1]


def parse_authors_script(path: str | Path, task: str) -> AuthorsPrompts:
    """Read the prompt dictionaries and the per-language query of one authors' evaluation script
    (``*_eval_*shot*_enout.py``) from its syntax tree: ``ast.literal_eval`` on the dictionaries'
    nodes, the query expressions read as string literals, ``prompt_prefix[<lang>]`` and the loop
    variables over ``inputs['<key>']``; the script is never executed.

    Checked: every language has a prefix and a query; the query starts with its own language's
    prefix, then ``'\\n'``, and ends with an open answer field (``<name>: "``); each prefix holds
    the task's shot count of exemplar answers ``<answer field>"<English label>"`` (trailing spaces
    allowed, as the English Amazon one has) with every label equally often. AuthorsScriptError
    (a ValueError) naming the file and line otherwise."""
    path = Path(path)
    spec = task_spec(task)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as err:
        raise AuthorsScriptError(f"{path}: not Python source ({err})") from None
    dict_names = _ANSWER_DICTS[len(spec.labels)]
    found = _literal_assignments(tree, ("prompt_prefix", *dict_names), path)
    for name in ("prompt_prefix", *dict_names):
        if not isinstance(found.get(name), dict):
            raise AuthorsScriptError(f"{path}: no '{name}' dictionary at module level")
    prefixes = found["prompt_prefix"]
    queries = _queries(tree, path, [key for key, _ in spec.fields])
    if not queries:
        raise AuthorsScriptError(f"{path}: no 'if target_lang == ...: input = [...]' queries")
    missing = sorted(set(prefixes) ^ set(queries))
    if missing:
        raise AuthorsScriptError(f"{path}: languages {missing} have a prefix or a query, not both")
    answer_lines: dict[str, tuple] = {}
    for lang, query in queries.items():
        if query[:2] != (("prefix", lang), "\n") and not (query[0] == ("prefix", lang) and
                                                           isinstance(query[1], str) and query[1].startswith("\n")):
            raise AuthorsScriptError(f"{path}: the '{lang}' query does not start with prompt_prefix['{lang}'] + '\\n'")
        if any(p[0] == "prefix" for p in query[1:] if isinstance(p, tuple)) or \
                [p[1] for p in query if isinstance(p, tuple) and p[0] == "text"] != [k for k, _ in spec.fields]:
            raise AuthorsScriptError(f"{path}: the '{lang}' query does not read the item's "
                                     f"{[k for k, _ in spec.fields]} once each, in order")
        field = _answer_field(query)
        if not field.endswith('"') or ":" not in field:
            raise AuthorsScriptError(f"{path}: the '{lang}' query does not end with an open answer field "
                                     f"'<name>: \"' (ends {field!r})")
        lines = []
        for i, line in enumerate(prefixes[lang].split("\n")):
            if line.startswith(field):
                word, sep, rest = line[len(field):].partition('"')
                if not sep or rest.strip() or word not in spec.labels:
                    raise AuthorsScriptError(f"{path}: prompt_prefix['{lang}'] line {i + 1}: {line!r:.80} is not "
                                             f"{field}\"<one of {list(spec.labels)}>\"")
                lines.append((i, word))
        counts = [sum(w == label for _, w in lines) for label in spec.labels]
        if len(lines) != spec.shots or len(set(counts)) != 1:
            raise AuthorsScriptError(f"{path}: prompt_prefix['{lang}'] has exemplar answers "
                                     f"{[w for _, w in lines]}, expected {spec.shots} balanced over {list(spec.labels)}")
        answer_lines[lang] = tuple(lines)
    answers = {label: {lang: found[name].get(lang) for lang in queries} for label, name in zip(spec.labels, dict_names)}
    return AuthorsPrompts(task, str(path), {k: prefixes[k] for k in queries}, queries, answers, answer_lines,
                          _gold_language(tree, path, dict_names))


def _authors_entry(ap: AuthorsPrompts, lang: str) -> tuple[str, tuple]:
    if lang not in ap.queries:
        raise KeyError(f"{ap.path}: no prompt for language '{lang}' (it has {sorted(ap.queries)})")
    return ap.prefixes[lang], ap.queries[lang]


def authors_prefix(ap: AuthorsPrompts, lang: str, label_words: Sequence[str] | None = None) -> str:
    """The exemplar block of ``lang``; ``label_words`` replace the English labels in the exemplar
    answers, position by position (the irrelevant-label control: ``"positive"`` -> ``"ox"``)."""
    prefix, query = _authors_entry(ap, lang)
    if label_words is None:
        return prefix
    words = dict(zip(task_spec(ap.task).labels, _label_words(ap.task, label_words)))
    field = _answer_field(query)
    lines = prefix.split("\n")
    for i, label in ap.answer_lines[lang]:
        lines[i] = lines[i].replace(f'{field}{label}"', f'{field}{words[label]}"', 1)
    return "\n".join(lines)


def _fields_by_key(task: str) -> dict[str, str]:
    return dict(task_spec(task).fields)


def authors_query(ap: AuthorsPrompts, record: dict) -> str:
    """The query block of ``record`` as the authors' script writes it (texts as in the file, not
    stripped), without the exemplar block: ``<texts and field names>\\n<answer field>: "``."""
    _, query = _authors_entry(ap, record["lang"])
    fields = _fields_by_key(ap.task)
    out = []
    for piece in query[1:]:
        out.append(piece if isinstance(piece, str) else record[fields[piece[1]]])
    text = "".join(out)
    return text[1:] if text.startswith("\n") else text


def authors_prompt(ap: AuthorsPrompts, record: dict, label_words: Sequence[str] | None = None) -> str:
    """The authors' prompt of ``record``: the language's fixed exemplar block, ``\\n``, the query."""
    return authors_prefix(ap, record["lang"], label_words) + "\n" + authors_query(ap, record)


def authors_exemplar_answer(ap: AuthorsPrompts, record: dict) -> str | None:
    """The answer the exemplar block shows for ``record`` when the record is itself one of its
    exemplars (its query block, up to the open quote, begins a line of the prefix and the
    exemplar's answer follows), else None. (The authors' Amazon exemplars are their test rows 20
    and 99 in every language.)"""
    prefix, query = _authors_entry(ap, record["lang"])
    block = authors_query(ap, record)
    field = _answer_field(query)
    lines = prefix.split("\n")
    n = block.count("\n")
    for i, label in ap.answer_lines[record["lang"]]:
        start = i - n
        if start >= 0 and "\n".join(lines[start:i + 1]).startswith(block) and lines[i].startswith(field):
            return label
    return None


def authors_gold_matches(ap: AuthorsPrompts, record: dict) -> bool | None:
    """Whether the authors' script could credit ``record``: their scorer compares the test file's
    answer with their dictionary word of the predicted label (``inputs['answer'] ==
    positive_answers[lang]``), so an item whose file answer differs from the dictionary word of its
    label is never counted correct there (SNLI: ja neutral ``中性`` vs ``中立``, bn entailment; in
    no the file's neutral and contradiction words are swapped, so neither is credited as itself).
    This project scores against the English label of the parallel row instead and does not
    inherit it. None where the dictionary has no word for the language."""
    word = ap.answers[record["label"]].get(ap.gold_language or record["lang"])
    return None if word is None else word == record["label_local"]
