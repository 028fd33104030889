"""The error every configuration problem raises (a module of its own, imported by every module that
checks part of a config, so none of them needs :mod:`mlpt.config` and its imports)."""


class ConfigError(ValueError):
    """A configuration problem, with the key path that causes it."""
