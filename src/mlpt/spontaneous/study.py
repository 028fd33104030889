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

from pathlib import Path

from .. import config_rules, mixture_grammar
from .. import schema as schema_lib
from ..errors import ConfigError
from ..mixture_grammar import Mixture
from . import data, prompts

__all__ = ["PRETRAINED", "Mixture", "mixtures", "qt_languages", "reference_files", "validate"]

#: The untuned base model's mixture (study A's name: mlpt.mixture_grammar).
PRETRAINED = mixture_grammar.PRETRAINED

#: The authors' English training questions of each task (the source of every question-translation
#: pair; rows in file order), by path in their repository; Amazon's come from the Hub instead.
ENGLISH_TRAIN_FILES = {"snli": "data/snli/snli_en10k_train.json", "paws": "data/paws/paws_en10k_train.json"}
#: The authors' question-translation files (a language's file is read when the checksum list names it).
QT_FILES = {"snli": "data/snli/snli_{lang}10k_train_question.json"}


def mixtures(config: dict, source: str = "config") -> dict[str, Mixture]:
    """The mixtures of ``config`` by name, in config order (the grammar: :mod:`mlpt.mixture_grammar`)."""
    return mixture_grammar.by_name(config, source)


def trained(config: dict) -> list[str]:
    """The mixtures that are tuned (all but the base model), in config order."""
    return [name for name, cond in mixtures(config).items() if cond.languages]


def qt_languages(config: dict) -> list[str]:
    """Every language some mixture tunes on, in config order."""
    return mixture_grammar.training_languages(config)


# --------------------------------------------------------------------------- #
# The authors' files
# --------------------------------------------------------------------------- #
def read_checksums(path: str | Path) -> dict[str, str]:
    """``{path in the repository: sha256}`` from a list of ``<sha256>  <path>`` lines (``#`` comments)."""
    out = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        if len(digest) != 64 or not name.strip():
            raise ValueError(f"{path}:{lineno}: expected '<sha256>  <path>', got {line!r:.80}")
        out[name.strip()] = digest
    return out


def test_file(task: str, lang: str) -> str:
    """The path of the authors' test file of ``task`` in ``lang`` in their repository."""
    spec = data.task_spec(task)
    return f"data/{spec.folder}/{spec.test_file.format(lang=lang)}"


def qt_file(task: str, lang: str, checksums: dict[str, str]) -> str | None:
    """The authors' question-translation file of ``task`` in ``lang``, if the checksum list names
    one (None: the pairs are machine-translated)."""
    pattern = QT_FILES.get(task)
    path = pattern.format(lang=lang) if pattern else None
    return path if path in checksums else None


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
    wanted += [f for f in (qt_file(task, lang, checksums) for lang in qt_languages(config)) if f]
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


def machine_translated(config: dict, task: str) -> list[str]:
    """The languages whose ``task`` data the MT stage writes: every non-English test set of a shipped
    source, and every tuned language without an authors' question-translation file. Without the
    checksum list (a config checked away from the resources) every tuned language counts."""
    langs = [lang for lang in config["languages"] if lang != config["source_language"]]
    if config["tasks"][task]["source"] == "shipped":
        return langs
    sums_path = Path(config["resources_dir"]) / config["reference"]["checksums"]
    sums = read_checksums(sums_path) if sums_path.is_file() else {}
    return [lang for lang in qt_languages(config) if qt_file(task, lang, sums) is None]


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
