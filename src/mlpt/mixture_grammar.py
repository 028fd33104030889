"""The mixture grammar of both studies: which languages a run trains on, expanded from config families.

A *mixture* is one training set: it fills the ``{mixture}`` slot of the path scheme
(``results/<run>/sft/<model>/<task>/<mixture>/``, :mod:`mlpt.paths`). A config's ``mixtures`` list
names *families*, and :func:`expand` turns each entry into mixtures (:class:`Mixture`), in config
order, with names that are unique. One table, :data:`FAMILIES`, holds every family; each study's
schema enumerates the families it accepts (``config.schema.yaml``: study A's;
``spontaneous.schema.yaml``: study B's).

Study A ("English is Not All You Need", ``config/paper.yaml``; docs/study.md). Every mixture adds
languages on top of the source language's data; each language contributes the same N parallel
items, so a mixture of k languages has k·N examples:

=====================  =======================================================  ===================
family                 languages                                                name
=====================  =======================================================  ===================
english_only           the source language                                      ``en``
en_plus_one            source + x, for each core x (or ``languages``)            ``en-es``
leave_one_out          core minus x, for each core x (or ``languages``)          ``core-minus-ja``
core                   every core language                                      ``core``
leave_one_out_plus     core minus x, plus ``extras`` (a list, or ``all``)        ``core-minus-ja+fr-th``,
                                                                                ``core-minus-ja+extras``
all                    every trainable (core and extra) language                ``all10``
explicit               ``languages``, named ``name``                            as given
=====================  =======================================================  ===================

Study B ("Getting More from Less", ``study: spontaneous``; docs/study-b.md). A mixture's languages
are those whose task questions are translated into its *target*: the pivot (``source_language``,
English) unless the entry sets ``target`` (the authors' X→zh sets: ``target: zh``). Each language
contributes ``tasks.<task>.qt_pairs_per_language`` question-translation pairs; ``tasks`` restricts
the tasks a family's mixtures are tuned on (default: every task; the authors published some
conditions for Amazon only):

=========  ========================================================  ==========================
family     tuned on question translation from                         names
=========  ========================================================  ==========================
pretrained nothing: the untuned base model, evaluated as it is        ``pretrained``
single     one language, for each of ``languages``                   ``zh``, ``sw``, ...
pair       two languages together, for each of ``pairs``              ``zh-de``, ``hi-sw``, ...
set        every language of ``languages`` together                   ``zh-de-it``
=========  ========================================================  ==========================

Languages inside a mixture always follow the config's language order, so names are stable. A
study B mixture is named by its *directions* (:func:`direction_name`) joined by ``-``: a language
translated into the pivot by its code (``zh``), into another target by ``<code>2<target>``
(``en2zh``, the authors' own spelling in their file names; a language code has no digit, so the
``2`` cannot be misread, and the name is safe in paths and wildcards): ``zh-de``, ``en2zh-ja2zh``.
``pretrained`` is reserved for the untouched base model: study A evaluates it without listing it,
study B lists it as a family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import ConfigError

PRETRAINED = "pretrained"
#: The two studies whose configs the grammar reads (a config's ``study`` key; study A's has none).
MULTILINGUAL, SPONTANEOUS = "multilingual", "spontaneous"


@dataclass(frozen=True)
class Mixture:
    name: str
    family: str
    languages: tuple[str, ...]  # config order; () for the untuned base model
    left_out: str | None = None  # study A: the core language a leave-one-out family excludes
    target: str | None = None  # study B: the language the questions are translated into; None in study A
    tasks: tuple[str, ...] | None = None  # study B: the tasks it is tuned on; None: every task
    directions: tuple[str, ...] = ()  # study B: each language's direction (direction_name), in order

    @property
    def size(self) -> int:
        return len(self.languages)


#: What one family entry expands to: ``(key of the mixture in the config, mixture)`` pairs.
Expander = Callable[[dict, dict, str, str], Iterator[tuple[str, Mixture]]]


@dataclass(frozen=True)
class Family:
    """A family of the grammar: the study whose configs use it and what an entry expands to."""

    study: str
    expand: Expander


def direction_name(lang: str, target: str, pivot: str) -> str:
    """The name of question translation from ``lang`` into ``target``: ``lang`` when the target is
    the pivot (``zh``: Chinese questions, English answers), else ``<lang>2<target>`` (``en2zh``)."""
    return lang if target == pivot else f"{lang}2{target}"


def parse_direction(name: str, pivot: str) -> tuple[str, str]:
    """``(language, target)`` of a :func:`direction_name`."""
    lang, _, target = name.partition("2")
    return lang, target or pivot


# --------------------------------------------------------------------------- #
# Languages
# --------------------------------------------------------------------------- #
def _by_role(config: dict, *roles: str) -> list[str]:
    return [code for code, spec in config["languages"].items() if spec["role"] in roles]


def _ordered(config: dict, langs) -> tuple[str, ...]:
    wanted = set(langs)
    return tuple(code for code in config["languages"] if code in wanted)


def _check_languages(config: dict, langs, key: str, source: str, study: str = MULTILINGUAL,
                     target: str | None = None) -> None:
    """Every language of ``langs`` is configured and may be trained on: not eval-only (study A),
    not the target its questions are translated into (study B: the pivot by default)."""
    for code in langs:
        if code not in config["languages"]:
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is not in 'languages' ({', '.join(config['languages'])})"
            )
        if (config["languages"][code] or {}).get("role") == "eval":
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is eval-only (role: eval) and cannot be in a training mixture"
            )
        if study == SPONTANEOUS and code == target:
            what = "the pivot language" if target == config["source_language"] else "the mixture's target"
            raise ConfigError(f"{source}: key '{key}': '{code}' is {what}; a mixture names the "
                              "languages translated into it")


# --------------------------------------------------------------------------- #
# Study A's families
# --------------------------------------------------------------------------- #
def _study_a_entry(config: dict, entry: dict, key: str, source: str) -> None:
    """The keys a study A entry gives are the ones its family takes."""
    family = entry.get("family", "explicit")
    if entry.get("languages") is not None:
        _check_languages(config, entry["languages"], f"{key}/languages", source)
    if entry.get("extras") is not None and family != "leave_one_out_plus":
        raise ConfigError(f"{source}: key '{key}/extras': only the leave_one_out_plus family takes extras")
    if family != "explicit" and "name" in entry:
        raise ConfigError(f"{source}: key '{key}/name': only explicit mixtures take a name (family '{family}' names its own)")


def _english_only(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    src = config["source_language"]
    yield key, Mixture(src, "english_only", (src,))


def _en_plus_one(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    src, given = config["source_language"], entry.get("languages")
    others = given if given is not None else [c for c in _by_role(config, "core") if c != src]
    for x in _ordered(config, others):
        if x != src:
            yield key, Mixture(f"{src}-{x}", "en_plus_one", _ordered(config, [src, x]))


def _core(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    yield key, Mixture("core", "core", _ordered(config, _by_role(config, "core")))


def _all(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    langs = _ordered(config, _by_role(config, "core", "extra"))
    yield key, Mixture(f"all{len(langs)}", "all", langs)


def _leave_one_out(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    family, core, given = entry.get("family", "explicit"), _by_role(config, "core"), entry.get("languages")
    left_out = _ordered(config, given if given is not None else core)
    bad = [x for x in left_out if x not in core]
    if bad:
        raise ConfigError(f"{source}: key '{key}/languages': {bad} are not core languages, so they cannot be left out")
    suffix, extras = "", []
    if family == "leave_one_out_plus":
        extras_spec = entry.get("extras")
        if extras_spec is None:
            raise ConfigError(f"{source}: key '{key}/extras': required for family leave_one_out_plus")
        if extras_spec == "all":
            extras, suffix = _by_role(config, "extra"), "+extras"
        else:
            _check_languages(config, extras_spec, f"{key}/extras", source)
            extras = list(_ordered(config, extras_spec))
            suffix = "+" + "-".join(extras)
        if not extras or set(extras) & set(core):
            raise ConfigError(f"{source}: key '{key}/extras': must name one or more non-core training languages")
    for x in left_out:
        yield key, Mixture(f"core-minus-{x}{suffix}", family, _ordered(config, [c for c in core if c != x] + extras),
                           left_out=x)


def _explicit(config, entry, key, source):
    _study_a_entry(config, entry, key, source)
    if "name" not in entry or entry.get("languages") is None:
        raise ConfigError(f"{source}: key '{key}': an explicit mixture needs 'name' and 'languages'")
    yield key, Mixture(entry["name"], "explicit", _ordered(config, entry["languages"]))


# --------------------------------------------------------------------------- #
# Study B's families
# --------------------------------------------------------------------------- #
#: The language keys each study B family takes (the others take none).
_STUDY_B_KEYS = {"pretrained": set(), "single": {"languages"}, "pair": {"pairs"}, "set": {"languages"}}


@dataclass(frozen=True)
class _Entry:
    """What every mixture of one study B entry shares."""

    family: str
    target: str
    tasks: tuple[str, ...] | None


def _translation(entry: _Entry, config: dict, langs, key: str, source: str) -> tuple[str, Mixture]:
    """One study B mixture of question translation from ``langs`` into the entry's target."""
    _check_languages(config, langs, key, source, SPONTANEOUS, entry.target)
    ordered = _ordered(config, langs)
    if len(ordered) != len(langs):
        raise ConfigError(f"{source}: key '{key}': a language is named twice in {list(langs)}")
    directions = tuple(direction_name(x, entry.target, config["source_language"]) for x in ordered)
    return key, Mixture("-".join(directions) if ordered else PRETRAINED, entry.family, ordered,
                        target=entry.target if ordered else None, tasks=entry.tasks, directions=directions)


def _study_b_entry(config: dict, entry: dict, key: str, source: str) -> _Entry:
    family, pivot = entry["family"], config["source_language"]
    given, wanted = {k for k in ("languages", "pairs") if k in entry}, _STUDY_B_KEYS[family]
    if given != wanted:
        raise ConfigError(f"{source}: key '{key}': family '{family}' takes "
                          f"{' and '.join(sorted(wanted)) or 'no languages'}, got {sorted(given) or 'none'}")
    if family == "pretrained":
        extra = [k for k in ("target", "tasks") if k in entry]
        if extra:
            raise ConfigError(f"{source}: key '{key}/{extra[0]}': the pretrained model takes no {extra[0]}: it is "
                              "evaluated on every task, untuned")
    target = entry.get("target", pivot)
    if target not in config["languages"]:
        raise ConfigError(f"{source}: key '{key}/target': language '{target}' is not in 'languages' "
                          f"({', '.join(config['languages'])})")
    tasks = entry.get("tasks")
    for j, task in enumerate(tasks or ()):
        if task not in config["tasks"]:
            raise ConfigError(f"{source}: key '{key}/tasks/{j}': task '{task}' is not in 'tasks' "
                              f"({', '.join(config['tasks'])})")
    return _Entry(family, target, tuple(t for t in config["tasks"] if t in tasks) if tasks is not None else None)


def _pretrained(config, entry, key, source):
    yield _translation(_study_b_entry(config, entry, key, source), config, (), key, source)


def _single(config, entry, key, source):
    spec = _study_b_entry(config, entry, key, source)
    for j, lang in enumerate(entry["languages"]):
        yield _translation(spec, config, (lang,), f"{key}/languages/{j}", source)


def _pair(config, entry, key, source):
    spec = _study_b_entry(config, entry, key, source)
    for j, pair in enumerate(entry["pairs"]):
        yield _translation(spec, config, tuple(pair), f"{key}/pairs/{j}", source)


def _set(config, entry, key, source):
    spec = _study_b_entry(config, entry, key, source)
    yield _translation(spec, config, tuple(entry["languages"]), f"{key}/languages", source)


#: Every family of the grammar, by the name a config's ``family`` key gives.
FAMILIES: dict[str, Family] = {
    "english_only": Family(MULTILINGUAL, _english_only),
    "en_plus_one": Family(MULTILINGUAL, _en_plus_one),
    "leave_one_out": Family(MULTILINGUAL, _leave_one_out),
    "core": Family(MULTILINGUAL, _core),
    "leave_one_out_plus": Family(MULTILINGUAL, _leave_one_out),
    "all": Family(MULTILINGUAL, _all),
    "explicit": Family(MULTILINGUAL, _explicit),
    "pretrained": Family(SPONTANEOUS, _pretrained),
    "single": Family(SPONTANEOUS, _single),
    "pair": Family(SPONTANEOUS, _pair),
    "set": Family(SPONTANEOUS, _set),
}


def families(study: str) -> list[str]:
    """The names of the families a ``study`` config may use (what its schema enumerates)."""
    return [name for name, fam in FAMILIES.items() if fam.study == study]


# --------------------------------------------------------------------------- #
# The grammar
# --------------------------------------------------------------------------- #
def expand(config: dict, source: str = "config") -> list[Mixture]:
    """All mixtures of a config, in config order (study B's ``pretrained`` where it is listed);
    names are unique. ConfigError names the file and the key. (Which study's families a config may
    use is its schema's check.)"""
    result: list[Mixture] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(config["mixtures"]):
        key, family = f"mixtures/{i}", entry.get("family", "explicit")
        spec = FAMILIES.get(family)
        if spec is None:  # the schema prevents this
            raise ConfigError(f"{source}: key '{key}/family': unknown family '{family}' ({', '.join(FAMILIES)})")
        for mix_key, mix in spec.expand(config, entry, key, source):
            if mix.name == PRETRAINED and family != "pretrained":
                raise ConfigError(f"{source}: key '{mix_key}': the name '{PRETRAINED}' is reserved for the base model")
            if mix.name in seen:
                raise ConfigError(f"{source}: key '{mix_key}': mixture '{mix.name}' is defined twice "
                                  f"(also produced by {seen[mix.name]})")
            seen[mix.name] = mix_key
            result.append(mix)
    return result


def by_name(config: dict, source: str = "config") -> dict[str, Mixture]:
    return {m.name: m for m in expand(config, source)}


def tuned_on(mixture: Mixture, task: str) -> bool:
    """Whether ``mixture`` is trained on ``task`` (study B's ``tasks``; study A's on every task)."""
    return mixture.tasks is None or task in mixture.tasks


def training_languages(config: dict) -> list[str]:
    """Languages that appear in at least one mixture (these need translated training data), in
    config order."""
    used = {lang for m in expand(config) for lang in m.languages}
    return [code for code in config["languages"] if code in used]
