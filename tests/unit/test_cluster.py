"""Per-job SLURM resources come from config, scaled by model size; site settings from the environment."""

import copy

import pytest

from mlpt import cluster, cost_plan


def test_resources_scale_with_model_size(paper_config):
    small = cluster.rule_resources(paper_config, "sft", "qwen3-600m", site={})
    mid = cluster.rule_resources(paper_config, "sft", "gemma3-4b", site={})
    large = cluster.rule_resources(paper_config, "sft", "qwen3-8b", site={})
    assert (small["gpu"], mid["gpu"], large["gpu"]) == (1, 4, 8)
    assert small["cpus_per_task"] == 8 and large["cpus_per_task"] == 64
    assert large["mem_mb"] > small["mem_mb"]


def test_site_settings_come_from_the_environment(paper_config):
    env = {"MLPT_SLURM_GPU_PARTITION": "gpu", "MLPT_SLURM_PARTITION": "cpu", "MLPT_SLURM_ACCOUNT": "lab",
           "MLPT_SLURM_GPU_MODEL": "a100", "MLPT_SLURM_QOS": ""}
    site = cluster.site_settings(env)
    assert site == {"slurm_partition": "cpu", "gpu_partition": "gpu", "slurm_account": "lab", "gpu_model": "a100"}
    res = cluster.rule_resources(paper_config, "evaluate", "gemma3-1b", site)
    assert res["slurm_partition"] == "gpu" and res["gpu_model"] == "a100" and res["slurm_account"] == "lab"


def test_cpu_only_tiers_keep_the_same_keys(demo_config):
    site = {"slurm_partition": "debug"}
    res = cluster.rule_resources(demo_config, "sft", "qwen3-tiny", site)
    assert res["gpu"] == 0 and res["slurm_partition"] == "debug"
    callables = cluster.resource_callables(demo_config, "sft", site)
    assert set(callables) == set(res)


def test_missing_tier_is_named(paper_config):
    paper_config["cluster"]["sft"] = [{"max_params_b": 1, "gpus": 1, "mem_mb": 1000, "runtime": "1h"}]
    with pytest.raises(ValueError, match="cluster/sft: no resource tier covers a 8.0B model"):
        cluster.rule_resources(paper_config, "sft", "qwen3-8b", site={})


def test_plan_counts_the_220_runs(paper_config):
    result = cost_plan.plan(paper_config)
    assert result["total"]["sft_runs"] == 220 and len(result["rows"]) == 10
    by_model = {r["model"]: r["sft_gpu_hours"] for r in result["rows"] if r["task"] == "math"}
    assert by_model["qwen3-8b"] > by_model["qwen3-1700m"] > by_model["qwen3-600m"] > 0
    text = cost_plan.format_plan(result, {"sft": 220})
    assert "ESTIMATE" in text and "GPU-hours" in text and "sft" in text


def test_runtime_hours():
    assert cluster.runtime_hours("90m") == 1.5 and cluster.runtime_hours("2d") == 48 and cluster.runtime_hours(120) == 2


def test_sft_fails_fast_when_gpus_are_missing():
    from mlpt import sft

    sft.check_visible_gpus(0, visible=0)  # CPU job: nothing to check
    sft.check_visible_gpus(2, visible=4)
    with pytest.raises(RuntimeError, match="asked for 8 GPU\\(s\\) but sees 1"):
        sft.check_visible_gpus(8, visible=1)


def test_plan_states_the_memory_per_gpu_of_each_sft_tier(paper_config):
    """16 bytes per parameter (fp32 master weights, gradients, AdamW moments), sharded under FSDP."""
    rows = {r["model"]: r for r in cost_plan.plan(paper_config)["rows"]}
    assert rows["qwen3-1700m"]["states_gb_per_gpu"] == pytest.approx(1.7 * 16)
    assert (rows["qwen3-8b"]["gpus"], rows["qwen3-8b"]["sharding"]) == (8, "FSDP")
    assert rows["qwen3-8b"]["states_gb_per_gpu"] == pytest.approx(8 * 16 / 8)
    assert rows["gemma3-4b"]["sharding"] == "FSDP"  # DDP would hold 64 GB of states per GPU
    assert "GB/GPU" in cost_plan.format_plan(cost_plan.plan(paper_config))


def _sft_gpu_hours(config: dict, **sft) -> dict:
    config["sft"].update(sft)
    result = cost_plan.plan(config)
    return {"total": result["total"]["sft_gpu_hours"], "rows": result["rows"]}


def test_step_sorted_plans_fewer_gpu_hours_than_random(paper_config):
    """SFT FLOPs count the positions a GPU computes: real tokens / (1 - padding share of sft.batching)."""
    step_sorted = _sft_gpu_hours(copy.deepcopy(paper_config), batching="step_sorted")
    plain = _sft_gpu_hours(copy.deepcopy(paper_config), batching="random")
    padding_free = _sft_gpu_hours(copy.deepcopy(paper_config), batching="random", padding_free=True)
    assert padding_free["total"] < step_sorted["total"] < plain["total"]
    math_row = next(r for r in step_sorted["rows"] if r["task"] == "math")
    math_plain = next(r for r in plain["rows"] if r["task"] == "math")
    assert math_row["padding_share"] == cost_plan.PADDING_SHARE["math"]["step_sorted"] <= 0.02
    assert math_row["computed_positions"] == pytest.approx(math_row["train_tokens"] / (1 - math_row["padding_share"]))
    assert math_plain["sft_gpu_hours"] / math_row["sft_gpu_hours"] == pytest.approx(
        (1 - cost_plan.PADDING_SHARE["math"]["step_sorted"]) / (1 - cost_plan.PADDING_SHARE["math"]["random"]))
    assert all(r["padding_share"] == 0 and r["computed_positions"] == r["train_tokens"] for r in padding_free["rows"])
    # the plan also states what each other batching would cost
    by_batching = cost_plan.plan(paper_config)["total"]["sft_gpu_hours_by_batching"]
    assert by_batching["random"] == pytest.approx(plain["total"])
    assert by_batching["step_sorted"] == pytest.approx(step_sorted["total"])
    assert by_batching["padding_free"] == pytest.approx(padding_free["total"])


def test_padding_share_follows_the_task_recipe_and_batch_shape(paper_config):
    paper_config["tasks"]["api"]["sft"] = {"batching": "group_by_length"}
    rows = {r["task"]: r for r in cost_plan.plan(paper_config)["rows"] if r["model"] == "qwen3-600m"}
    assert rows["api"]["batching"] == "group_by_length"
    assert rows["api"]["padding_share"] == cost_plan.PADDING_SHARE["api_call"]["group_by_length"]
    assert rows["math"]["batching"] == "step_sorted" and rows["math"]["padding_at_measured_shape"]
    # a step of one micro-batch (the demo's 16 = 16) cannot be regrouped: step_sorted pads like random
    demo_shape = {"batching": "step_sorted", "padding_free": False, "global_batch_size": 16, "per_device_batch_size": 16}
    assert cost_plan.padding_share("math", demo_shape) == cost_plan.PADDING_SHARE["math"]["random"]
    assert cost_plan.padding_share("math", {**demo_shape, "padding_free": True}) == 0


def test_plan_output_shows_padding_and_computed_positions(paper_config, demo_config):
    text = cost_plan.format_plan(cost_plan.plan(paper_config))
    header = next(line for line in text.splitlines() if "SFT GPU-h" in line and "model" in line)
    assert "batching" in header and "padding" in header and "positions" in header
    assert "step_sorted    1.1%" in text and "SFT GPU-h by sft.batching: random" in text
    assert "*" not in text  # the paper's shape is the one the shares were counted at
    assert "* this job's batch shape" in cost_plan.format_plan(cost_plan.plan(demo_config))


def test_models_above_fsdp_min_params_b_launch_with_the_fsdp_config(paper_config):
    launch = {m: cluster.accelerate_config(paper_config, m, "/repo") for m in paper_config["models"]}
    assert launch == {"qwen3-600m": None, "qwen3-1700m": None, "qwen3-8b": "/repo/config/accelerate/fsdp.yaml",
                      "gemma3-1b": None, "gemma3-4b": "/repo/config/accelerate/fsdp.yaml"}


def test_plan_counts_tokens_per_example_from_the_real_tokenizer_table(paper_config, demo_config, root):
    """The paper's rows read the measured table (per family, task and language); a task the table
    lacks (the demo's control) falls back to the flat assumption and says so."""
    from mlpt import mixture_grammar, token_table

    table = token_table.read_table(root / "resources" / token_table.TABLE_FILE)
    result = cost_plan.plan(paper_config)
    assert {r["tokens"] for r in result["rows"]} == {"real tokenizer"}
    mixes = mixture_grammar.expand(paper_config)
    spec = paper_config["tasks"]["math"]
    expected = sum(m.size * spec["n_train"] * sum(table[("qwen3", "math", lang)].train_tokens_mean for lang in m.languages)
                   / len(m.languages) for m in mixes) * paper_config["sft"]["epochs"]
    row = next(r for r in result["rows"] if (r["model"], r["task"]) == ("qwen3-8b", "math"))
    assert row["train_tokens"] == pytest.approx(expected)
    bengali = [m for m in mixes if m.languages == ("en", "bn")][0]
    assert cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", bengali.languages)[0] > \
        cost_plan.tokens_per_example(paper_config, "gemma3-1b", "math", bengali.languages)[0]  # Qwen3 splits Bengali finer
    demo = {(r["task"], r["tokens"]) for r in cost_plan.plan(demo_config)["rows"]}
    assert ("control", "assumed") in demo
    assert "from the real tokenizers' table" in cost_plan.format_plan(result)


def test_the_readmes_plan_excerpt_is_what_make_plan_prints(root, capsys):
    """The README quotes the total lines of `make plan` for paper.yaml; they must be current."""
    import re

    from mlpt import plan_cli

    plan_cli.main(["--configfile", str(root / "config/paper.yaml"), "--no-dry-run", "--preflight", "/nonexistent"])
    printed = capsys.readouterr().out.splitlines()
    readme = (root / "README.md").read_text(encoding="utf-8")
    excerpt = re.search(r"`make plan` prints, before anything is submitted:\n\n```\n(.*?)```", readme, re.S).group(1)
    assert excerpt.strip() and all(line in printed for line in excerpt.splitlines()), excerpt


# --- the four cost kinds ----------------------------------------------------------------------

def test_sft_compute_counts_8_flops_per_parameter_with_gradient_checkpointing_6_without(paper_config):
    """Gradient checkpointing recomputes the forward pass: 8·N FLOPs per position, 6·N without."""
    a = paper_config["cluster"]["plan"]
    row = next(r for r in cost_plan.plan(copy.deepcopy(paper_config))["rows"] if r["model"] == "qwen3-8b")
    assert row["gradient_checkpointing"] and row["flops_per_position_per_param"] == 8
    assert row["sft_gpu_hours"] == pytest.approx(
        8 * 8.0e9 * row["computed_positions"] / (a["gpu_peak_tflops"] * 1e12 * a["mfu"]) / 3600)
    paper_config["sft"]["gradient_checkpointing"] = False
    off = next(r for r in cost_plan.plan(paper_config)["rows"] if r["model"] == "qwen3-8b")
    assert off["flops_per_position_per_param"] == 6
    assert off["sft_gpu_hours"] == pytest.approx(row["sft_gpu_hours"] * 6 / 8)


def test_a_tier_switches_gradient_checkpointing_for_its_models(paper_config):
    """cluster.sft tiers may set gradient_checkpointing (else sft.gradient_checkpointing): the sft
    jobs, the preflight and the plan of that tier's models use it, the other tiers keep theirs."""
    before = {(r["model"], r["task"]): r["sft_gpu_hours"] for r in cost_plan.plan(copy.deepcopy(paper_config))["rows"]}
    assert all(cluster.sft_recipe(paper_config, m, "math")["gradient_checkpointing"] for m in paper_config["models"])
    paper_config["cluster"]["sft"][0]["gradient_checkpointing"] = False  # the <= 2B tier
    recipes = {m: cluster.sft_recipe(paper_config, m, "api") for m in paper_config["models"]}
    assert {m for m, r in recipes.items() if not r["gradient_checkpointing"]} == {"qwen3-600m", "qwen3-1700m", "gemma3-1b"}
    assert recipes["qwen3-8b"]["max_length"] == 2560
    assert not cluster.preflight_recipe(paper_config, "gemma3-1b")[1]["gradient_checkpointing"]
    assert cluster.preflight_recipe(paper_config, "gemma3-4b")[1]["gradient_checkpointing"]
    for r in cost_plan.plan(paper_config)["rows"]:
        ratio = 6 / 8 if r["model"] in ("qwen3-600m", "qwen3-1700m", "gemma3-1b") else 1
        assert r["sft_gpu_hours"] == pytest.approx(before[(r["model"], r["task"])] * ratio)


def test_only_sft_tiers_take_gradient_checkpointing(root, tmp_path):
    from mlpt import config as study_config
    from mlpt.errors import ConfigError

    text = (root / "config/paper.yaml").read_text(encoding="utf-8")
    sft_tier = '    - {max_params_b: 2, gpus: 1, cpus_per_gpu: 8, mem_mb: 64000, runtime: "12h"}\n'
    eval_tier = '    - {max_params_b: 5, gpus: 1, cpus_per_gpu: 8, mem_mb: 64000, runtime: "4h"}\n'
    assert text.count(sft_tier) == 1 and text.count(eval_tier) == 1
    good = tmp_path / "good.yaml"
    good.write_text(text.replace(sft_tier, sft_tier.replace('"12h"}', '"12h", gradient_checkpointing: false}')))
    assert study_config.load(str(good))["cluster"]["sft"][0]["gradient_checkpointing"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(eval_tier, eval_tier.replace('"4h"}', '"4h", gradient_checkpointing: false}')))
    with pytest.raises(ConfigError, match="cluster/evaluate/0"):
        study_config.load(str(bad))


def test_training_and_answer_tokens_are_per_language(paper_config, root):
    """Each mixture is priced at the mean of its own languages' measured lengths (not one flat mean
    over all languages), and each evaluated or validated language at its own answer length."""
    from mlpt import mixture_grammar, token_table

    table = token_table.read_table(root / "resources" / token_table.TABLE_FILE)
    mixes = {m.name: m for m in mixture_grammar.expand(paper_config)}
    en = table[("qwen3", "math", "en")].train_tokens_mean
    bn = table[("qwen3", "math", "bn")].train_tokens_mean
    assert bn > 2 * en  # Qwen3 splits Bengali finely: a flat mean would misprice both mixtures
    assert cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", mixes["en"].languages) == (en, "real tokenizer")
    assert cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", mixes["en-bn"].languages)[0] == \
        pytest.approx((en + bn) / 2)
    flat = sum(table[("qwen3", "math", lang)].train_tokens_mean for lang in mixture_grammar.training_languages(paper_config))
    flat /= len(mixture_grammar.training_languages(paper_config))
    spec, epochs = paper_config["tasks"]["math"], paper_config["sft"]["epochs"]
    row = next(r for r in cost_plan.plan(paper_config)["rows"] if (r["model"], r["task"]) == ("qwen3-8b", "math"))
    per_language = sum(m.size * spec["n_train"] * sum(table[("qwen3", "math", lang)].train_tokens_mean
                                                      for lang in m.languages) / m.size for m in mixes.values()) * epochs
    assert row["train_tokens"] == pytest.approx(per_language)
    assert row["train_tokens"] != pytest.approx(sum(m.size for m in mixes.values()) * spec["n_train"] * flat * epochs)
    # decoding: every language's test items at that language's gold-answer length
    answers = sum(table[("qwen3", "math", lang)].answer_tokens_mean for lang in paper_config["languages"])
    assert row["eval_useful_tokens"] == pytest.approx((len(mixes) + 1) * spec["n_test"] * answers)
    assert cost_plan.answer_tokens(paper_config, "qwen3-8b", "math", "te") == (
        table[("qwen3", "math", "te")].answer_tokens_mean, "real tokenizer")


def test_decoding_is_priced_at_its_waste(paper_config):
    """Decoded positions = useful positions x the waste (cluster.plan.decode_waste, assumed)."""
    rows = {(r["model"], r["task"]): r for r in cost_plan.plan(copy.deepcopy(paper_config))["rows"]}
    paper_config["cluster"]["plan"]["decode_waste"] = 2.6
    for r in cost_plan.plan(paper_config)["rows"]:
        base = rows[(r["model"], r["task"])]
        assert (r["eval_waste"], r["eval_waste_source"]) == (2.6, "assumed")
        assert r["decoded_positions"] == pytest.approx((r["eval_useful_tokens"] + r["val_useful_tokens"]) * 2.6)
        assert r["eval_gpu_hours"] == pytest.approx(base["eval_gpu_hours"] * 2.6 / base["eval_waste"])
    paper_config["sft"]["selection"] = "val_loss"  # no greedy answers during training
    assert all(r["val_useful_tokens"] == 0 for r in cost_plan.plan(paper_config)["rows"])


def test_translation_counts_only_what_is_machine_translated(paper_config, root):
    """paper.yaml: math takes mCoT-MATH's and MGSM's own translations (no NLLB work); the API data go
    through the LLM for every language but English (Telugu: test only). paper-offline: GSM8K through NLLB."""
    from mlpt import config as study_config

    rows = {r["task"]: r for r in cost_plan.plan(paper_config)["translation"]}
    assert (rows["math"]["backend"], rows["math"]["items"], rows["math"]["gpu_hours"]) == ("seq2seq", 0, 0)
    api = paper_config["tasks"]["api"]
    assert (rows["api"]["backend"], rows["api"]["mt_model"]) == ("llm", "Qwen/Qwen2.5-7B-Instruct")
    assert rows["api"]["items"] == 9 * (api["n_train"] + api["n_val"] + api["n_test"]) + api["n_test"]
    a = paper_config["cluster"]["plan"]
    assert rows["api"]["gpu_hours"] == pytest.approx(rows["api"]["items"] * a["translation_tokens_per_item"]["api"]
                                                     / a["translation_decode_tokens_per_second"]["llm"] / 3600)
    offline = study_config.load(str(root / "config/paper-offline.yaml"))
    math_row = next(r for r in cost_plan.plan(offline)["translation"] if r["task"] == "math")
    spec = offline["tasks"]["math"]
    assert math_row["mt_model"] == "facebook/nllb-200-distilled-600M"
    assert math_row["items"] == 9 * (spec["n_train"] + spec["n_val"])  # MGSM tests are human; Telugu is eval-only


def test_checkpoint_io_follows_the_checkpoint_budget_and_stays_under_16_tb(paper_config):
    """Bytes written and peak temporary disk per run are mlpt.checkpoint_budget's, with each run's
    epoch times from the SFT line; the study writes <= 16 TB (the old policy: ~51 TB)."""
    from mlpt import checkpoint_budget, mixture_grammar

    result = cost_plan.plan(paper_config)
    mixes = mixture_grammar.expand(paper_config)
    row = next(r for r in result["rows"] if (r["model"], r["task"]) == ("qwen3-8b", "math"))
    spec = paper_config["tasks"]["math"]
    run_tokens = [m.size * spec["n_train"] * cost_plan.tokens_per_example(paper_config, "qwen3-8b", "math", m.languages)[0]
                  for m in mixes]
    hours = [row["sft_gpu_hours"] * t / sum(run_tokens) / 8 for t in run_tokens]
    per_run = [checkpoint_budget.job_checkpoint_bytes(8.0e9, 6, h, "bf16", 2.0) for h in hours]
    assert row["checkpoint_bytes_written"] == pytest.approx(sum(w for w, _ in per_run))
    assert row["peak_temporary_bytes_per_job"] == pytest.approx(max(p for _, p in per_run))
    assert row["final_model_bytes"] == pytest.approx(22 * 8.0e9 * 2)
    total = result["total"]
    assert total["checkpoint_bytes_written"] <= 16e12 < total["legacy_checkpoint_bytes_written"]
    paper_config["sft"]["resume_every_hours"] = 0  # a resume state at every epoch end but the last
    assert cost_plan.plan(paper_config)["total"]["resume_states"] == 220 * 5


def test_the_plan_prints_a_table_per_cost_kind_with_measured_and_assumed(paper_config):
    text = cost_plan.format_plan(cost_plan.plan(paper_config))
    for section in ("1. SFT compute", "2. Decoding", "3. Translation", "4. Checkpoint I/O", "Totals:"):
        assert section in text
    totals = text[text.index("Totals:"):].splitlines()
    assert "measured" in totals[0] and "assumed" in totals[0]
    assert [line.split()[0] for line in totals[1:4]] == ["SFT", "decoding", "translation"]
    assert "TB written" in text and "temporary disk per job" in text
