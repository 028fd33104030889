"""The SFT batching benchmark: its recipe, padding counts, summary and report (no training here)."""

import importlib.util

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("sft_throughput", ROOT / "benchmarks/sft_throughput.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_variants_train_the_paper_shape_on_cpu_settings():
    cfg = bench.train_config("config/paper.yaml", **bench.VARIANTS["padding_free"])
    assert (cfg.global_batch_size, cfg.per_device_batch_size, cfg.max_length) == (512, 8, 1536)  # paper.yaml's
    assert (cfg.epochs, cfg.bf16, cfg.gradient_checkpointing, cfg.selection) == (1, False, False, "last")
    assert (cfg.batching, cfg.padding_free) == ("step_sorted", True)
    assert bench.train_config("config/paper.yaml", **bench.VARIANTS["random"]).batching == "random"
    assert set(bench.DEFAULT_VARIANTS) <= set(bench.VARIANTS) and bench.TRL_BEST in bench.DEFAULT_VARIANTS


def test_padding_shares_of_each_batching():
    lengths = [10, 200] * 32  # every random micro-batch of 8 mixes short and long examples
    one_rank = bench.padding_shares(lengths, 32, 8, 1)
    assert set(one_rank) == {"random", "step_sorted", "group_by_length"}
    assert one_rank["random"] > 0.4 and one_rank["step_sorted"] < one_rank["random"] / 4
    two_ranks = bench.padding_shares(lengths, 32, 8, 2)
    assert "group_by_length" not in two_ranks  # counted on one process only
    # a step of one micro-batch: sorting inside the step changes nothing
    one_batch = bench.padding_shares(lengths, 8, 8, 1)
    assert one_batch["step_sorted"] == one_batch["random"]


def _run(variant, rate, padding=0.01, losses=(2.0, 1.5)):
    return {"variant": variant, "settings": {}, "steps": 2, "real_tokens": 1000, "positions": round(1000 / (1 - padding)),
            "padding_share": padding, "wall_seconds": 2.0, "cpu_seconds": 1000 / rate, "real_tokens_per_cpu_s": rate,
            "positions_per_cpu_s": rate, "real_tokens_per_s": rate / 2, "peak_rss_mb": 700.0, "losses": list(losses)}


def _rows():
    runs = {"random": [_run("random", 100, 0.34), _run("random", 120, 0.34)],
            "step_sorted": [_run("step_sorted", 150, losses=(2.0, 1.5 + 1e-6)), _run("step_sorted", 170)],
            "trl_grouped": [_run("trl_grouped", 120, 0.016, losses=(2.1, 1.6)), _run("trl_grouped", 130)]}
    return runs, bench.summarise(runs)


def test_summary_takes_the_median_over_rounds_and_compares_with_random_and_trl():
    _, rows = _rows()
    assert rows["random"]["real_tokens_per_cpu_s"] == 110 and rows["random"]["real_tokens_per_cpu_s_by_round"] == [100, 120]
    cmp_ = bench.compare(rows)
    assert cmp_["step_sorted"]["vs_random"] == pytest.approx(160 / 110, abs=1e-3)
    assert cmp_["step_sorted"]["vs_trl_best"] == pytest.approx(160 / 125, abs=1e-3)
    assert cmp_["step_sorted"]["max_abs_loss_diff_vs_random"] == pytest.approx(1e-6)
    assert cmp_["trl_grouped"]["max_abs_loss_diff_vs_random"] is None  # other batches: not comparable
    assert cmp_["step_sorted"]["same_real_tokens_as_random"]


def test_verdict_states_whether_the_target_is_met():
    _, rows = _rows()
    assert "**met**" in bench.verdict(rows, bench.compare(rows))
    rows["step_sorted"]["padding_share"] = 0.05
    assert "**not met**" in bench.verdict(rows, bench.compare(rows))
    del rows["trl_grouped"]
    assert "no verdict" in bench.verdict(rows, bench.compare(rows))


def test_markdown_reports_every_part_and_says_it_is_cpu():
    runs, rows = _rows()
    shares = {"random": 0.34, "step_sorted": 0.011, "group_by_length": 0.006}
    counted = {"demo_shape": {"gsm8k": {"examples": 10, "global_batch": 16, "per_device": 16, "mean_tokens": 245.0,
                                        "shares": {**shares, "step_sorted": 0.34}}},
               "paper_shape": {"gsm8k": {"examples": 10, "global_batch": 512, "per_device": 8, "mean_tokens": 245.0,
                                         "max_tokens": 600, "shares_by_world_size": {1: shares}}}}
    report = {"date": "2026-11-30", "command": "x", "parameters": 552_832, "vocabulary": 2000, "steps": 2, "rounds": 2,
              "examples": 1024, "global_batch": 512, "per_device": 8, "learning_rate": 1e-5, "max_length": 1024,
              "machine": {"machine": "x86_64", "cpus": 2, "torch": "t", "transformers": "tf", "trl": "trl"},
              "results": rows, "comparison": bench.compare(rows), "counted": counted,
              "runs": {name: {"load_average_before": [1.0, 2.0]} for name in runs}}
    rows["trl_grouped"]["real_tokens"] = 996  # TRL trains no EOS after the end-of-turn marker
    text = bench.markdown(report)
    assert "not GPU throughput" in text and "**met**" in text
    assert "`trl_grouped` trained on 996 real tokens, -0.4% against mlpt's 1,000" in text
    assert "| step_sorted | 1.0% | 160 | 1.46× | 1.28× |" in text
    assert "| gsm8k | 10 | 16 = 16 | 245 | 34.0% | 34.0% | 0.6% |" in text
    assert "| gsm8k | 10 | 245 | 1 | 34.0% | 1.1% | 0.6% |" in text


def test_exits_with_a_message_without_trl(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real_find_spec(name, *a))
    assert bench.main(["--steps", "2"]) == 2
    assert "TRL is not installed" in capsys.readouterr().err
