"""The tables of mlpt.analysis beyond the accuracy table: Table 1's language facts, Table 4's APIs,
the per-item scores the zero-shot vs direct tests read, the LaTeX forms of Tables 2 and 3 and of
the zero-shot shares, and the positive control's labelled overview."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fixtures import make_accuracy_fixture as FIX  # tests/ is on sys.path (conftest.py)
from fixtures import make_samples_fixture as SAMPLES
from mlpt import analysis, data, io, languages, stats

FIXTURES = Path(__file__).parents[1] / "fixtures"
CORE = ["en", "es", "ja", "bn", "sw"]
# ISO 15924 code (the suffix of a FLORES-200 code such as eng_Latn) -> the script named in Table 1
SCRIPT_OF_CODE = {"Latn": "Latin", "Jpan": "Japanese (kanji and kana)", "Beng": "Bengali", "Telu": "Telugu",
                  "Cyrl": "Cyrillic", "Hans": "Han (simplified)", "Thai": "Thai"}


# ------------------------------------------------------------------------------------------------
# Table 1


def test_table1_has_family_subfamily_and_script_of_every_language(paper_config):
    origins = {"math": {code: "human" for code in paper_config["languages"]}}
    table = analysis.table1_languages(paper_config["languages"], origins, languages.SHIPPED_TABLE).set_index("code")
    assert list(table.columns) == ["language", "family", "subfamily", "script", "resource", "role", "test_set_math"]
    assert table.loc["en", ["family", "subfamily", "script"]].tolist() == ["Indo-European", "Germanic", "Latin"]
    assert table.loc["te", ["family", "subfamily", "script"]].tolist() == ["Dravidian", "South-Central Dravidian",
                                                                            "Telugu"]
    assert table.loc["sw", "family"] == "Niger-Congo" and table.loc["ja", "family"] == "Japonic"
    # the script agrees with the config's FLORES-200 code of each language
    for code, spec in paper_config["languages"].items():
        assert table.loc[code, "script"] == SCRIPT_OF_CODE[spec["nllb"].split("_")[-1]], code


def test_table1_names_the_file_and_key_of_a_missing_fact(tmp_path, paper_config):
    phrases = yaml.safe_load(languages.SHIPPED_TABLE.read_text(encoding="utf-8"))
    del phrases["languages"]["sw"]["subfamily"]
    path = tmp_path / "phrases.yaml"
    path.write_text(yaml.safe_dump(phrases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"phrases.yaml: key 'languages/sw/subfamily'"):
        analysis.table1_languages(paper_config["languages"], {}, path)


# ------------------------------------------------------------------------------------------------
# Table 4


def _records(tmp_path: Path, lang: str, calls: dict[str, list[str]]) -> str:
    recs = [{"id": f"{split}-{i}", "task": "api", "lang": lang, "split": split, "question": "q" * 10,
             "call": call, "answer": call}
            for split, split_calls in calls.items() for i, call in enumerate(split_calls)]
    path = tmp_path / f"{lang}.jsonl"
    io.write_jsonl(path, recs)
    return str(path)


def test_table4_counts_the_apis_of_the_gold_calls(tmp_path):
    calls = {"train": ["B(x='1')", "A(y='2')", "B(x='3')", "C()", "A(y='4')", "B(z='5')"],
             "test": ["D(q='1')", "D(q='2')"]}
    files = {"api": {"en": _records(tmp_path, "en", calls), "es": _records(tmp_path, "es", calls)},
             "math": {"en": _math_records(tmp_path)}}
    tasks = {"api": {"kind": "api_call", "label": "API-Bank"}, "math": {"kind": "math", "label": "MGSM"}}
    table = analysis.table4_datasets(files, tasks).set_index(["task", "split"])
    assert table.loc[("API-Bank", "train"), "apis"] == 3
    assert table.loc[("API-Bank", "train"), "example_apis"] == "B, A, C"  # by frequency, then name
    assert table.loc[("API-Bank", "test"), ["apis", "example_apis"]].tolist() == [1, "D"]
    assert table.loc[("API-Bank", "train"), "items_per_language"] == 6
    assert pd.isna(table.loc[("MGSM", "train"), "apis"]) and pd.isna(table.loc[("MGSM", "train"), "example_apis"])


def _math_records(tmp_path: Path) -> str:
    path = tmp_path / "math-en.jsonl"
    io.write_jsonl(path, [{"id": "m1", "task": "math", "lang": "en", "split": "train", "question": "1+1?",
                           "answer": "2"}])
    return str(path)


def test_table4_on_the_shipped_api_bank_test_set_has_the_papers_49_apis(root, tmp_path):
    """The paper: 399 test queries over 49 APIs. Table 4 counts the same from the level-1 test set."""
    test = data.prepare("api_bank", root / "resources", "api", {"n_train": 4, "n_val": 2, "n_test": 399},
                        ["en"], "en", seed=1).records
    path = tmp_path / "en.jsonl"
    io.write_jsonl(path, [r for r in test if r["split"] == "test"])
    table = analysis.table4_datasets({"api": {"en": str(path)}}, {"api": {"kind": "api_call"}})
    row = table.set_index("split").loc["test"]
    assert (row["items_total"], row["apis"]) == (399, 49)
    assert row["example_apis"].split(", ")[0] == "GetUserToken"


# ------------------------------------------------------------------------------------------------
# Per-item scores


@pytest.fixture(scope="module")
def small_acc() -> pd.DataFrame:
    acc = pd.read_csv(FIXTURES / "accuracy_fixture.csv")
    return acc[(acc["model"] == "qwen3-600m") & (acc["task"] == "math")]


def test_item_scores_read_back_and_add_up_to_the_accuracy_table(tmp_path, small_acc):
    items = SAMPLES.item_scores(small_acc, langs=CORE)
    paths = SAMPLES.write_samples(items, lambda m, t, x: tmp_path / m / t / f"{x}.samples.jsonl")
    files = {(m, t, x): str(tmp_path / m / t / f"{x}.samples.jsonl")
             for m, t, x in items[["model", "task", "mixture"]].drop_duplicates().itertuples(index=False)}
    assert len(paths) == len(files) == 23
    back = analysis.read_item_scores(files, ["es", "ja"])
    assert list(back.columns) == analysis.ITEM_COLUMNS and set(back["lang"]) == {"es", "ja"}
    assert len(back) == 23 * 2 * 250
    pd.testing.assert_frame_equal(analysis.item_scores_in_table(back, small_acc), back)  # consistent
    stale = small_acc.copy()
    stale.loc[(stale["mixture"] == "core") & (stale["lang"] == "ja"), "correct"] += 1
    with pytest.raises(ValueError, match="qwen3-600m/math/core/ja"):
        analysis.item_scores_in_table(back, stale)
    # a partial table: the items of the cells it lacks are left out, the others kept
    part = analysis.item_scores_in_table(back, small_acc[small_acc["mixture"] != "core"])
    assert set(part["mixture"]) == set(back["mixture"]) - {"core"} and len(part) == len(back) - 2 * 250


# ------------------------------------------------------------------------------------------------
# LaTeX forms and the control overview


def test_table2_latex_prints_counts_rates_and_intervals_as_the_paper():
    changes = pd.DataFrame({"task": "api", "category": "english", "change": [1.0] * 30 + [-1.0] * 10})
    tex = analysis.table2_latex(stats.win_rate_table(changes)).set_index(["category", "task"])
    assert tex.loc[("english", "all")].tolist() == ["30/40", "75.0", "[59.8, 85.8]"]
    assert tex.loc[("direct", "all")].tolist() == ["0/0", "", ""]


def test_case_shares_latex_prints_count_over_cases():
    shares = pd.DataFrame([{"task": "math", "train_size": 9, "models": "largest per family", "languages": "all core",
                            "cases": 8, "better": 2, "not_different": 5, "worse": 1},
                           {"task": "math", "train_size": 9, "models": "all", "languages": "low-resource",
                            "cases": 4, "better": 0, "not_different": 4, "worse": 0}])
    tex = analysis.case_shares_latex(shares)
    assert len(tex) == 1  # the rows over all core languages
    assert tex.iloc[0][["better", "not different", "worse"]].tolist() == ["2/8 (25.0%)", "5/8 (62.5%)", "1/8 (12.5%)"]


def test_control_overview_is_labelled_and_holds_this_runs_values(paper_config):
    """The overview of a task that is not the paper's: every row labelled, this run's medians, win
    rates with Wilson intervals, R² and coefficients, and no column of the paper's numbers."""
    acc = pd.read_csv(FIXTURES / "accuracy_fixture.csv")
    acc = acc[acc["task"] == "math"]
    items = SAMPLES.item_scores(acc, langs=CORE)
    result = stats.paper_statistics(acc, FIX.fixture_mixture_languages(), paper_config["languages"], n_boot=200,
                                    items=items, n_boot_regression=200)
    overview = analysis.statistics_overview(result, analysis.CONTROL_LABEL)
    assert list(overview.columns) == ["scope", "metric", "value", "ci_low", "ci_high", "count"]
    assert set(overview["scope"]) == {"control (synthetic), not the paper's numbers"}
    rows = overview.set_index("metric")
    direct = result.summary.set_index(["task", "category"]).loc[("math", "direct")]
    assert rows.loc["median change, direct (math), points", "value"] == pytest.approx(direct["median"], abs=1e-4)
    win = rows.loc["win rate, direct (all)"]
    assert win["count"] == "20/20" and win["value"] == 1.0 and 0.8 < win["ci_low"] < 1.0
    assert rows.loc["regression coefficient lang_in_training", "value"] > 0
    assert np.isfinite(rows.loc["regression held-out R2", "value"])
    assert rows.loc["zero-shot vs direct, 4 training languages (math): cases not worse", "count"].endswith("/25")
    assert "paper" not in overview.columns
