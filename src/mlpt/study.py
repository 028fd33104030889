"""The study a validated config describes, as the workflow plans it: one interface for both studies.

Study A ("English is Not All You Need", ``config/paper.yaml``; no ``study`` key) trains on
*mixtures* of translated task data; study B ("Getting More from Less", ``study: spontaneous``) on
mixtures of question-translation pairs. One grammar expands both (:mod:`mlpt.mixture_grammar`). Both name a training set a *mixture* (the ``{mixture}`` slot of
the path scheme, :mod:`mlpt.paths`) and the untuned base model, evaluated as it is,
``pretrained``. The Snakefile reads everything it plans from a :class:`Study`: which rules are
active, the mixtures, the runs it trains and evaluates, and the final tables and figures.
"""

from __future__ import annotations

from . import mixture_grammar

#: The two studies, by the value of a config's ``study`` key (study A's configs give none).
MULTILINGUAL = "multilingual"
SPONTANEOUS = "spontaneous"
#: The untuned base model, evaluated as it is: its name in the ``{mixture}`` slot.
PRETRAINED = mixture_grammar.PRETRAINED

#: Study A's final tables and figures (path names, mlpt.paths); the control task's are added per run.
_CONTROL_TABLES = ("bilingual_changes", "median_changes", "table2", "table2_tex", "table3", "table3_tex",
                   "ttests", "zs_cases", "zs_shares", "zs_shares_tex", "headlines", "headlines_tex")
_MULTILINGUAL_TABLES = ("accuracy", "table1", "table1_tex", "table2", "table2_tex", "table3", "table3_tex",
                        "ttests", "zs_cases", "zs_shares", "zs_shares_tex", "headlines", "headlines_tex",
                        "table4", "table4_tex", "translation_qc_table", "mt_quality", "benchmark_table")
_MULTILINGUAL_FIGURES = ("fig2", "fig2_by_exposure", "fig3", "fig4", "fig7", "fig8", "fig9", "extra_languages",
                         "training_curves")
_SPONTANEOUS_TABLES = ("accuracy", "sp_qt_validation", "sp_mixtures", "sp_mixtures_tex", "sp_label_control",
                       "sp_label_control_tex", "sp_lens_table", "sp_pca_table")
_SPONTANEOUS_FIGURES = ("sp_mixtures_fig", "sp_label_control_fig", "sp_lens_fig", "sp_pca_fig", "training_curves")


class Study:
    """What the workflow plans for a validated ``config`` (:func:`mlpt.config.validate`)."""

    def __init__(self, config: dict):
        self.config = config
        self.name = config.get("study", MULTILINGUAL)
        self.models = list(config["models"])
        self.tasks = list(config["tasks"])
        self.languages = list(config["languages"])
        everything = mixture_grammar.by_name(config)
        #: the trained mixtures by name, in config order
        self.mixtures = {name: m for name, m in everything.items() if name != PRETRAINED}
        #: every evaluated mixture, in config order: study B's pretrained model where its config lists
        #: it, study A's always first
        self.evaluated = list(everything) if self.name == SPONTANEOUS else [PRETRAINED, *self.mixtures]
        self.pretrained = PRETRAINED
        #: (model, task, mixture) of every training run, and of every evaluated checkpoint
        #: (study B: each mixture on the tasks it is tuned on, mixture_grammar.tuned_on)
        self.sft_runs = [(m, t, x) for m in self.models for t in self.tasks for x in self.mixtures
                         if mixture_grammar.tuned_on(self.mixtures[x], t)]
        self.evaluations = [(m, t, x) for m in self.models for t in self.tasks for x in self.evaluated
                            if x == PRETRAINED or mixture_grammar.tuned_on(self.mixtures[x], t)]

    def is_activated(self, study: str) -> bool:
        """Whether the rules of ``study`` (MULTILINGUAL or SPONTANEOUS) are this run's."""
        return self.name == study

    def mixture_languages(self) -> dict[str, list[str]]:
        """The languages each trained mixture tunes on, by mixture name (study B: its question
        languages, and its target where that is not the pivot: the model learns to write it)."""
        pivot = self.config["source_language"]
        return {name: list(m.languages) + ([m.target] if m.target not in (None, pivot) else [])
                for name, m in self.mixtures.items()}

    def control_tasks(self) -> list[str]:
        """Study A's positive-control tasks (tasks.<task>.positive_control); none in study B."""
        if self.name == SPONTANEOUS:
            return []
        return [t for t in self.tasks if self.config["tasks"][t]["positive_control"]]

    def final_tables(self) -> list[str]:
        """Path names (mlpt.paths) of every final table, in the order of the paper."""
        if self.name == SPONTANEOUS:
            return list(_SPONTANEOUS_TABLES)
        control = [f"control_{name}" for name in _CONTROL_TABLES] if self.control_tasks() else []
        return [*_MULTILINGUAL_TABLES, *control]

    def final_figures(self) -> list[str]:
        """Path names of every final figure (each also written as ``<name>_png``)."""
        return list(_SPONTANEOUS_FIGURES if self.name == SPONTANEOUS else _MULTILINGUAL_FIGURES)

    def final_outputs(self) -> list[str]:
        """Path names of every final table and figure, each figure as PDF and PNG (rule all)."""
        return [*self.final_tables(), *(f for name in self.final_figures() for f in (name, f"{name}_png"))]

    def paper_tex(self) -> str:
        """The LaTeX document of the study's paper build (rule build_paper)."""
        return "paper/spontaneous.tex" if self.name == SPONTANEOUS else "paper/main.tex"
