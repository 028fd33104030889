"""Downloading hub models before the jobs (mlpt.hub), with the Hub replaced by fakes."""

from __future__ import annotations

import hashlib
import json
import types

import pytest

from mlpt import hub


@pytest.fixture
def fake_hub(monkeypatch):
    """huggingface_hub's model_info / snapshot_download replaced; returns the calls made."""
    import huggingface_hub

    calls = {}

    class Api:
        def model_info(self, repo_id, revision=None, token=None):
            calls["info"] = (repo_id, revision, token)
            if calls.get("fail"):
                raise calls["fail"]
            return types.SimpleNamespace(sha="abc123")

    def snapshot_download(repo_id, revision, local_dir, token, allow_patterns):
        calls["download"] = (repo_id, revision, str(local_dir), allow_patterns)
        (local_dir / "config.json").parent.mkdir(parents=True, exist_ok=True)
        (local_dir / "config.json").write_text("{}")

    monkeypatch.setattr(huggingface_hub, "HfApi", Api)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_download_pins_the_resolved_commit_and_marks_completion_last(fake_hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    out = hub.download("Qwen/Qwen3-0.6B-Base", tmp_path / "m")
    assert fake_hub["info"] == ("Qwen/Qwen3-0.6B-Base", None, "hf_secret")
    assert fake_hub["download"][:2] == ("Qwen/Qwen3-0.6B-Base", "abc123")
    assert "*.safetensors" in fake_hub["download"][3] and "*.bin" not in fake_hub["download"][3]
    record = json.loads((out / hub.COMPLETE).read_text())
    assert (record["hub_id"], record["commit"], record["chat_template_added"]) == ("Qwen/Qwen3-0.6B-Base", "abc123", None)
    # every file downloaded, by size and sha256 (jobs verify them before loading: mlpt.models.verify_weights)
    assert record["files"] == {"config.json": {"size": 2, "sha256": hashlib.sha256(b"{}").hexdigest(),
                                               "mtime_ns": (out / "config.json").stat().st_mtime_ns}}
    assert "hf_secret" not in (out / hub.COMPLETE).read_text()


def test_a_gated_model_without_a_token_says_what_to_do(fake_hub, tmp_path, monkeypatch):
    from huggingface_hub.errors import GatedRepoError

    monkeypatch.delenv("HF_TOKEN", raising=False)
    fake_hub["fail"] = GatedRepoError("401 Client Error", response=types.SimpleNamespace(headers={}, status_code=401, request=None))
    with pytest.raises(RuntimeError, match=r"google/gemma-3-1b-pt is a gated model: accept its licence .* set HF_TOKEN"):
        hub.download("google/gemma-3-1b-pt", tmp_path / "m")
    assert not (tmp_path / "m" / hub.COMPLETE).exists()


def test_no_network_names_the_login_node(fake_hub, tmp_path):
    fake_hub["fail"] = OSError("Network is unreachable")
    with pytest.raises(RuntimeError, match="download_model is a local rule"):
        hub.download("Qwen/Qwen3-8B-Base", tmp_path / "m")
