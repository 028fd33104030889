"""The mixture grammar: training-language sets expanded from config families.

Every mixture adds languages on top of the source language's data; each language contributes the
same N parallel items, so a mixture of k languages has k·N examples. Families (docs/study.md):

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

Languages inside a mixture always follow the config's language order, so names are stable.
``pretrained`` is reserved: it is the untouched base model, evaluated without SFT.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

PRETRAINED = "pretrained"


@dataclass(frozen=True)
class Mixture:
    name: str
    family: str
    languages: tuple[str, ...]
    left_out: str | None = None  # the core language a leave-one-out family excludes

    @property
    def size(self) -> int:
        return len(self.languages)


def _by_role(config: dict, *roles: str) -> list[str]:
    return [code for code, spec in config["languages"].items() if spec["role"] in roles]


def _ordered(config: dict, langs) -> tuple[str, ...]:
    wanted = set(langs)
    return tuple(code for code in config["languages"] if code in wanted)


def _check_languages(config: dict, langs, key: str, source: str) -> None:
    for code in langs:
        spec = config["languages"].get(code)
        if spec is None:
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is not in 'languages' ({', '.join(config['languages'])})"
            )
        if spec["role"] == "eval":
            raise ConfigError(
                f"{source}: key '{key}': language '{code}' is eval-only (role: eval) and cannot be in a training mixture"
            )


def _expand_family(config: dict, entry: dict, key: str, source: str) -> list[Mixture]:
    family = entry.get("family", "explicit")
    src = config["source_language"]
    core = _by_role(config, "core")
    given = entry.get("languages")
    if given is not None:
        _check_languages(config, given, f"{key}/languages", source)
    extras_spec = entry.get("extras")
    if extras_spec is not None and family != "leave_one_out_plus":
        raise ConfigError(f"{source}: key '{key}/extras': only the leave_one_out_plus family takes extras")
    if family != "explicit" and "name" in entry:
        raise ConfigError(f"{source}: key '{key}/name': only explicit mixtures take a name (family '{family}' names its own)")

    if family == "english_only":
        return [Mixture(src, family, (src,))]
    if family == "en_plus_one":
        others = given if given is not None else [c for c in core if c != src]
        return [Mixture(f"{src}-{x}", family, _ordered(config, [src, x])) for x in _ordered(config, others) if x != src]
    if family == "core":
        return [Mixture("core", family, _ordered(config, core))]
    if family == "all":
        langs = _ordered(config, _by_role(config, "core", "extra"))
        return [Mixture(f"all{len(langs)}", family, langs)]
    if family in ("leave_one_out", "leave_one_out_plus"):
        left_out = _ordered(config, given if given is not None else core)
        bad = [x for x in left_out if x not in core]
        if bad:
            raise ConfigError(f"{source}: key '{key}/languages': {bad} are not core languages, so they cannot be left out")
        suffix, extras = "", []
        if family == "leave_one_out_plus":
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
        return [
            Mixture(f"core-minus-{x}{suffix}", family, _ordered(config, [c for c in core if c != x] + extras), left_out=x)
            for x in left_out
        ]
    if family == "explicit":
        if "name" not in entry or given is None:
            raise ConfigError(f"{source}: key '{key}': an explicit mixture needs 'name' and 'languages'")
        return [Mixture(entry["name"], family, _ordered(config, given))]
    raise ConfigError(f"{source}: key '{key}/family': unknown family '{family}'")  # schema prevents this


def expand(config: dict, source: str = "config") -> list[Mixture]:
    """All training mixtures of a config, in config order; names are unique."""
    result: list[Mixture] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(config["mixtures"]):
        key = f"mixtures/{i}"
        for mix in _expand_family(config, entry, key, source):
            if mix.name == PRETRAINED:
                raise ConfigError(f"{source}: key '{key}': the name '{PRETRAINED}' is reserved for the base model")
            if mix.name in seen:
                raise ConfigError(f"{source}: key '{key}': mixture '{mix.name}' is also produced by {seen[mix.name]}")
            seen[mix.name] = key
            result.append(mix)
    return result


def by_name(config: dict) -> dict[str, Mixture]:
    return {m.name: m for m in expand(config)}


def training_languages(config: dict) -> list[str]:
    """Languages that appear in at least one mixture (these need translated training data)."""
    used = {lang for m in expand(config) for lang in m.languages}
    return [code for code in config["languages"] if code in used]
