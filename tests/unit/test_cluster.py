"""Per-job SLURM resources come from config, scaled by model size; site settings from the environment."""

import pytest

from mlpt import cluster


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
    result = cluster.plan(paper_config)
    assert result["total"]["sft_runs"] == 220 and len(result["rows"]) == 10
    by_model = {r["model"]: r["sft_gpu_hours"] for r in result["rows"] if r["task"] == "math"}
    assert by_model["qwen3-8b"] > by_model["qwen3-1700m"] > by_model["qwen3-600m"] > 0
    text = cluster.format_plan(result, {"sft": 220})
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
    rows = {r["model"]: r for r in cluster.plan(paper_config)["rows"]}
    assert rows["qwen3-1700m"]["states_gb_per_gpu"] == pytest.approx(1.7 * 16)
    assert (rows["qwen3-8b"]["gpus"], rows["qwen3-8b"]["sharding"]) == (8, "FSDP")
    assert rows["qwen3-8b"]["states_gb_per_gpu"] == pytest.approx(8 * 16 / 8)
    assert rows["gemma3-4b"]["sharding"] == "FSDP"  # DDP would hold 64 GB of states per GPU
    assert "GB/GPU" in cluster.format_plan(cluster.plan(paper_config))
