"""Loading a base model or a fine-tuned checkpoint as a text-only causal LM.

Training, validation and evaluation all load models through :func:`load_causal_lm`, so a
checkpoint is read the same way everywhere. Two kinds of checkpoint exist among the study's
models:

* text-only causal LMs (Qwen3 ``qwen3``, Gemma3-1B ``gemma3_text``): loaded with
  ``AutoModelForCausalLM`` as they are;
* image-text models whose config nests a ``text_config`` (Gemma3-4B and larger: ``gemma3``,
  ``Gemma3ForConditionalGeneration`` with a SigLIP vision tower). The study is text-only, so only
  the language model is loaded, as the text model's own causal-LM class (``Gemma3ForCausalLM``),
  from the checkpoint's language-model weights. The vision tower is never built: under DDP its
  parameters would receive no gradient ("Expected to have finished reduction ... parameters that
  were not used") and it would cost memory for nothing. Logits on text are identical to the full
  model's (tested), and a fine-tuned checkpoint is saved as the text model (``gemma3_text``).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

#: Where the language model's weights sit inside an image-text checkpoint: the released
#: checkpoints' layout (``language_model.model.*``) and transformers 5's (``model.language_model.*``).
TEXT_MODEL_KEY_MAPPING = {
    r"^language_model\.model\.": "model.",
    r"^model\.language_model\.": "model.",
    r"^language_model\.lm_head\.": "lm_head.",
}


def text_config(config):
    """The text model's config: ``config.text_config`` for an image-text model, else ``config``."""
    nested = getattr(config, "text_config", None)
    return nested if nested is not None and getattr(config, "vision_config", None) is not None else config


def is_image_text(config) -> bool:
    """True for a checkpoint whose language model sits inside an image-text model."""
    return text_config(config) is not config


def load_causal_lm(path: str | Path, dtype=None, **kwargs):
    """The causal LM of ``path`` (a local directory or a hub id), text-only, in ``dtype``.

    Args:
        path: model directory or hub id.
        dtype: torch dtype of the loaded weights (default float32: full fine-tuning keeps fp32
            master weights and computes in bf16 under autocast; see :mod:`mlpt.sft`).
        kwargs: passed on to ``from_pretrained``.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    dtype = torch.float32 if dtype is None else dtype
    if Path(path).is_dir():
        verify_weights(path)
    config = AutoConfig.from_pretrained(path)
    if not is_image_text(config):
        model, info = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, output_loading_info=True, **kwargs)
        _check_complete(path, model, info)
        return model
    text = text_config(config)
    try:
        model_class = MODEL_FOR_CAUSAL_LM_MAPPING[type(text)]
    except KeyError:
        raise ValueError(f"{path}: image-text model '{config.model_type}' has a text model "
                         f"('{text.model_type}') without a causal-LM class in transformers") from None
    log.info("%s is an image-text model (%s); loading its language model only as %s",
             path, config.model_type, model_class.__name__)
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the skipped vision weights would be listed one by one
    try:
        model, info = model_class.from_pretrained(path, config=text, dtype=dtype, key_mapping=TEXT_MODEL_KEY_MAPPING,
                                                  output_loading_info=True, **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)
    _check_complete(path, model, info)
    # transformers remembers a loading key mapping and reverses it when saving, which would write
    # the text model's weights under the image-text names ("language_model.model.*") next to a
    # text-only config: every later load (the Trainer's best checkpoint, evaluation) would find no
    # weights. The text model is saved under its own names.
    model._weight_conversions = []
    return model


#: The authors' evaluation precision (study B: their eval scripts, logit lens and PCA notebook):
#: bitsandbytes 4-bit NF4 weights, fp16 compute, no double quantization (BitsAndBytesConfig's default).
NF4 = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": "float16"}


def nf4_config():
    """The ``transformers.BitsAndBytesConfig`` of :data:`NF4` (building it loads nothing and needs
    no bitsandbytes; loading a model with it needs bitsandbytes and a CUDA GPU)."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(**{**NF4, "bnb_4bit_compute_dtype": getattr(torch, NF4["bnb_4bit_compute_dtype"])})


def nf4_unavailable() -> str:
    """Why a 4-bit NF4 model cannot be loaded here ("" when it can): bitsandbytes missing (the
    optional extra ``pip install -e '.[quantization]'``, GPU machines only) or no CUDA GPU."""
    import importlib.util

    import torch

    if importlib.util.find_spec("bitsandbytes") is None:
        return "bitsandbytes is not installed (optional extra: pip install -e '.[quantization]', CUDA machines only)"
    if not torch.cuda.is_available():
        return "bitsandbytes 4-bit NF4 needs a CUDA GPU and none is visible"
    return ""


def load_nf4_causal_lm(path: str | Path):
    """The causal LM of ``path`` in 4-bit NF4 with fp16 compute, as the authors of study B load
    every model they evaluate: ``BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
    bnb_4bit_compute_dtype=torch.float16)``, ``device_map="auto"``. They pass no dtype, and their
    transformers (4.38.2) then keeps the modules it does not quantize (embeddings, norms, the LM
    head) in fp16; fp16 is passed here, since newer transformers would read the checkpoint's dtype."""
    import torch

    why = nf4_unavailable()
    if why:
        raise RuntimeError(f"{path}: cannot load in 4-bit NF4: {why}")
    return load_causal_lm(path, dtype=torch.float16, quantization_config=nf4_config(), device_map="auto")


def _check_complete(path, model, info: dict) -> None:
    """Never train or evaluate a model whose weights were partly initialised at random: every
    parameter must come from the checkpoint (a tied output layer shares the embedding's)."""
    tied = {"lm_head.weight"} if getattr(model.config, "tie_word_embeddings", False) else set()
    missing = sorted(set(info["missing_keys"]) - tied)
    if missing:
        raise ValueError(f"{path}: weights missing from the checkpoint: {missing[:5]}{' ...' if len(missing) > 5 else ''} "
                         f"({len(missing)} in all; an image-text checkpoint's language model is read from "
                         f"{list(TEXT_MODEL_KEY_MAPPING)})")


def really_missing(model, missing_keys) -> list[str]:
    """The names of ``missing_keys`` that no loaded tensor stands for: a tied weight (the output
    layer that shares the input embedding's matrix, ``lm_head.weight``) is stored once in a
    checkpoint, under its other name, so it is reported missing though loading that name filled it;
    it is missing only when every name of its tensor is."""
    missing = set(missing_keys)
    names: dict[int, set[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(param), set()).add(name)
    filled = {name for group in names.values() if group - missing for name in group}
    return sorted(missing - filled)


# --- what identifies a model's weights (fingerprints of resumable work) --------------------------

#: The record written last into a model folder that a rule made (download_model, the tiny
#: builder, the registry conversion): JSON with where the weights come from and, under ``files``,
#: every file's size, sha256 and modification time (:func:`record_weights`).
DOWNLOAD_RECORD = ".download-complete"


def _model_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))


def record_weights(model_dir: str | Path, origin: dict) -> dict:
    """Write ``model_dir``'s record: ``origin`` (where the weights come from) and every file's size,
    sha256 and modification time, so a later change of any file is noticed. Returns the record."""
    from . import io

    root = Path(model_dir)
    files = {p.relative_to(root).as_posix(): {"size": p.stat().st_size, "sha256": io.file_sha256(p),
                                               "mtime_ns": p.stat().st_mtime_ns} for p in _model_files(root)}
    record = {**origin, "files": files}
    io.write_json(root / DOWNLOAD_RECORD, record)
    return record


def _recorded_files(root: Path) -> dict | None:
    import json

    try:
        record = json.loads((root / DOWNLOAD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record.get("files") if isinstance(record, dict) else None


def changed_since_recorded(model_dir: str | Path) -> list[str]:
    """Files of ``model_dir`` whose size or modification time differs from its record, or that
    appeared or went missing since (a cheap look: no file is read). Empty without a record."""
    root = Path(model_dir)
    files = _recorded_files(root)
    if files is None:
        return []
    changed = [name for name, meta in files.items()
               if not (root / name).is_file() or (root / name).stat().st_size != meta["size"]
               or (root / name).stat().st_mtime_ns != meta["mtime_ns"]]
    return changed + [p.relative_to(root).as_posix() for p in _model_files(root) if p.relative_to(root).as_posix() not in files]


def verify_weights(model_dir: str | Path) -> None:
    """Every file of ``model_dir`` has the size and sha256 its record lists (jobs call this before
    they load a model a rule made): a file changed in place since is an error naming it."""
    from . import io

    root = Path(model_dir)
    files = _recorded_files(root)
    if files is None:
        return
    for name, meta in files.items():
        path = root / name
        if not path.is_file() or path.stat().st_size != meta["size"] or io.file_sha256(path) != meta["sha256"]:
            raise ValueError(f"{path}: changed since {root / DOWNLOAD_RECORD} recorded it (size or sha256 differ): "
                             "the weights are not the ones recorded. Rebuild or download them again "
                             "(snakemake -R download_model / build_base_model / convert_registry_model), or restore them")


def fingerprint(model: str | None) -> dict:
    """What identifies a model's weights, for the fingerprints that decide whether earlier work
    (finished MT shards, SFT checkpoints) may be reused.

    * a model folder a rule made (download_model, the tiny builder, the registry conversion): its
      record (where the weights come from and every file's size and sha256, :func:`record_weights`),
      which pins every file without reading gigabytes of weights again (a file changed in place
      since is refused by :func:`verify_weights` before any load);
    * any other local directory (a tiny model, a checkpoint): the sha256 of each of its files
      (config, tokenizer, weights; hidden files such as cache metadata left out), kept per
      (path, size, modification time) within a process;
    * anything else: a Hugging Face id with the revision the local Hugging Face cache resolves it
      to (None when it is not cached).
    """
    if model is None:
        return {}
    root = Path(model)
    if (root / DOWNLOAD_RECORD).is_file():
        return {"download": (root / DOWNLOAD_RECORD).read_text(encoding="utf-8")}
    if root.is_dir():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
        return {"files": {p.relative_to(root).as_posix(): _file_sha256(p) for p in files}}
    return {"hub_id": model, "revision": _hub_revision(model)}


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=None)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    from . import io

    return io.file_sha256(path)


def _hub_revision(hub_id: str) -> str | None:
    """The commit the local Hugging Face cache holds for ``hub_id`` (its main branch), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(hub_id, "config.json")
    except (ImportError, ValueError):  # no huggingface_hub, or not a valid hub id
        return None
    return Path(cached).parent.name if isinstance(cached, str) else None
