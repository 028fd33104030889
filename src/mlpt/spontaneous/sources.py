"""Study B's data stages: the authors' files, the English sources, every language's test set and
question-translation pairs, and the records of each mixture.

1. :func:`fetch_reference` downloads the authors' files a task reads (test sets, English training
   questions, question-translation files) from their repository at a pinned commit and checks each
   against its SHA-256 or, for a file never seen here, its git blob id
   (``<resources_dir>/spontaneous/reference.sha256``); a file that differs is an error, never used.
   The folder's manifest (``fetched.json``) records each file's SHA-256, size and how it was checked.
2. :func:`english_records` gives a task's English test items (split ``test``) and training
   questions (split ``train``): from the authors' files (``source: reference``; every task's
   English questions are theirs, Amazon's ``emotion_en10k_question.json`` included) or from the
   shipped English files (``source: shipped``, ``<resources_dir>/spontaneous/<task>/``).
   Training questions whose texts equal an English test item's are left out, counted.
3. :func:`translate_language` writes one language's test items (the authors' file, or the English
   items machine-translated, label words included) or, where a mixture needs them and no
   authors' pairs exist, its training questions machine-translated, through the project's MT
   stage (:func:`mlpt.translate.translate_records`: segmentation, shards, QC and its policy).
4. :func:`qt_records` builds the question-translation SFT records of one set of pairs
   (:class:`mlpt.spontaneous.study.QtSet`; :func:`mlpt.spontaneous.data.build_qt_records`, 5% held
   out) from the authors' file or the translated questions. The contamination guard
   (:class:`Guard`): a pair whose question has the texts of a test item in its language, or whose
   answer those of a test item in the target language, is left out (counted), and the records are
   checked again before they are written.
5. :func:`mixture_records` joins the records of a mixture's sets of pairs into its SFT file.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import io, translate
from .. import translation_qc as tqc
from ..data.common import SourceError, text_hash
from ..mixture_grammar import parse_direction
from . import data, prompts

log = logging.getLogger(__name__)

__all__ = ["mixture_records", "english_records", "fetch_reference", "git_blob_id", "qt_records", "tokenizer_texts",
           "translate_language"]

#: Where a file of the authors' repository is downloaded from.
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
#: Where a task's shipped English files are, below the resources folder (JSON arrays in the authors'
#: format: the task's text keys, and ``answer`` in the test file).
SHIPPED = "spontaneous/{task}/{split}.en.json"
SOURCE, REFERENCE, MACHINE_TRANSLATED, AUTHORS = data.SOURCE, data.REFERENCE, data.MACHINE_TRANSLATED, data.AUTHORS
_LABEL = re.compile(r"^[^:：\n]{1,40}[:：] ?")


# --------------------------------------------------------------------------- #
# 1. The authors' files
# --------------------------------------------------------------------------- #
def local_path(ref_dir: str | Path, repo_path: str) -> Path:
    """Where a file of the authors' ``data/`` folder lies in a reference folder (the layout the
    readers of :mod:`mlpt.spontaneous.data` expect: ``<folder>/<file>``)."""
    return Path(ref_dir) / repo_path.removeprefix("data/")


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 (a fixed https address)
        return response.read()


#: The fetched folder's manifest: every file's SHA-256, git blob id, size and how it was checked.
MANIFEST = "fetched.json"


def git_blob_id(content: bytes) -> str:
    """The git blob id of ``content`` (what ``git hash-object`` prints): the SHA-1 of
    ``b"blob <size>\\0" + content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # noqa: S324 (git's id, not security)


def _check(content: bytes, digest: str) -> tuple[str, str]:
    """(what ``digest`` is, the same digest of ``content``): a SHA-256 (64 hex digits) or a git blob
    id (40)."""
    if len(digest) == 40:
        return "git blob id", git_blob_id(content)
    return "SHA-256", hashlib.sha256(content).hexdigest()


def fetch_reference(files: dict[str, str], out_dir: str | Path, *, repo: str, commit: str,
                    download: Callable[[str], bytes] = _download) -> dict:
    """Download ``files`` (``{path in the repository: SHA-256 or git blob id}``) into ``out_dir``;
    a file already there with the right digest is kept. ValueError naming the file whose content
    differs. Writes the folder's manifest (:data:`MANIFEST`) and returns it."""
    report: dict = {"repo": repo, "commit": commit, "files": {}}
    for path, digest in sorted(files.items()):
        target = local_path(out_dir, path)
        content = target.read_bytes() if target.is_file() else None
        if content is not None and _check(content, digest)[1] == digest:
            status = "kept"
        else:
            url = RAW_URL.format(repo=repo, commit=commit, path=path)
            log.info("downloading %s", url)
            content = download(url)
            kind, got = _check(content, digest)
            if got != digest:
                raise ValueError(f"{url} ({path}): {kind} {got}, expected {digest}: not the file the study was "
                                 "checked against; nothing is read from it")
            target.parent.mkdir(parents=True, exist_ok=True)
            with io.atomic_path(target, "wb") as fh:
                fh.write(content)
            status = "downloaded"
        report["files"][path] = {"status": status, "checked_by": _check(content, digest)[0],
                                 "sha256": hashlib.sha256(content).hexdigest(), "git_blob": git_blob_id(content),
                                 "bytes": len(content)}
    io.write_json(Path(out_dir) / MANIFEST, report)
    return report


# --------------------------------------------------------------------------- #
# 2. English test items and training questions
# --------------------------------------------------------------------------- #
def item_key(texts: Iterable[str]) -> str:
    """The contamination key of an item: its texts, normalised (case, spaces, punctuation)."""
    return text_hash("\n".join(texts))


def record_key(task: str, record: dict) -> str:
    return item_key(record[f] for f in data.task_spec(task).text_fields)


def _shipped(resources: str | Path, task: str, split: str) -> Path:
    path = Path(resources) / SHIPPED.format(task=task, split=split)
    if not path.is_file():
        raise SourceError(f"task '{task}' with source 'shipped' needs {path}, which does not exist")
    return path


def _english_tests(task: str, source: str, ref_dir, resources, n_test: int | None) -> list[dict]:
    if source == "reference":
        tests = data.read_test_set(ref_dir, task, "en")
    else:
        path = _shipped(resources, task, "test")
        tests = data.read_items(path, task, "en")[:n_test]
        labels = data.task_spec(task).labels
        for rec in tests:
            if rec["answer"] not in labels:
                raise SourceError(f"{path}: {rec['id']} answers {rec['answer']!r}, not one of {list(labels)}")
            rec["label"] = rec["label_local"] = rec.pop("answer")
    return [dict(r, split="test", origin=SOURCE) for r in tests]


def _question_rows(task: str, source: str, ref_dir, resources) -> list[dict]:
    """The raw English training questions of ``task`` (rows with the task's text keys), in order.
    SourceError naming the authors' file when it is not a JSON array of such rows (a
    question-translation file, or another layout)."""
    from .study import ENGLISH_TRAIN_FILES

    if source == "shipped":
        return data.read_json_array(_shipped(resources, task, "train"))
    if task not in ENGLISH_TRAIN_FILES:
        raise SourceError(f"no English training questions for task '{task}'")
    path = local_path(ref_dir, ENGLISH_TRAIN_FILES[task])
    keys = [key for key, _ in data.task_spec(task).fields]
    try:
        rows = data.read_json_array(path)
    except ValueError as err:
        raise SourceError(f"{path}: not the English questions of '{task}' (one JSON array of objects): {err}") from None
    for i, row in enumerate(rows):
        texts = [row.get(key) for key in keys]
        if not all(isinstance(t, str) for t in texts) or any(data.split_qt_prompt(t) for t in texts):
            raise SourceError(f"{path}: row {i} is not an English question of '{task}' (a text under each of "
                              f"{keys}; not a question-translation pair)")
    return rows


def english_records(task: str, source: str, *, ref_dir: str | Path | None, resources: str | Path, n_train: int,
                    n_test: int | None = None) -> tuple[list[dict], dict]:
    """The English test items and the first ``n_train`` usable training questions of ``task``
    (see the module docstring), and a report of what was read and left out."""
    spec = data.task_spec(task)
    report: dict = {"task": task, "source": source}
    tests = _english_tests(task, source, ref_dir, resources, n_test)
    forbidden = {record_key(task, r) for r in tests}
    questions, left_out = [], {"no_text": 0, "equals_a_test_item": 0, "duplicate": 0}
    seen: set[str] = set()
    for i, row in enumerate(_question_rows(task, source, ref_dir, resources)):
        if len(questions) == n_train:
            break
        texts = [row.get(key) for key, _ in spec.fields]
        if not all(isinstance(t, str) and t.strip() for t in texts):
            left_out["no_text"] += 1
            continue
        key = item_key(texts)
        reason = "equals_a_test_item" if key in forbidden else "duplicate" if key in seen else None
        if reason:
            left_out[reason] += 1
            continue
        seen.add(key)
        questions.append({"id": f"{task}-q{i:05d}", "task": task, "lang": "en", "split": "train", "origin": SOURCE,
                          **{field: text for (_, field), text in zip(spec.fields, texts)}})
    if len(questions) < n_train:
        report["warning"] = f"{n_train} training questions requested, {len(questions)} usable"
    report.update(test=len(tests), train=len(questions), left_out=left_out)
    return tests + questions, report


# --------------------------------------------------------------------------- #
# 3. One language: test items and training questions
# --------------------------------------------------------------------------- #
def translate_items(records: list[dict], task: str, tgt: str, translator, *, checker: tqc.Checker,
                    shards: dict, max_segment_chars: int, src: str = "en") -> tuple[list[dict], dict]:
    """``records`` with their text fields machine-translated into ``tgt`` by the MT stage (each
    text a segment-preserving MT input, its QC flags collected on the record)."""
    fields = data.task_spec(task).text_fields
    pieces = [{"id": f"{r['id']}\t{f}", "question": r[f]} for r in records for f in fields]
    done, counts = translate.translate_records(pieces, "math", src, tgt, translator, checker=checker,
                                               max_segment_chars=max_segment_chars, shards=shards)
    by_id = {p["id"]: p for p in done}
    out = []
    for rec in records:
        parts = [by_id[f"{rec['id']}\t{f}"] for f in fields]
        flags = sorted({flag for p in parts for flag in p["flags"]})
        out.append(dict(rec, lang=tgt, origin=MACHINE_TRANSLATED, flags=flags,
                        **{f: p["question"] for f, p in zip(fields, parts)}))
    return out, counts


class _MT:
    """The run's MT backend for one target language, loaded on first use (as mlpt.translate.run does)."""

    def __init__(self, backend: dict, codes: dict[str, str], mt_model: str | None, languages: dict, src: str,
                 tgt: str, work_dir: str | None, seed: int | None):
        self.backend, self.codes, self.mt_model, self.src, self.tgt = backend, codes, mt_model, src, tgt
        self.names = translate.language_names(languages)
        self.work_dir, self.seed = work_dir, seed
        self.settings = tqc.Settings.from_config(backend.get("qc"))
        self.checker = tqc.Checker(self.settings, languages)
        self._translator = None

    def items(self, records: list[dict], task: str) -> tuple[list[dict], dict]:
        if self._translator is None:
            if self.seed is not None:
                from transformers import set_seed

                set_seed(self.seed)
            self._translator = translate.make_translator(self.backend, self.codes, self.mt_model, self.names)
            self.shards = {"shard_size": self.backend.get("shard_size", 2000), "work_dir": self.work_dir,
                           "settings": translate.shard_settings(self.backend, src=self.src, tgt=self.tgt,
                                                                codes=self.codes, names=self.names,
                                                                mt_model=self.mt_model, seed=self.seed)}
        return translate_items(records, task, self.tgt, self._translator, checker=self.checker, shards=self.shards,
                               max_segment_chars=self.backend.get("max_segment_chars",
                                                                  translate.DEFAULT_MAX_SEGMENT_CHARS))

    def label_words(self, words: Sequence[str], task: str) -> dict[str, str]:
        """Each English label word in the target language (the logit lens's target token)."""
        fields = data.task_spec(task).text_fields
        pseudo = [{"id": f"label-{w}", **{f: w for f in fields}} for w in words]
        done, _ = self.items(pseudo, task)
        return {w: (d[fields[0]].strip() or w) for w, d in zip(words, done)}


def translate_language(english_file: str, out_file: str, qc_file: str, *, task: str, lang: str, split: str,
                       source: str, ref_dir: str | None, backend: dict, codes: dict[str, str], mt_model: str | None,
                       languages: dict, work_dir: str | None = None, seed: int | None = None, src: str = "en") -> dict:
    """Write the ``split`` records of ``task`` in ``lang`` and return the QC report: ``test``, the
    test items (the authors' file for a reference source, else the English items and label words
    machine-translated; never dropped); ``train``, the training questions machine-translated, the
    QC policy applied. See the module docstring."""
    english = [r for r in io.read_jsonl(english_file) if r["split"] == split]
    qc: dict = {"lang": lang, "task": task, "backend": backend["backend"], "splits": {}}
    if split == "test" and source == "reference":
        out = [dict(r, split="test", origin=REFERENCE) for r in data.read_test_set(ref_dir, task, lang)]
        if [r["id"] for r in out] != [r["id"] for r in english]:
            raise ValueError(f"{ref_dir}: the {lang} test items of '{task}' are not parallel to the English ones")
        qc["splits"]["test"] = {"records": len(out), "method": "reference"}
    else:
        mt = _MT(backend, codes, mt_model, languages, src, lang, work_dir, seed)
        done, counts = mt.items(english, task)
        if split == "test":
            local = mt.label_words(data.task_spec(task).labels, task)
            for rec in done:
                rec["label_local"] = local[rec["label"]]
        out, qc_counts = tqc.apply_policy(done, mt.settings.policy, split)  # test items are never dropped
        log.info("QC %s %s: %s", lang, split, tqc.describe(qc_counts))
        qc["splits"][split] = dict(counts, **qc_counts, method=f"mt:{backend['backend']}")
    io.write_jsonl(out_file, out)
    io.write_json(qc_file, qc)
    return qc


# --------------------------------------------------------------------------- #
# 4. Question-translation records of one language
# --------------------------------------------------------------------------- #
def question_keys(question: str, task: str) -> set[str]:
    """The contamination keys of a rendered question (:func:`mlpt.spontaneous.prompts.render_question`:
    one ``<field name>: <text>`` line per text field, then the open answer field): its texts with the
    field names removed, so a question matches a test item whatever wording names the fields, and
    its texts as they are (a text that begins like a field name, or a layout without field names).
    A one-field task's text may span lines. ValueError for anything else."""
    n = len(data.task_spec(task).text_fields)
    lines = question.split("\n")
    if len(lines) < n + 1 or (n > 1 and len(lines) != n + 1):
        raise ValueError(f"not a rendered '{task}' question ({n} field line(s) and the answer field): {question!r:.120}")
    texts = ["\n".join(lines[:-1])] if n == 1 else lines[:n]
    return {item_key(_LABEL.sub("", text, count=1) for text in texts), item_key(texts)}


def _pairs_from_file(path: str, spec: dict, directions: dict[str, tuple[str, str]],
                     held: dict[str, tuple[str, str]]) -> tuple[dict[str, list], int]:
    """The (question, answer) pairs of each of ``directions`` (``{name: (language, target)}``) in
    the authors' file ``path``, which holds those of ``held`` (every direction its name spells);
    the pairs of its other directions are skipped (counted). ValueError naming the file where a row
    is of a direction its name does not spell, or one of ``directions`` has no pairs."""
    names = {prompts.language_name(spec, lang): lang for d in held.values() for lang in d}
    by_languages = {languages: name for name, languages in held.items()}
    found: dict[str, list] = {name: [] for name in directions}
    skipped = 0
    for i, row in enumerate(data.read_qt_pairs(path)):
        name = by_languages.get((names.get(row["language"]), names.get(row["target"])))
        if name is None:
            spelled = [f"{prompts.language_name(spec, x)} to {prompts.language_name(spec, t)}" for x, t in held.values()]
            raise ValueError(f"{path}: row {i} translates from {row['language']} to {row['target']}, not one of "
                             f"the directions its name spells ({', '.join(spelled)})")
        if name in found:
            found[name].append((row["question"], row["answer"]))
        else:
            skipped += 1
    empty = [name for name, pairs in found.items() if not pairs]
    if empty:
        raise ValueError(f"{path}: no pairs of direction(s) {empty}")
    return found, skipped


def _held_keys(path: str, task: str) -> set[str]:
    """The contamination keys (both sides) of the held-out (``val``) records of a qt file."""
    keys: set[str] = set()
    for rec in io.read_jsonl(path, schema="train_record"):
        if rec["split"] == "val":
            question = data.split_qt_prompt(rec["prompt"])[0]
            keys |= question_keys(question, task) | question_keys(rec["response"], task)
    return keys


def _machine_translated_pairs(spec: dict, task: str, lang: str, target: str, english: list[dict],
                              questions: dict[str, str], pivot: str) -> tuple[list, int]:
    """(question in ``lang``, question in ``target``) for the training questions both sides have
    (the English ones, or the language's machine-translated ones), and how many had no counterpart
    (dropped by the QC policy on one side)."""
    side = {x: english if x == pivot else list(io.read_jsonl(questions[x])) for x in (lang, target)}
    ids = {r["id"] for r in side[target]}
    records = [r for r in side[lang] if r["id"] in ids]
    both = {r["id"] for r in records}
    return (prompts.question_pairs(spec, task, records, [r for r in side[target] if r["id"] in both]),
            len(side[lang]) - len(records))


def qt_records(task: str, directions: Sequence[str], *, english_file: str, test_files: dict[str, str], spec: dict,
               n_pairs: int, question_files: dict[str, str] | None = None, reference_pairs: str | None = None,
               file_directions: Sequence[str] | None = None, held_files: dict[str, str] | None = None,
               pivot: str = "en", val_fraction: float = 0.05, seed: int = 0) -> tuple[list[dict], dict]:
    """The question-translation SFT records of one set of pairs of ``task`` (see the module docstring).

    The guard: a pair is left out when its question has the texts of a test item in its language,
    or its answer those of a test item in the target language (English test items always; another
    language's unless this run machine-translated them: two different English texts that this run's
    MT turns into the same text are an MT collision, not a test item reaching training, counted in
    the report and kept).

    Args:
        directions: the set's directions (``zh``, ``en2zh``: mlpt.mixture_grammar.direction_name).
        english_file: the task's English records (:func:`english_records`), its test items included.
        test_files: the test records of every language of the directions (the pivot's: ``english_file``).
        spec: the prompt wording (:func:`mlpt.spontaneous.prompts.load_prompt_spec`).
        n_pairs: pairs kept per direction (the first usable ones, in order), before the validation share.
        question_files: the machine-translated training questions of every language but the pivot, or
        reference_pairs: the authors' file holding the set's pairs, of
        file_directions: every direction that file holds (its name spells them:
            mlpt.spontaneous.study.file_directions; default ``directions``): the others' pairs are skipped.
        held_files: per direction, qt records whose held-out pairs stay held out here (a condition
            set's direction sets: a pair one of them holds out is never trained on by any mixture).
    """
    langs = {d: parse_direction(d, pivot) for d in directions}
    english = [r for r in io.read_jsonl(english_file) if r["split"] == "train"]
    tests = {lang: list(io.read_jsonl(path)) for lang, path in test_files.items()}
    read, skipped = {}, 0
    if reference_pairs:
        spelled = {d: parse_direction(d, pivot) for d in (file_directions or directions)}
        read, skipped = _pairs_from_file(reference_pairs, spec, langs, spelled)
    records = []
    report = {"task": task, "directions": {}, "origin": AUTHORS if reference_pairs else MACHINE_TRANSLATED,
              "file": reference_pairs, "other_directions_skipped": skipped}
    for direction, (lang, target) in langs.items():
        if reference_pairs:
            pairs, missing = read[direction], 0
        else:
            pairs, missing = _machine_translated_pairs(spec, task, lang, target, english, question_files or {}, pivot)
        guard = Guard.of(task, tests[lang], tests[target])
        try:
            kept = [(q, a) for q, a in pairs if not guard.holds(q, a)]
        except ValueError as err:
            raise ValueError(f"{reference_pairs or direction}: {err}") from None
        part = {"pairs": len(pairs), "no_counterpart": missing, "left_out_equal_to_a_test_item": len(pairs) - len(kept),
                "mt_collisions_kept": sum(guard.mt_collision(q, a) for q, a in kept)}
        kept = kept[:n_pairs]
        if len(kept) < n_pairs:
            part["warning"] = f"{n_pairs} pairs requested, {len(kept)} usable"
        held = _held_keys(held_files[direction], task) if direction in (held_files or {}) else set()
        held_out = [i for i, (q, a) in enumerate(kept) if held & (question_keys(q, task) | question_keys(a, task))]
        if held_files:
            part["held_out_elsewhere"] = len(held_out)
        language, target_name = prompts.language_name(spec, lang), prompts.language_name(spec, target)
        done = data.build_qt_records(kept, lang, language, target=target_name, id_prefix=f"{task}-qt-{direction}",
                                     val_fraction=val_fraction, seed=seed, held_out=held_out)
        tail = data.TRANSLATE_INSTRUCTION.format(language=language, target=target_name)
        for rec in done:  # checked again on what is written
            if guard.holds(rec["prompt"].removesuffix(tail), rec["response"]):
                raise RuntimeError(f"question-translation record {rec['id']} holds a test item")
        part.update(records=len(done), train=sum(r["split"] == "train" for r in done),
                    val=sum(r["split"] == "val" for r in done))
        report["directions"][direction] = part
        records += done
    for key in ("pairs", "no_counterpart", "left_out_equal_to_a_test_item", "mt_collisions_kept", "records", "train",
                "val"):
        report[key] = sum(part[key] for part in report["directions"].values())
    warnings = [f"{d}: {part['warning']}" for d, part in report["directions"].items() if "warning" in part]
    if warnings:
        report["warning"] = "; ".join(warnings)
    return records, report


@dataclass(frozen=True)
class Guard:
    """The test items a question-translation pair must not hold (see :func:`qt_records`), by
    contamination key (:func:`question_keys`), for its question's side and its answer's side."""

    task: str
    question: frozenset[str]  # test items in the question's language, not machine-translated by this run
    answer: frozenset[str]  # the same in the target language
    machine_translated: tuple[frozenset[str], frozenset[str]]  # test items this run's MT wrote, per side

    @classmethod
    def of(cls, task: str, question_tests: Iterable[dict], answer_tests: Iterable[dict]) -> Guard:
        def keys(records, mt: bool) -> frozenset[str]:
            return frozenset(record_key(task, r) for r in records
                             if r["split"] == "test" and (r["origin"] == MACHINE_TRANSLATED) == mt)

        q, a = list(question_tests), list(answer_tests)
        return cls(task, keys(q, False), keys(a, False), (keys(q, True), keys(a, True)))

    def holds(self, question: str, answer: str) -> bool:
        return bool(question_keys(question, self.task) & self.question or question_keys(answer, self.task) & self.answer)

    def mt_collision(self, question: str, answer: str) -> bool:
        return bool(question_keys(question, self.task) & self.machine_translated[0]
                    or question_keys(answer, self.task) & self.machine_translated[1])


# --------------------------------------------------------------------------- #
# 5. A mixture's SFT file
# --------------------------------------------------------------------------- #
def mixture_records(files: dict[str, str], languages: dict[str, Sequence[str]]) -> tuple[list[dict], dict]:
    """The records of every set of question-translation pairs of a mixture (``{set: qt file}``, each
    set's records in ``languages[set]``) and a manifest of counts."""
    records, counts = [], {}
    for name, path in files.items():
        part = list(io.read_jsonl(path, schema="train_record"))
        if {r["lang"] for r in part} - set(languages[name]):
            raise ValueError(f"{path}: records of another language than {list(languages[name])}")
        records += part
        counts[name] = {split: sum(r["split"] == split for r in part) for split in ("train", "val")}
    return records, {"sets": list(files), "counts": counts, "inputs": {p: io.file_sha256(p) for p in files.values()}}


# --------------------------------------------------------------------------- #
# Text for the demo's tiny tokenizers
# --------------------------------------------------------------------------- #
def tokenizer_texts(data_files: Iterable[str], prompt_file: str) -> list[str]:
    """Every text field of the English records in ``data_files`` and every string of the prompt
    wording (field names and instructions of every language: each script's characters)."""
    fields = sorted({f for spec in data.TASKS.values() for f in spec.text_fields})
    wording = prompts.load_prompt_spec(prompt_file)["languages"].values()
    strings = [s for entry in wording for s in (entry["name"], *entry["fields"].values(), *entry["instructions"].values())]
    return io.texts(data_files, fields) + strings
