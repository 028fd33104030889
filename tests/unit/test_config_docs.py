"""config/README.md documents every key of both config schemas, and every schema property says
what it is (a ``description``).

The walk: every entry of a ``properties`` map is a key; its path joins the keys with dots, a map
entry (``additionalProperties``/``patternProperties``) is ``<name>`` and an array item ``[]``
(``cluster.sft[].mem_mb``, ``translation.llm.few_shot.<name>[].source``). References inside a
schema (``#/$defs/...``) are walked, and so are the keywords beside them; study B's references
into ``config.schema.yaml`` (the sections shared with study A) are not walked again: study A's
walk covers their sub-keys. A property whose schema is ``false`` (a key refused there, e.g. one
of a shared definition that one use of it forbids) is no key.

The rule for "documented": config/README.md's key tables (the first column of every table whose
header is ``| key | meaning |``) are read, study A's tables before the ``## Study B`` heading and
study B's after it. Any ``<...>`` placeholder matches any other (``languages.<code>`` is
``languages.<name>``) and ``[]`` is ignored. A key is documented when

1. its path is, or begins, one of the backticked names in a row's key cell (a row for
   ``languages.<code>`` documents ``languages`` too), or
2. the row of its nearest ancestor that has a row of its own mentions the key's name in
   backticks, as a word or as the last part of a dotted name (`` `epochs` `` in a ``sft`` row
   documents ``sft.epochs``; a row for ``sft.selection`` documents ``sft.selection`` itself and
   takes over from the ``sft`` row for its sub-keys).

A key cell may add plain words after its names (``| `preflight`: record | ...``) to continue a
long row in the next one.

Every table cell of config/README.md stays under ``MAX_CELL_CHARS`` so the tables stay readable:
split a long row into one row per sub-key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlpt.yaml_files import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "src" / "mlpt" / "schemas"
CONFIG_README = ROOT / "config" / "README.md"
MAX_CELL_CHARS = 600
STUDY_B_HEADING = "## Study B"
#: the record schemas, which have properties but no README table
RECORD_SCHEMAS = ("eval_doc", "example", "train_record")


def _pointer(root: dict, pointer: str):
    node = root
    for part in pointer.strip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _schema(name: str) -> dict:
    return load_yaml(SCHEMA_DIR / name)


def schema_keys(file: str) -> dict[str, str]:
    """``{dotted path: description}`` of every property of the schema ``file`` (``""`` where it has
    none). A property described only where its ``$ref`` points takes that description. A
    ``$ref`` and the keywords beside it both apply, so both are walked. A property whose schema
    is ``false`` (a key refused there) or ``true`` is no key."""
    root = _schema(file)
    keys: dict[str, str] = {}
    refused: set[str] = set()

    def target(ref: str) -> tuple[dict | bool, bool]:
        """The schema ``ref`` names, and whether it lies in another file."""
        other, _, pointer = ref.partition("#")
        return _pointer(_schema(other) if other else root, pointer), bool(other)

    def description(node) -> str:
        while isinstance(node, dict):
            if str(node.get("description", "")).strip():
                return str(node["description"]).strip()
            if not isinstance(node.get("$ref"), str):
                break
            node, _ = target(node["$ref"])
        return ""

    def walk(node, path: str) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$ref"), str):
            referenced, external = target(node["$ref"])
            if not external:
                walk(referenced, path)
        for key, sub in (node.get("properties") or {}).items():
            child = f"{path}.{key}" if path else key
            if isinstance(sub, bool):
                refused.update([] if sub else [child])
                continue
            keys[child] = keys.get(child) or description(sub)
            walk(sub, child)
        for sub in [node.get("additionalProperties"), *(node.get("patternProperties") or {}).values()]:
            walk(sub, f"{path}.<name>")
        walk(node.get("items"), f"{path}[]")
        for keyword in ("oneOf", "anyOf", "allOf"):
            for sub in node.get(keyword) or []:
                walk(sub, path)

    walk(root, "")
    return {path: text for path, text in keys.items() if path not in refused}


def _normal(path: str) -> str:
    return re.sub(r"<[^>]*>", "<>", path).replace("[]", "")


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of every table in ``text`` (header and rule rows left out)."""
    rows, in_table = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if not in_table:  # the header
            in_table = True
            rows.append(["<header>"] + cells)
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        rows.append(cells)
    return rows


def key_rows(text: str) -> list[tuple[set[str], str]]:
    """``(the normalised key paths named in the key cell, the whole row)`` of every row of every
    ``| key | meaning |`` table."""
    out, keyed = [], False
    for row in table_rows(text):
        if row[0] == "<header>":
            keyed = [cell.lower() for cell in row[1:3]] == ["key", "meaning"]
            continue
        if keyed:
            out.append(({_normal(name) for name in re.findall(r"`([^`]+)`", row[0])}, " | ".join(row)))
    return out


def _mentions(row: str, name: str) -> bool:
    pattern = re.compile(rf"(?<![\w<]){re.escape(name)}(?![\w>.])")
    return any(pattern.search(span) for span in re.findall(r"`([^`]+)`", row))


def undocumented(keys, rows: list[tuple[set[str], str]]) -> list[str]:
    by_key: dict[str, list[str]] = {}
    for names, row in rows:
        for name in names:
            by_key.setdefault(name, []).append(row)
    missing = []
    for path in keys:
        normal = _normal(path)
        if any(name == normal or name.startswith(normal + ".") for name in by_key):
            continue
        parts = normal.split(".")
        leaf = path.split(".")[-1].replace("[]", "")
        for cut in range(len(parts) - 1, 0, -1):
            ancestor = ".".join(parts[:cut])
            if ancestor in by_key:
                if not any(_mentions(row, leaf) for row in by_key[ancestor]):
                    missing.append(f"{path} (not in the `{ancestor}` row)")
                break
        else:
            missing.append(f"{path} (no row for it or a parent)")
    return missing


def readme_parts() -> tuple[str, str]:
    text = CONFIG_README.read_text(encoding="utf-8")
    assert STUDY_B_HEADING + "\n" in text, f"config/README.md has no '{STUDY_B_HEADING}' section"
    study_a, _, study_b = text.partition(STUDY_B_HEADING + "\n")
    return study_a, study_b


SCHEMAS = ("config.schema.yaml", "spontaneous.schema.yaml") + tuple(f"{name}.schema.yaml" for name in RECORD_SCHEMAS)


@pytest.mark.parametrize("file", SCHEMAS)
def test_every_schema_property_has_a_description(file):
    keys = schema_keys(file)
    assert keys
    missing = [path for path, text in keys.items() if not text]
    assert not missing, f"{file}: properties without a description: {missing}"


@pytest.mark.parametrize("file, part", [("config.schema.yaml", 0), ("spontaneous.schema.yaml", 1)])
def test_config_readme_documents_every_schema_key(file, part):
    section = readme_parts()[part]
    missing = undocumented(schema_keys(file), key_rows(section))
    where = "before" if part == 0 else "under"
    assert not missing, (
        f"config/README.md ({where} '{STUDY_B_HEADING}') does not document these keys of {file}: {missing}")


def test_config_readme_table_cells_stay_readable():
    long = [
        f"row '{row[0][:60]}': a cell of {len(cell)} characters"
        for row in table_rows(CONFIG_README.read_text(encoding="utf-8"))
        for cell in row if len(cell) > MAX_CELL_CHARS]
    assert not long, f"config/README.md: split these rows (cells over {MAX_CELL_CHARS} characters): {long}"


def test_the_walk_and_the_rule():
    """The walk names map entries, array items and study B's shared sections as the docstring
    says; the rule accepts a full path or a leaf in its nearest ancestor's row, and nothing else."""
    a = schema_keys("config.schema.yaml")
    assert {"tasks.<name>.sft.min_steps", "cluster.sft[].mem_mb", "cluster.plan.mfu",
            "translation.llm.few_shot.<name>[].source", "models.<name>.tiny.like"} <= set(a)
    b = schema_keys("spontaneous.schema.yaml")
    assert {"analysis.lens.limit", "mixtures[].pairs", "sft", "tasks.<name>.sft"} <= set(b)
    assert not any(path.startswith(("sft.", "cluster.")) for path in b)  # study A's, walked there
    rows = key_rows("| key | meaning |\n|---|---|\n| `sft` | `epochs`, `lr` |\n"
                    "| `sft.selection` | `last` |\n| `languages.<code>` | `name` |\n")
    keys = ["sft", "sft.epochs", "sft.selection", "languages.<name>.name"]
    assert undocumented(keys, rows) == []
    assert undocumented(["sft.warmup", "sft.selection.x", "other"], rows) == [
        "sft.warmup (not in the `sft` row)", "sft.selection.x (not in the `sft.selection` row)",
        "other (no row for it or a parent)"]
    assert _mentions("`{epochs: 2}` `sft.epochs`", "epochs")
    assert not _mentions("`sft.epochsx` `<epochs>` `epochs.x` epochs", "epochs")
