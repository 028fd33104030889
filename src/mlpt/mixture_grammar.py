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
are those whose task questions are translated into the pivot (``source_language``, English); each
contributes ``tasks.<task>.qt_pairs_per_language`` question-translation pairs:

=========  ========================================================  ==========================
family     tuned on question translation from                         names
=========  ========================================================  ==========================
pretrained nothing: the untuned base model, evaluated as it is        ``pretrained``
single     one language, for each of ``languages``                   ``zh``, ``sw``, ...
pair       two languages together, for each of ``pairs``              ``zh-de``, ``hi-sw``, ...
set        every language of ``languages`` together                   ``zh-de-it``
=========  ========================================================  ==========================

Languages inside a mixture always follow the config's language order, so names are stable.
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


# --------------------------------------------------------------------------- #
# Languages
# --------------------------------------------------------------------------- #
def _by_role(config: dict, *roles: str) -> list[str]:
    return [code for code, spec in config["languages"].items() if spec["role"] in roles]


def _ordered(config: dict, langs) -> tuple[str, ...]:
    wanted = set(langs)
    return tuple(code for code in config["languages"] if code in wanted)


def _check_languages(config: dict, langs, key: str, source: str, study: str = MULTILINGUAL) -> None:
    """Every language of ``langs`` is configured and may be trained on: not eval-only (study A),
    not the pivot the questions are translated into (study B)."""
    for code in langs:
        if code not in config["languages"]:
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is not in 'languages' ({', '.join(config['languages'])})"
            )
        if (config["languages"][code] or {}).get("role") == "eval":
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is eval-only (role: eval) and cannot be in a training mixture"
            )
        if study == SPONTANEOUS and code == config["source_language"]:
            raise ConfigError(f"{source}: key '{key}': '{code}' is the pivot language; a mixture names the "
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


def _translation(family: str, config: dict, langs, key: str, source: str) -> tuple[str, Mixture]:
    """One study B mixture of question translation from ``langs``."""
    _check_languages(config, langs, key, source, SPONTANEOUS)
    ordered = _ordered(config, langs)
    if len(ordered) != len(langs):
        raise ConfigError(f"{source}: key '{key}': a language is named twice in {list(langs)}")
    return key, Mixture("-".join(ordered) if ordered else PRETRAINED, family, ordered)


def _study_b_entry(config: dict, entry: dict, key: str, source: str) -> str:
    family = entry["family"]
    given, wanted = {k for k in ("languages", "pairs") if k in entry}, _STUDY_B_KEYS[family]
    if given != wanted:
        raise ConfigError(f"{source}: key '{key}': family '{family}' takes "
                          f"{' and '.join(sorted(wanted)) or 'no languages'}, got {sorted(given) or 'none'}")
    return family


def _pretrained(config, entry, key, source):
    yield _translation(_study_b_entry(config, entry, key, source), config, (), key, source)


def _single(config, entry, key, source):
    family = _study_b_entry(config, entry, key, source)
    for j, lang in enumerate(entry["languages"]):
        yield _translation(family, config, (lang,), f"{key}/languages/{j}", source)


def _pair(config, entry, key, source):
    family = _study_b_entry(config, entry, key, source)
    for j, pair in enumerate(entry["pairs"]):
        yield _translation(family, config, tuple(pair), f"{key}/pairs/{j}", source)


def _set(config, entry, key, source):
    family = _study_b_entry(config, entry, key, source)
    yield _translation(family, config, tuple(entry["languages"]), f"{key}/languages", source)


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


def training_languages(config: dict) -> list[str]:
    """Languages that appear in at least one mixture (these need translated training data), in
    config order."""
    used = {lang for m in expand(config) for lang in m.languages}
    return [code for code in config["languages"] if code in used]
