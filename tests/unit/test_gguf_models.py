"""Registry GGUF models (mlpt.gguf_models): the conversion into a checkpoint folder, and the
reference files of google/gemma-3-270m checked against the real GGUF's metadata.

The conversion is tested offline on a tiny Gemma3 written as a GGUF here (quantised tensors
included), the way llama.cpp writes one; the checks of ``resources/models/google--gemma-3-270m/``
read the real file from the package registry (cached) and skip with the reason without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mlpt import gguf_models, models, paths, registry

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "resources/models/google--gemma-3-270m"
TEMPLATE = REFERENCE / "chat_template.instruct.jinja"
TINY = "tiny-gemma3-gguf"


# --------------------------------------------------------------------------- #
# A tiny Gemma3 as a GGUF file (llama.cpp's tensor names and conventions)
# --------------------------------------------------------------------------- #
def _tiny_tokens() -> tuple[list[str], list[int]]:
    """A SentencePiece-style vocabulary laid out like Gemma's: control tokens first (types: 1
    normal, 3 control, 6 byte), the turn markers, byte fallbacks and a few pieces."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"]
    types = [3] * len(tokens)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [6] * 256
    pieces = ["\u2581", "\n", *"abcdefghijklmnopqrstuvwxyz0123456789", "\u2581a", "\u2581the", "user", "model"]
    tokens += pieces
    types += [1] * len(pieces)
    return tokens, types


def _write_tiny_gguf(path: Path) -> torch.nn.Module:
    """Write a 2-layer Gemma3 text model as a GGUF (linear weights Q8_0, norms and embeddings
    F32, norms stored as llama.cpp stores Gemma's: weight + 1); returns the HF model written."""
    import gguf
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    tokens, types = _tiny_tokens()
    cfg = Gemma3TextConfig(vocab_size=len(tokens), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=32, query_pre_attn_scalar=32,
                           sliding_window=16, max_position_embeddings=256, rms_norm_eps=1e-6,
                           layer_types=["sliding_attention", "full_attention"], bos_token_id=2, eos_token_id=1,
                           pad_token_id=0)
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(cfg).eval()
    with torch.no_grad():  # non-trivial norm weights, so that the +1 convention is exercised
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(-0.5, 0.5)

    arch = gguf.MODEL_ARCH.GEMMA3
    names = gguf.get_tensor_name_map(arch, cfg.num_hidden_layers)
    w = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[arch])
    w.add_name("tiny gemma 3")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(1e6)
    w.add_sliding_window(cfg.sliding_window)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * len(tokens))
    w.add_token_types(types)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_pad_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    for hf_name, p in model.state_dict().items():
        if hf_name == "lm_head.weight":  # tied to the embedding: llama.cpp writes no output.weight
            continue
        gguf_name = names.get_name(hf_name.removesuffix(".weight")) + ".weight"
        data = p.detach().float().numpy()
        if "norm" in hf_name:
            w.add_tensor(gguf_name, data + 1.0)
        elif data.ndim == 2 and "embed" not in hf_name:
            w.add_tensor(gguf_name, gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(gguf_name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return model


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    path = tmp_path_factory.mktemp("gguf") / "tiny-gemma3.gguf"
    return path, _write_tiny_gguf(path)


@pytest.fixture
def tiny_registry(tiny_gguf, monkeypatch):
    """The tiny GGUF served as a registry artefact (no pip, no network)."""
    path, _ = tiny_gguf
    art = registry.Artifact(name=TINY, filename=path.name, sha256="0" * 64, wheels=(), members=(),
                            licence="test", upstream="a tiny Gemma3 written by the test")
    monkeypatch.setitem(registry.ARTIFACTS, TINY, art)
    monkeypatch.setattr(registry, "fetch", lambda name, cache=None: path)
    return path


@pytest.fixture
def converted(tiny_registry, tmp_path) -> Path:
    return gguf_models.convert(TINY, tmp_path / "model", chat_template=TEMPLATE)


def test_conversion_writes_an_ordinary_checkpoint_folder(converted):
    names = {p.name for p in converted.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", models.DOWNLOAD_RECORD} <= names
    config = json.loads((converted / "config.json").read_text())
    assert config["architectures"] == ["Gemma3ForCausalLM"] and config["model_type"] == "gemma3_text"
    assert "quantization_config" not in config  # the weights written are float, not the GGUF's blocks
    assert config["dtype"] == "float32"
    assert (converted / "chat_template.jinja").read_text() == TEMPLATE.read_text()


def test_the_record_names_the_source_and_what_was_dequantised(converted, tiny_registry):
    record = gguf_models.read_record(converted)
    assert record["artifact"] == TINY and record["gguf"]["file"] == tiny_registry.name
    # 2 layers x 7 linear weights in Q8_0; the embedding and 13 norms (6 per layer, the final one) F32
    assert record["gguf"]["tensor_types"] == {"F32": 14, "Q8_0": 14}
    assert record["dequantised"] == {"to": "float32", "tensor_types": {"Q8_0": 14}, "tensors": 14}
    assert record["chat_template_added"] == str(TEMPLATE) and record["gguf"]["chat_template"] is False
    assert record["model"]["class"] == "Gemma3ForCausalLM"
    assert set(record["converter"]) == {"transformers", "gguf", "torch"}
    # the record is what identifies the weights to resumable work, as a hub download's record does
    assert models.fingerprint(str(converted)) == {"download": (converted / models.DOWNLOAD_RECORD).read_text()}


def test_converted_weights_are_the_dequantised_gguf(converted, tiny_gguf):
    """Float tensors come back exactly (the Gemma norm convention undone), quantised ones within
    Q8_0's rounding, and the folder gives the same logits as loading the GGUF directly."""
    from transformers import AutoModelForCausalLM

    path, original = tiny_gguf
    reloaded = models.load_causal_lm(converted)
    assert type(reloaded).__name__ == "Gemma3ForCausalLM"
    got, want = reloaded.state_dict(), original.state_dict()
    for name, tensor in want.items():
        if "norm" in name or "embed" in name:
            torch.testing.assert_close(got[name], tensor, rtol=0, atol=1e-6)
        else:
            scale = tensor.abs().max().item()
            assert (got[name] - tensor).abs().max().item() <= scale / 100, name  # 8-bit blocks
    direct = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
    ids = torch.tensor([[2, 5, 300, 301, 302, 6, 7]])
    with torch.no_grad():
        torch.testing.assert_close(reloaded.eval()(ids).logits, direct(ids).logits, rtol=0, atol=0)


def test_the_converted_tokenizer_renders_the_gemma_template(converted):
    from mlpt import prompts

    tok = prompts.load_tokenizer(str(converted))
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (2, 1, 0)
    assert prompts.end_of_turn(tok) == "<end_of_turn>"
    assert prompts.stop_token_ids(tok) == [6, 1]  # the tiny vocabulary's <end_of_turn>, then EOS
    assert prompts.chat_prompt(tok, "a") == "<bos><start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\n"


def test_a_second_conversion_replaces_the_folder(converted):
    (converted / "stale.txt").write_text("left over")
    again = gguf_models.convert(TINY, converted)
    assert not (again / "stale.txt").exists() and (again / models.DOWNLOAD_RECORD).is_file()


def test_only_gguf_artifacts_convert():
    with pytest.raises(KeyError, match="not a GGUF model"):
        gguf_models.convert("qwen-tiktoken", "unused")
    assert "gemma-3-270m-gguf" in gguf_models.GGUF_ARTIFACTS and "qwen-tiktoken" not in gguf_models.GGUF_ARTIFACTS


def test_dequantised_types_leave_float_storage_out():
    assert gguf_models.dequantised_types({"F32": 3, "F16": 1, "Q4_K": 2, "Q8_0": 5}) == {"Q4_K": 2, "Q8_0": 5}


# --------------------------------------------------------------------------- #
# Config: models.<name>.registry
# --------------------------------------------------------------------------- #
def test_the_config_schema_offers_exactly_the_registry_gguf_models():
    from mlpt import schema as schema_lib

    schema = schema_lib.load_schema("config")
    spec = schema["properties"]["models"]["additionalProperties"]["properties"]["registry"]
    assert tuple(spec["enum"]) == gguf_models.GGUF_ARTIFACTS


def test_a_registry_model_is_one_source_among_hub_id_and_tiny(demo_config):
    import copy

    from mlpt import config as study_config

    cfg = copy.deepcopy(demo_config)
    spec = cfg["models"]["gemma3-tiny"]
    del spec["tiny"]
    spec["registry"] = "gemma-3-270m-gguf"
    study_config.validate(copy.deepcopy(cfg), "x.yaml")
    spec["hub_id"] = "google/gemma-3-270m"
    with pytest.raises(study_config.ConfigError, match="models/gemma3-tiny"):
        study_config.validate(copy.deepcopy(cfg), "x.yaml")
    del spec["hub_id"]
    spec["registry"] = "qwen-tiktoken"  # a vocabulary, not a model
    with pytest.raises(study_config.ConfigError, match="models/gemma3-tiny/registry"):
        study_config.validate(copy.deepcopy(cfg), "x.yaml")


def test_the_converted_folder_sits_beside_the_hub_models():
    assert paths.registry_model("hub-models", "gemma-3-270m-gguf") == "hub-models/registry/gemma-3-270m-gguf"


def test_real_smoke_config_reads_the_registry_model():
    from mlpt import config as study_config

    cfg = study_config.load(ROOT / "config/real-smoke.yaml")
    (spec,) = cfg["models"].values()
    assert spec["registry"] == "gemma-3-270m-gguf" and spec["family"] == "gemma3"
    assert (ROOT / cfg["resources_dir"] / spec["chat_template"]).resolve() == TEMPLATE.resolve()


# --------------------------------------------------------------------------- #
# resources/models/google--gemma-3-270m/ against the real GGUF (package registry)
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def real_gguf() -> dict:
    try:
        path = registry.fetch("gemma-3-270m-gguf")
    except registry.RegistryUnavailable as err:
        pytest.skip(f"package registry unreachable: {err}")
    meta = gguf_models.gguf_metadata(path)
    return {"path": path, **meta}


def test_reference_config_matches_the_gguf_metadata(real_gguf):
    f = real_gguf["fields"]
    ref = json.loads((REFERENCE / "config.json").read_text())
    assert f["general.architecture"] == "gemma3" and f["general.size_label"] == "270M"
    pairs = {
        "gemma3.block_count": "num_hidden_layers", "gemma3.embedding_length": "hidden_size",
        "gemma3.feed_forward_length": "intermediate_size", "gemma3.attention.head_count": "num_attention_heads",
        "gemma3.attention.head_count_kv": "num_key_value_heads", "gemma3.attention.key_length": "head_dim",
        "gemma3.attention.value_length": "head_dim", "gemma3.context_length": "max_position_embeddings",
        "gemma3.attention.sliding_window": "sliding_window", "gemma3.rope.freq_base": "rope_theta",
        "tokenizer.ggml.bos_token_id": "bos_token_id", "tokenizer.ggml.eos_token_id": "eos_token_id",
        "tokenizer.ggml.padding_token_id": "pad_token_id",
    }
    for key, name in pairs.items():
        assert f[key] == ref[name], (key, f[key], name, ref[name])
    assert np.float32(f["gemma3.attention.layer_norm_rms_epsilon"]) == np.float32(ref["rms_norm_eps"])
    assert len(f["tokenizer.ggml.tokens"]) == ref["vocab_size"]
    # tied embeddings: no output.weight tensor; the parameter count of the release
    assert ref.get("tie_word_embeddings", True)
    assert sum(real_gguf["tensor_types"].values()) == 236


def test_reference_special_tokens_match_the_gguf_vocabulary(real_gguf):
    f = real_gguf["fields"]
    ref = json.loads((REFERENCE / "special_tokens.json").read_text())
    tokens = f["tokenizer.ggml.tokens"]
    assert len(tokens) == ref["gguf_tokens"]
    for token, i in ref["marker_ids"].items():
        assert tokens[i] == token, (token, i, tokens[i])
    for name, key in (("bos", "bos_token_id"), ("eos", "eos_token_id"), ("pad", "padding_token_id"),
                      ("unk", "unknown_token_id")):
        assert f[f"tokenizer.ggml.{key}"] == ref[f"{name}_token_id"]
        assert tokens[ref[f"{name}_token_id"]] == ref[f"{name}_token"]
    assert f["tokenizer.ggml.add_bos_token"] is ref["add_bos_token"]
    assert f["tokenizer.ggml.add_eos_token"] is ref["add_eos_token"]
    assert set(ref["hf_only_tokens"]).isdisjoint(tokens)


def test_the_gguf_carries_no_chat_template_so_the_instruct_one_is_shipped(real_gguf):
    assert gguf_models.CHAT_TEMPLATE_KEY not in real_gguf["fields"]
    assert TEMPLATE.read_bytes() == (ROOT / "resources/models/google--gemma-3-1b-pt/chat_template.instruct.jinja").read_bytes()


@pytest.mark.workflow
def test_the_workflow_converts_once_before_the_jobs_that_read_the_model(tmp_path):
    """One local convert_registry_model job, no download; training and evaluation of the base model
    read its folder."""
    import yaml

    from conftest import job_counts, run_snakemake

    cfg = yaml.safe_load((ROOT / "config/real-smoke.yaml").read_text())
    cfg["run"] = "test-registry-plan"
    cfg["hub"] = {"download_dir": str(tmp_path / "models")}  # nothing converted there yet
    path = tmp_path / "real-smoke.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    counts = job_counts(run_snakemake("-n", "--quiet", "rules", f"--configfile={path}").stdout)
    assert counts["convert_registry_model"] == 1 and "download_model" not in counts
    assert "build_base_model" not in counts and counts["sft"] == 2 and counts["evaluate"] == 4  # pretrained and en, per task
    plan = run_snakemake("results/test-registry-plan/eval/gemma3-270m/control/pretrained.json", "-n",
                         f"--configfile={path}").stdout
    assert f"output: {tmp_path}/models/registry/gemma-3-270m-gguf" in plan
    assert "localrules:\n    download_model,\n    convert_registry_model," in (ROOT / "workflow/rules/models.smk").read_text()
