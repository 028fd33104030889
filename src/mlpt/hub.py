"""Model weights before jobs: each Hugging Face model of a run is downloaded once, on the login node.

Compute nodes of many clusters have no internet, and 220 training jobs that each ask the Hub for
the same weights would be slow and fragile. The ``download_model`` rule (a local rule: it runs
where Snakemake runs) calls :func:`download` for every model named by ``hub_id`` (base models and
the MT model) into ``hub.download_dir``; every later job reads that directory, with the Hub
switched off (``HF_HUB_OFFLINE=1``, set for every job script by ``workflow/scripts/_bootstrap.py``).

Gated models (Gemma) need an accepted licence on the model's Hub page and a token: the
``HF_TOKEN`` environment variable (or ``hf auth login``) on the node that runs Snakemake. Without
them the download fails here, with what to do, before any GPU job is submitted.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from .models import DOWNLOAD_RECORD, record_weights

log = logging.getLogger(__name__)

#: The files a model needs (config, weights as safetensors, tokenizer, chat template, processor
#: configs); duplicate weight formats (``*.bin``, ``*.pth``, ``*.gguf``, ``original/``) are skipped.
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.model", "*.txt", "*.tiktoken"]
COMPLETE = DOWNLOAD_RECORD  # written last: the identity of the downloaded weights (mlpt.models.fingerprint)


def download(hub_id: str, out_dir: str | Path, revision: str | None = None, chat_template: str | None = None) -> Path:
    """Download ``hub_id`` (at ``revision``, default the main branch) into ``out_dir``.

    ``chat_template`` (a file) is written into the model as ``chat_template.jinja`` when the
    checkpoint carries no template of its own (Gemma3's pt checkpoints), so that every job renders
    chats like the tiny copies do. Writes ``out_dir/.download-complete`` (the hub id, the resolved
    commit, the template added, and every file's size and sha256: :func:`mlpt.models.record_weights`) last, so an interrupted download never looks finished. Raises
    RuntimeError with the remedy for gated, missing or unreachable models.
    """
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    out_dir = Path(out_dir)
    token = os.environ.get("HF_TOKEN") or None
    try:
        info = HfApi().model_info(hub_id, revision=revision, token=token)
        snapshot_download(hub_id, revision=info.sha, local_dir=out_dir, token=token, allow_patterns=ALLOW_PATTERNS)
    except GatedRepoError:
        raise RuntimeError(
            f"{hub_id} is a gated model: accept its licence at https://huggingface.co/{hub_id} with your "
            "Hugging Face account, then set HF_TOKEN to a token of that account (or run `hf auth login`) "
            "where Snakemake runs, and start the workflow again") from None
    except RepositoryNotFoundError:
        raise RuntimeError(f"{hub_id}: no such model on the Hugging Face Hub (or it is private and "
                           "HF_TOKEN is not set); check `hub_id` in the config") from None
    except (HfHubHTTPError, OSError) as err:
        raise RuntimeError(f"{hub_id}: download failed ({type(err).__name__}: {err}). Run the workflow where "
                           "the Hugging Face Hub can be reached (the login node): download_model is a local "
                           "rule, and the jobs after it need no internet") from None
    added = add_chat_template(out_dir, chat_template) if chat_template else None
    record_weights(out_dir, {"source": "Hugging Face Hub", "hub_id": hub_id, "commit": info.sha,
                             "chat_template_added": added})
    log.info("downloaded %s (commit %s) into %s", hub_id, info.sha, out_dir)
    return out_dir


def has_chat_template(model_dir: str | Path) -> bool:
    """Whether a model directory carries a chat template (a template file, or one inside tokenizer_config.json)."""
    model_dir = Path(model_dir)
    if (model_dir / "chat_template.jinja").is_file() or (model_dir / "chat_template.json").is_file():
        return True
    config = model_dir / "tokenizer_config.json"
    return config.is_file() and bool(json.loads(config.read_text(encoding="utf-8")).get("chat_template"))


def add_chat_template(model_dir: str | Path, template_file: str | Path) -> str | None:
    """Write ``template_file`` as the model's ``chat_template.jinja`` unless it has a template; returns
    the file written from, or None when the checkpoint's own template is kept."""
    if has_chat_template(model_dir):
        log.info("%s carries its own chat template; %s is not used", model_dir, template_file)
        return None
    (Path(model_dir) / "chat_template.jinja").write_text(Path(template_file).read_text(encoding="utf-8"),
                                                        encoding="utf-8")
    log.info("%s carries no chat template: wrote %s as its chat_template.jinja", model_dir, template_file)
    return str(template_file)
