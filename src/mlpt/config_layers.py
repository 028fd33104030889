"""Layered config files: a config may extend another and hold only its differences.

A config file whose top level has ``extends: <file>`` (a path relative to the file, e.g.
``extends: paper.yaml`` in ``config/paper-offline.yaml``) is that base file with its own keys laid
over it: mappings are merged key by key, and a list or any other value replaces the base's value
whole (so a list is always written out in full, and an overlay cannot remove a key of its base).
A base may extend another in turn; a circle is an error. ``extends`` itself is not part of the
resulting config.

Every file of a chain is read by the strict loader (:mod:`mlpt.yaml_files`), and every error
names the file it comes from: an unreadable base or a bad ``extends`` names the file that says
it; an error :mod:`mlpt.config` finds in the merged config names the file that gives the key
(:meth:`Layers.locate`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .yaml_files import load_yaml

#: The top-level key that names a config's base file.
EXTENDS = "extends"

_ABSENT = object()


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` laid over ``base`` (a new dict): mappings merged key by key, anything else replaced."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class Layers:
    """The files of a config's chain, bases first, each with its own keys (``extends`` removed);
    the last ``tops`` are the files given (several where Snakemake was given several), the others
    their bases."""

    layers: tuple[tuple[Path, dict], ...]
    tops: int = 1

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(path for path, _ in self.layers)

    @property
    def bases(self) -> tuple[Path, ...]:
        return self.files[: len(self.layers) - self.tops]

    @property
    def given(self) -> str:
        """The files given, as errors name them."""
        return " + ".join(map(str, self.files[len(self.bases):]))

    @property
    def config(self) -> dict:
        """The merged config: every layer over the ones before it."""
        (_, merged), *over = self.layers
        merged = copy.deepcopy(merged)
        for _, own in over:
            merged = deep_merge(merged, own)
        return merged

    @property
    def source(self) -> str:
        """The chain, as errors name it: ``config/paper-offline.yaml (extends config/paper.yaml)``."""
        bases = " -> ".join(map(str, reversed(self.bases)))
        return f"{self.given} (extends {bases})" if bases else self.given

    def origin(self, key: tuple[str, ...]) -> Path | None:
        """The one file that gives the value at ``key`` (a key path), or None: no file gives it, or
        it is a mapping that several files add keys to."""
        givers = []
        for path, own in reversed(self.layers):
            node = own
            for part in key:
                if not isinstance(node, dict):
                    break  # a list or value that holds the key, given whole
                node = node.get(part, _ABSENT)
            if node is _ABSENT:
                continue
            givers.append(path)
            if not isinstance(node, dict):  # given whole here: the files beneath do not count
                break
        return givers[0] if len(givers) == 1 else None

    def locate(self, err: ConfigError, source: str) -> ConfigError:
        """``err`` (raised for ``source``) naming the file of the chain that gives its key, where one does."""
        match = re.match(rf"{re.escape(source)}: key '([^']*)'", str(err))
        path = self.origin(tuple(match.group(1).split("/"))) if match else None
        if path is None:
            return err
        named = f"{path} (a base of {self.given})" if path in self.bases else str(path)
        return ConfigError(named + str(err)[len(source):])


def read(path: str | Path) -> Layers:
    """The chain of the config file ``path``: the file and, through ``extends``, its bases."""
    chain: list[tuple[Path, dict]] = []  # the file first, then its base, the base's base, ...
    path = Path(path)
    while True:
        if any(path.resolve() == seen.resolve() for seen, _ in chain):
            circle = " -> ".join(str(p) for p in [*(seen for seen, _ in chain), path])
            raise ConfigError(f"{chain[-1][0]}: key '{EXTENDS}': the chain of bases is a circle ({circle})")
        own = load_yaml(path)
        if chain and not isinstance(own, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level (the base of {chain[-1][0]})")
        if not isinstance(own, dict) or EXTENDS not in own:
            chain.append((path, own))
            return Layers(tuple(reversed(chain)))
        base = own.pop(EXTENDS)
        chain.append((path, own))
        if not isinstance(base, str) or not base.strip():
            raise ConfigError(f"{path}: key '{EXTENDS}': expected the base config's file name, got {base!r}")
        base_path = path.parent / base
        if not base_path.is_file():
            raise ConfigError(f"{path}: key '{EXTENDS}': base config {base_path} not found (a path relative to {path})")
        path = base_path
