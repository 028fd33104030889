"""Study B as an experiment of the workflow: its config check, its mixtures and the authors' files.

A study B config (``study: spontaneous``; ``config/spontaneous.yaml``) names the evaluation
languages, the tasks, the base models, the LoRA recipe and the *mixtures*: which languages' question-translation
pairs a model is tuned on. :func:`validate` checks it against ``schemas/spontaneous.schema.yaml``
(the sections shared with study A are study A's schema) and against the rules below;
:func:`mixtures` expands its ``mixtures`` with the grammar both studies share
(:mod:`mlpt.mixture_grammar`: study B's families ``pretrained``, ``single``, ``pair``, ``set``).

A study B mixture, like study A's, fills the ``{mixture}`` slot of the shared path scheme
(``results/<run>/sft/<model>/<task>/<mixture>/model``), each of its languages contributes
``tasks.<task>.qt_pairs_per_language`` pairs, and every mixture is trained on every model and
task (the workflow plans the full product).

Study rules beyond the schema: every language has prompt wording
(``<resources_dir>/spontaneous/prompts.yaml``) and is one of the paper's 20; a mixture never
names English (the pivot) or an unconfigured language, and no two mixtures share a name; each
task's ``shots`` is the paper's, which the prompt builder uses; the recipe is LoRA (``sft.method:
lora``) and keeps the epoch with the lowest loss on the held-out question-translation pairs
(``sft.selection: val_loss``, the paper's) or the last one (``last``), never by validation
*accuracy*, which needs answers that question-translation data do not have; a language without an
authors' question-translation file is machine-translated, so it needs an ``nllb`` code when the MT
backend is ``seq2seq``; the batch shape divides over every model's GPUs (study A's check).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import config_rules, mixture_grammar
from .. import schema as schema_lib
from ..errors import ConfigError
from ..mixture_grammar import Mixture
from . import data, prompts

__all__ = ["PRETRAINED", "Mixture", "mixtures", "qt_languages", "reference_files", "validate"]

#: The untuned base model's mixture (study A's name: mlpt.mixture_grammar).
PRETRAINED = mixture_grammar.PRETRAINED

#: The authors' English training questions of each task (the English side of every pair this run
#: translates; rows in file order), by path in their repository. Amazon's is named like a
#: question-translation file but holds its English questions (its test files' layout is assumed:
#: the review under ``input``; a file in another layout stops sp_prepare_data, naming it).
ENGLISH_TRAIN_FILES = {"amazon": "data/ap_emotion/emotion_en10k_question.json",
                       "snli": "data/snli/snli_en10k_train.json", "paws": "data/paws/paws_en10k_train.json"}
#: Every question-translation file of the authors' repository at reference.commit, per task (46: the
#: tree of 5605459c). Each holds the pairs of one condition, spelled in its name: ``zh`` (Chinese
#: questions into English), ``zhde`` (zh and de together), ``en2zhja2zh`` (en and ja into Chinese).
#: A file is read only where the checksum list names it (:func:`qt_file`).
QT_FILES: dict[str, tuple[str, ...]] = {
    "amazon": tuple(f"data/ap_emotion/emotion_{c}10k_question.json" for c in (
        "bn", "de", "es", "hi", "it", "ja", "ru", "sv", "sw", "th", "zh", "swbn", "swhi", "swth", "zhde", "zhes",
        "zhit", "zhsw", "zhdeit", "zhesru", "en2zhja2zh", "ja2zhit2zh", "sw2zhhi2zh")),
    "snli": (*(f"data/snli/snli_{c}10k_train_question.json" for c in ("bn", "de", "es", "hi", "it", "sw", "zh")),
             *(f"data/snli/snli_{c}10k_question.json" for c in ("swbn", "swhi", "zhde", "zhes", "zhit"))),
    "paws": (*(f"data/paws/paws_{c}10k_train_question.json" for c in ("de", "es", "hi", "it", "sw", "zh")),
             *(f"data/paws/paws_{c}10k_question.json" for c in ("swhi", "zhde", "zhes", "zhit"))),
}
_CONDITION = re.compile(r"_((?:[a-z]{2}(?:2[a-z]{2})?)+)10k")


def file_directions(path: str, pivot: str = "en") -> frozenset[str]:
    """The directions (mlpt.mixture_grammar.direction_name) of the pairs in an authors' file, read
    from its name (:data:`QT_FILES`)."""
    spelled = _CONDITION.search(path.rsplit("/", 1)[-1]).group(1)
    return frozenset(mixture_grammar.direction_name(lang, target or pivot, pivot)
                     for lang, target in re.findall(r"([a-z]{2})(?:2([a-z]{2}))?", spelled))


def authors_conditions(task: str, pivot: str = "en") -> list[frozenset[str]]:
    """The directions of every condition the authors published a question-translation file for."""
    return [file_directions(path, pivot) for path in QT_FILES.get(task, ())]


def mixtures(config: dict, source: str = "config") -> dict[str, Mixture]:
    """The mixtures of ``config`` by name, in config order (the grammar: :mod:`mlpt.mixture_grammar`)."""
    return mixture_grammar.by_name(config, source)


def trained(config: dict) -> list[str]:
    """The mixtures that are tuned (all but the base model), in config order."""
    return [name for name, cond in mixtures(config).items() if cond.languages]


def qt_languages(config: dict) -> list[str]:
    """Every language some mixture translates questions from, in config order."""
    return mixture_grammar.training_languages(config)


def task_mixtures(config: dict, task: str) -> dict[str, Mixture]:
    """The mixtures evaluated on ``task`` by name, in config order: the base model and every mixture
    tuned on it (a family's ``tasks``)."""
    return {name: m for name, m in mixtures(config).items() if mixture_grammar.tuned_on(m, task)}


def qt_directions(config: dict, task: str) -> list[str]:
    """Every question-translation direction (``zh``, ``en2zh``: mlpt.mixture_grammar.direction_name)
    some mixture tunes on ``task``, in config order: the held-out pairs every checkpoint of the task
    is scored on."""
    return list(dict.fromkeys(d for m in task_mixtures(config, task).values() for d in m.directions))


def direction_languages(direction: str, config: dict) -> tuple[str, str]:
    """``(language, target)`` of a direction of ``config``."""
    return mixture_grammar.parse_direction(direction, config["source_language"])


# --------------------------------------------------------------------------- #
# The authors' files
# --------------------------------------------------------------------------- #
def read_checksums(path: str | Path) -> dict[str, str]:
    """``{path in the repository: digest}`` from a list of ``<digest>  <path>`` lines (``#``
    comments), each digest a SHA-256 (64 hex digits) or, for a file whose content was never seen
    here, its git blob id (40: :func:`mlpt.spontaneous.sources.git_blob_id`)."""
    out = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        if not re.fullmatch(r"[0-9a-f]{64}|[0-9a-f]{40}", digest) or not name.strip():
            raise ValueError(f"{path}:{lineno}: expected '<sha256 or git blob id>  <path>', got {line!r:.80}")
        out[name.strip()] = digest
    return out


def test_file(task: str, lang: str) -> str:
    """The path of the authors' test file of ``task`` in ``lang`` in their repository."""
    spec = data.task_spec(task)
    return f"data/{spec.folder}/{spec.test_file.format(lang=lang)}"


def qt_file(task: str, directions: Iterable[str], checksums: dict[str, str], pivot: str = "en") -> str | None:
    """The authors' question-translation file of ``task`` that holds exactly the pairs of
    ``directions`` (:data:`QT_FILES`), if the checksum list names it (None: they published none)."""
    wanted = frozenset(directions)
    found = [path for path in QT_FILES.get(task, ()) if file_directions(path, pivot) == wanted]
    return found[0] if found and found[0] in checksums else None


def _file_holding(task: str, direction: str, checksums: dict[str, str], pivot: str) -> str | None:
    """The authors' file of ``task`` that holds ``direction``'s pairs: its own, else the first listed
    file of a condition that has it (their X->zh directions exist only in such files)."""
    own = qt_file(task, (direction,), checksums, pivot)
    return own or next((path for path in QT_FILES.get(task, ())
                        if direction in file_directions(path, pivot) and path in checksums), None)


@dataclass(frozen=True)
class QtSet:
    """The question-translation pairs one ``build_qt_pairs`` job writes (``qt/<task>/<name>.jsonl``).

    A *direction* set (named by its one direction: ``zh``, ``en2zh``) holds that direction's pairs:
    read from the authors' file that holds it, or made from machine-translated questions (``file``
    None). A *condition* set (named by its mixture: ``zh-de``) holds every pair of the authors' file
    of one condition of several directions, the pairs they tuned that condition on; its pairs held out
    by a direction set stay held out (:func:`mlpt.spontaneous.sources.qt_records`)."""

    name: str
    directions: tuple[str, ...]
    file: str | None

    @property
    def origin(self) -> str:
        """Where its pairs come from: ``authors`` or ``machine-translated``."""
        return data.AUTHORS if self.file else data.MACHINE_TRANSLATED

    @property
    def condition(self) -> bool:
        """Whether it is a condition set (the pairs of one authors' file of several directions)."""
        return len(self.directions) > 1

    def languages(self, config: dict) -> list[str]:
        """Every language its pairs are written in (both sides), in config order."""
        used = {x for d in self.directions for x in direction_languages(d, config)}
        return [lang for lang in config["languages"] if lang in used]


def qt_sets(config: dict, task: str, checksums: dict[str, str]) -> dict[str, QtSet]:
    """Every set of question-translation pairs the mixtures of ``task`` are built from, by name: one
    per direction a mixture tunes on (the authors' where a listed file holds it and the task's source
    is not ``shipped``, else machine-translated), and one per mixture of several directions whose
    condition the authors published a file for."""
    reference = config["tasks"][task].get("source") != "shipped"
    pivot = config["source_language"]
    sets = {d: QtSet(d, (d,), _file_holding(task, d, checksums, pivot) if reference else None)
            for d in qt_directions(config, task)}
    for name, mixture in task_mixtures(config, task).items():
        own = qt_file(task, mixture.directions, checksums, pivot) if reference else None
        if len(mixture.directions) > 1 and own:
            sets[name] = QtSet(name, mixture.directions, own)
    return sets


def mixture_qt_sets(config: dict, task: str, mixture: str, checksums: dict[str, str]) -> list[str]:
    """The sets of question-translation pairs whose records make up ``mixture`` on ``task``: its
    condition set where the authors published its file, else the set of each of its directions."""
    sets = qt_sets(config, task, checksums)
    return [mixture] if mixture in sets and sets[mixture].condition else list(mixtures(config)[mixture].directions)


def qt_origin(config: dict, task: str, mixture: str, checksums: dict[str, str]) -> str:
    """Where the pairs ``mixture`` is tuned on come from: ``authors``, ``machine-translated``, or
    both joined by `` + `` (a mixture of the authors' and machine-translated sets); empty for the
    base model."""
    sets = qt_sets(config, task, checksums)
    found = {sets[name].origin for name in mixture_qt_sets(config, task, mixture, checksums)}
    return " + ".join(o for o in (data.AUTHORS, data.MACHINE_TRANSLATED) if o in found)


def qt_provenance(config: dict, task: str, checksums: dict[str, str]) -> dict:
    """What the data report says of the question-translation pairs of every mixture tuned on
    ``task``: where they come from (``authors``, ``machine-translated``) and, per set, from which
    authors' file."""
    sets = qt_sets(config, task, checksums)
    return {name: {"pairs": qt_origin(config, task, name, checksums),
                   "sets": {s: {"origin": sets[s].origin, "file": sets[s].file}
                            for s in mixture_qt_sets(config, task, name, checksums)}}
            for name in task_mixtures(config, task) if name != PRETRAINED}


#: The authors' analysis files a probe with ``analysis.<kind>.prompts: authors`` reads: their lens
#: script and their PCA notebook.
ANALYSIS_FILES = {"lens": "zsm_emotion_2shot.py", "pca": "knowledge_finding.ipynb"}


def analysis_files(config: dict, task: str) -> list[str]:
    """The authors' analysis files (:data:`ANALYSIS_FILES`) the probes on ``task`` read."""
    probes = config.get("analysis", {})
    return [path for kind, path in ANALYSIS_FILES.items() if probes.get(kind, {}).get("prompts") == "authors"
            and probes[kind].get("task", next(iter(config["tasks"]))) == task]


def reference_files(config: dict, task: str, checksums: dict[str, str]) -> dict[str, str]:
    """``{path in the repository: sha256}`` of every authors' file ``task`` reads: the test set of
    every language, the English training questions and the question-translation files of the
    languages mixtures tune on. KeyError naming a file the checksum list lacks."""
    wanted = [test_file(task, lang) for lang in config["languages"]]
    if task in ENGLISH_TRAIN_FILES:
        wanted.append(ENGLISH_TRAIN_FILES[task])
    wanted += [s.file for s in qt_sets(config, task, checksums).values() if s.file]
    wanted += analysis_files(config, task)
    if config.get("evaluation", {}).get("prompt_style") == "authors":  # the default, filled by validate
        wanted.append(prompts.EVAL_SCRIPTS[task])  # the authors' prompts (mlpt.spontaneous.prompts)
    missing = [f for f in wanted if f not in checksums]
    if missing:
        raise KeyError(f"no checksum for {missing}")
    return {f: checksums[f] for f in wanted}


# --------------------------------------------------------------------------- #
# The config check
# --------------------------------------------------------------------------- #
def validate(config: dict, source: str = "config") -> dict:
    """Check a study B config (schema, then the study rules of the module docstring); fill
    defaults; return it. ConfigError names the file and the key."""
    schema = schema_lib.load_schema("spontaneous")
    schema_lib.check_schema(config, schema, source)
    schema_lib.fill_defaults(config, schema, schema)
    _check_rules(config, source)
    return config


def _check_rules(config: dict, source: str) -> None:
    unknown = [lang for lang in config["languages"] if lang not in data.LANGUAGES]
    if unknown:
        raise ConfigError(f"{source}: key 'languages': {unknown} are not among the paper's evaluation languages "
                          f"{list(data.LANGUAGES)}")
    if config["source_language"] not in config["languages"]:
        raise ConfigError(f"{source}: key 'languages': the pivot '{config['source_language']}' must be evaluated too")
    resources = Path(config["resources_dir"])
    wording = resources / prompts.PROMPTS_FILE
    if wording.is_file():  # checked where the workflow runs (as study A's phrases are)
        spec = prompts.load_prompt_spec(wording)
        missing = [lang for lang in config["languages"] if lang not in spec["languages"]]
        if missing:
            raise ConfigError(f"{source}: key 'languages': no prompt wording for {missing} in {wording}")
    for task, tspec in config["tasks"].items():
        paper = data.TASKS[task].shots
        if tspec.get("shots", paper) != paper:
            raise ConfigError(f"{source}: key 'tasks/{task}/shots': {tspec['shots']}, but the paper's (and the prompt "
                              f"builder's, mlpt.spontaneous.data.TASKS) is {paper}")
        if tspec["source"] == "reference" and tspec["n_test"] is not None:
            raise ConfigError(f"{source}: key 'tasks/{task}/n_test': the authors' test sets have the paper's sizes; "
                              "use evaluation/limit_per_language to score fewer items")
    conds = mixtures(config, source)
    if not any(c.languages for c in conds.values()):
        raise ConfigError(f"{source}: key 'mixtures': no mixture tunes on any language")
    sft = config["sft"]
    if sft["method"] != "lora":
        raise ConfigError(f"{source}: key 'sft/method': study B tunes LoRA adapters (merged after training), "
                          f"not '{sft['method']}'")
    if sft["selection"] not in ("val_loss", "last"):
        raise ConfigError(f"{source}: key 'sft/selection': '{sft['selection']}' scores answers, and "
                          "question-translation data have none; use 'val_loss' (the paper's) or 'last'")
    if config["evaluation"]["prompt_style"] == "authors":
        shipped = [task for task, tspec in config["tasks"].items() if tspec["source"] != "reference"]
        if shipped:
            raise ConfigError(f"{source}: key 'evaluation/prompt_style': 'authors' reads the authors' evaluation "
                              f"scripts, fetched with a task's reference files, but {shipped} have source "
                              "'shipped'; use prompt_style: instruction there")
    _check_translation(config, source)
    _check_probes(config, conds, source)
    for model, spec in config["models"].items():
        like = spec.get("tiny", {}).get("like")
        if like and resources.is_dir():
            from .. import paths

            if not (Path(paths.model_reference(resources, like)) / "config.json").is_file():
                raise ConfigError(f"{source}: key 'models/{model}/tiny/like': no reference files for '{like}' "
                                  f"({paths.model_reference(resources, like)}/config.json is missing)")
    config_rules.check_batch_sizes(config, source)


def machine_translated(config: dict, task: str, checksums: dict[str, str] | None = None) -> list[str]:
    """The languages whose ``task`` data the MT stage writes, in config order: every non-English test
    set of a shipped source, and every language (but the pivot) of a set of question-translation
    pairs the authors did not publish. ``checksums`` default to the config's list (none where it is
    not found: a config checked away from the resources; then every set counts as unpublished)."""
    pivot = config["source_language"]
    if config["tasks"][task]["source"] == "shipped":
        return [lang for lang in config["languages"] if lang != pivot]
    if checksums is None:
        sums_path = Path(config["resources_dir"]) / config["reference"]["checksums"]
        checksums = read_checksums(sums_path) if sums_path.is_file() else {}
    used = {lang for s in qt_sets(config, task, checksums).values() if s.file is None for lang in s.languages(config)}
    return [lang for lang in config["languages"] if lang in used and lang != pivot]


def _check_translation(config: dict, source: str) -> None:
    config_rules.check_translation(config["translation"], "translation", source)
    if config["translation"]["backend"] != "seq2seq":
        return
    for task in config["tasks"]:
        for lang in machine_translated(config, task):
            if "nllb" not in config["languages"][lang]:
                raise ConfigError(f"{source}: key 'languages/{lang}/nllb': '{lang}' is machine-translated for task "
                                  f"'{task}' (seq2seq backend), which needs its FLORES-200 code")
    if any(machine_translated(config, task) for task in config["tasks"]) and \
            "nllb" not in config["languages"][config["source_language"]]:
        raise ConfigError(f"{source}: key 'languages/{config['source_language']}/nllb': the pivot needs its "
                          "FLORES-200 code for the seq2seq MT backend")


def _check_probes(config: dict, conds: dict[str, Mixture], source: str) -> None:
    """Every model, mixture, language and the task an analysis names are configured."""
    known = {"task": list(config["tasks"]), "models": list(config["models"]), "mixtures": list(conds),
             "languages": list(config["languages"])}
    for kind, spec in config["analysis"].items():
        for key, values in spec.items():
            if key not in known:
                continue
            for value in [values] if isinstance(values, str) else values:
                if value not in known[key]:
                    raise ConfigError(f"{source}: key 'analysis/{kind}/{key}': '{value}' is not one of {known[key]}")
                task = spec.get("task", known["task"][0])
                if key == "mixtures" and not mixture_grammar.tuned_on(conds[value], task):
                    raise ConfigError(f"{source}: key 'analysis/{kind}/mixtures': '{value}' is not tuned on task "
                                      f"'{task}' (its mixtures entry's tasks: {list(conds[value].tasks)})")
