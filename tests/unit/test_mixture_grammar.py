"""The mixture grammar expands the paper config to exactly the 22 mixtures of the study (docs/study.md)."""

from mlpt import mixture_grammar

CORE = ("en", "es", "ja", "bn", "sw")


def test_paper_expands_to_the_22_mixtures(paper_config):
    mixes = mixture_grammar.by_name(paper_config)
    assert len(mixes) == 22
    expected = {"en": ("en",), "en-es": ("en", "es"), "en-ja": ("en", "ja"), "en-bn": ("en", "bn"),
                "en-sw": ("en", "sw"), "core": CORE,
                "all10": ("en", "es", "ja", "bn", "sw", "fr", "de", "ru", "zh", "th")}
    for x in CORE:
        rest = tuple(c for c in CORE if c != x)
        expected[f"core-minus-{x}"] = rest
        expected[f"core-minus-{x}+fr-th"] = rest + ("fr", "th")
        expected[f"core-minus-{x}+extras"] = rest + ("fr", "de", "ru", "zh", "th")
    assert {name: m.languages for name, m in mixes.items()} == expected


def test_family_sizes_and_left_out(paper_config):
    mixes = mixture_grammar.expand(paper_config)
    sizes = sorted(m.size for m in mixes)
    assert sizes == [1] + [2] * 4 + [4] * 5 + [5] + [6] * 5 + [9] * 5 + [10]
    loo = [m for m in mixes if m.family.startswith("leave_one_out")]
    assert all(m.left_out not in m.languages for m in loo)
    assert {m.left_out for m in loo} == set(CORE)


def test_no_mixture_trains_on_eval_only_languages(paper_config):
    assert all("te" not in m.languages for m in mixture_grammar.expand(paper_config))


def test_languages_follow_config_order(paper_config):
    paper_config["mixtures"] = [{"name": "mix", "languages": ["sw", "en", "fr"]}]
    assert mixture_grammar.expand(paper_config)[0].languages == ("en", "sw", "fr")


def test_demo_exercises_each_kind(demo_config):
    fams = {m.family for m in mixture_grammar.expand(demo_config)}
    assert {"english_only", "en_plus_one", "leave_one_out"} <= fams


def test_training_languages(paper_config, demo_config):
    assert mixture_grammar.training_languages(paper_config) == ["en", "es", "ja", "bn", "sw", "fr", "de", "ru", "zh", "th"]
    assert mixture_grammar.training_languages(demo_config) == ["en", "es", "ja", "bn", "sw"]


def test_each_study_schema_enumerates_the_families_of_the_one_table():
    """One family table for both studies; each study's schema accepts exactly its own families."""
    from mlpt import schema

    def enum(name):
        return schema.load_schema(name)["properties"]["mixtures"]["items"]["properties"]["family"]["enum"]

    assert enum("config") == mixture_grammar.families(mixture_grammar.MULTILINGUAL)
    assert enum("spontaneous") == mixture_grammar.families(mixture_grammar.SPONTANEOUS)
    assert set(mixture_grammar.FAMILIES) == set(enum("config")) | set(enum("spontaneous"))


def test_the_grammar_expands_study_b_too(spontaneous_config):
    mixes = mixture_grammar.expand(spontaneous_config)
    assert mixes[0] == mixture_grammar.Mixture("pretrained", "pretrained", ())
    assert {m.family for m in mixes} == {"pretrained", "single", "pair", "set"}
    mix = mixture_grammar.by_name(spontaneous_config)
    assert mix["hi-sw"].languages == ("hi", "sw") and mix["hi-sw"].target == "en"  # config order; the pivot
    assert mix["hi-sw"].tasks is None and mix["ja"].tasks == ("amazon",) and mix["bn"].tasks == ("amazon", "snli")
    # a target other than the pivot: each language named <code>2<target>
    assert mix["en2zh-ja2zh"] == mixture_grammar.Mixture("en2zh-ja2zh", "pair", ("en", "ja"), target="zh",
                                                         tasks=("amazon",), directions=("en2zh", "ja2zh"))
    assert mixture_grammar.parse_direction("en2zh", "en") == ("en", "zh")
    assert mixture_grammar.parse_direction("zh", "en") == ("zh", "en")
    assert mixture_grammar.training_languages(spontaneous_config) == [
        "en", "zh", "de", "es", "it", "ja", "ru", "sv", "hi", "th", "sw", "bn"]
