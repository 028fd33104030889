"""A job the site can never start is named before submission; a retry after a time-out asks for
more time; every job asks for one node; pending jobs whose reason never clears are reported."""

import pytest

from mlpt import cluster, site_limits

SINFO = """gpu*|1-00:00:00|64|512000|gpu:a100:4(S:0-1)
gpu*|1-00:00:00|32|256000|gpu:a100:2
cpu|2:00:00|16|64000|(null)
debug|infinite|2|7900|(null)
"""


def test_sinfo_limits_are_read_per_partition_largest_node_first():
    limits = site_limits.parse_sinfo(SINFO)
    assert limits["gpu"] == limits["default"]
    assert {k: limits["gpu"][k] for k in ("max_runtime_minutes", "max_cpus", "max_mem_mb", "max_gpus")} == \
        {"max_runtime_minutes": 1440, "max_cpus": 64, "max_mem_mb": 512000, "max_gpus": 4}
    assert limits["cpu"]["max_runtime_minutes"] == 120 and limits["cpu"]["max_gpus"] == 0
    assert limits["debug"]["max_runtime_minutes"] is None


def test_a_request_over_the_partition_limits_is_named_with_the_limit(paper_config):
    site = {"gpu_partition": "gpu", "slurm_partition": "cpu"}
    problems = site_limits.violations(paper_config, site_limits.parse_sinfo(SINFO), site)
    eight_b = [p for p in problems if p.startswith("sft of qwen3-8b")]
    assert any("2880 minutes; partition gpu allows 1440" in p for p in eight_b)  # 48 h against a 24 h MaxTime
    assert any("8 GPUs; partition gpu allows 4" in p for p in eight_b)  # one node, and the largest has 4
    assert all("sft of qwen3-600m" not in p for p in problems)


def test_limits_from_the_environment_apply_to_every_partition(paper_config):
    limits = site_limits.from_environment({"MLPT_SLURM_MAX_RUNTIME": "24h", "MLPT_SLURM_MAX_GPUS_PER_NODE": "4"})
    assert limits == {"source": "environment", "max_runtime_minutes": 1440, "max_gpus": 4}
    problems = site_limits.violations(paper_config, limits, {})
    assert "sft of qwen3-8b asks for 8 GPUs; the default partition allows 4 (environment: MLPT_SLURM_MAX_GPUS_PER_NODE)" \
        in " ".join(problems)
    with pytest.raises(ValueError, match="MLPT_SLURM_MAX_CPUS_PER_NODE='many'"):
        site_limits.from_environment({"MLPT_SLURM_MAX_CPUS_PER_NODE": "many"})
    assert site_limits.violations(paper_config, {}, {}) == []  # nothing known, nothing refused


def test_every_job_asks_for_one_node_and_a_retry_for_more_time(paper_config):
    res = cluster.resource_callables(paper_config, "sft", {})
    wildcards = type("W", (), {"model": "qwen3-8b"})()
    assert res["nodes"](wildcards, 1) == 1
    assert [res["runtime"](wildcards, attempt) for attempt in (1, 2, 3)] == [2880, 5760, 8640]
    assert res["gpu"](wildcards, 2) == 8  # only the time grows


def test_pending_jobs_whose_reason_never_clears_are_reported():
    squeue = "101|sft|Priority\n102|sft|PartitionTimeLimit\n103|evaluate|Resources\n104|translate|ReqNodeNotAvail\n"
    stuck = site_limits.never_starting(squeue)
    assert len(stuck) == 2 and "job 102 (sft) is pending with reason PartitionTimeLimit" in stuck[0]
    assert "104" in stuck[1]


@pytest.mark.workflow
def test_the_workflow_refuses_to_start_jobs_that_would_wait_forever(monkeypatch):
    from conftest import run_snakemake

    monkeypatch.setenv("MLPT_SLURM_MAX_RUNTIME", "24h")
    proc = run_snakemake("-n", "--configfile", "config/paper.yaml", check=False)
    assert proc.returncode != 0
    assert "Jobs that would never start" in proc.stdout + proc.stderr
    assert "sft of qwen3-8b asks for 2880 minutes" in proc.stdout + proc.stderr
