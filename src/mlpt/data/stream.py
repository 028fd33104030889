"""Reading a large JSON file as a stream, whatever its shape (:func:`iter_json_rows`): one JSON
array of objects or JSON Lines, memory holding one row at a time."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

from .common import SourceError

#: The longest line a JSON Lines file may have. No row of a math dataset comes near it; a longer
#: line means the file is neither shape :func:`iter_json_rows` reads (one object spanning the
#: whole file, say), and reading on would hold all of it in memory.
MAX_ROW_BYTES = 16 * 2**20
_JSON_SPACE = b" \t\r\n"


def _first_byte(fh) -> bytes:
    """The first byte of an open binary file that is not JSON white space (b"" for none), the file
    left positioned at its start, after a UTF-8 byte-order mark if it has one."""
    start = len(codecs.BOM_UTF8) if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
    fh.seek(start)
    while True:
        byte = fh.read(1)
        if not byte or byte not in _JSON_SPACE:
            break
    fh.seek(start)
    return byte


def _row_object(obj: object, where: str) -> dict:
    if not isinstance(obj, dict):
        raise SourceError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _array_rows(fh, where: str) -> Iterator[tuple[str, dict]]:
    """The objects of a file holding one JSON array, item by item (``ijson``'s C parser)."""
    import ijson

    row = -1
    try:
        for row, obj in enumerate(ijson.items(fh, "item", use_float=True)):
            yield f"{where}: row {row}", _row_object(obj, f"{where}: row {row}")
    except ijson.JSONError as err:
        raise SourceError(f"{where}: not valid JSON after row {row} ({err})") from None


def _json_lines_rows(fh, where: str) -> Iterator[tuple[str, dict]]:
    """The objects of a JSON Lines file, line by line (blank lines skipped), no line longer than
    :data:`MAX_ROW_BYTES`."""
    row = 0
    for lineno, line in enumerate(iter(lambda: fh.readline(MAX_ROW_BYTES + 1), b""), start=1):
        if len(line) > MAX_ROW_BYTES:
            raise SourceError(f"{where}:{lineno}: a line longer than {MAX_ROW_BYTES:,} bytes: the file is neither one "
                              "JSON array nor JSON Lines (one object per line)")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SourceError(f"{where}:{lineno}: not valid JSON ({err}); the file is read as one JSON array or as "
                              "JSON Lines (one object per line)") from None
        yield f"{where}: row {row}", _row_object(obj, f"{where}:{lineno}")
        row += 1


def iter_json_rows(path: str | Path, where: str | None = None) -> Iterator[tuple[str, dict]]:
    """(``<where>: row <i>``, object) for every row of a JSON file, read as a stream whatever its
    shape: one JSON array of objects (read item by item with ``ijson``), or JSON Lines (one object
    per line). Memory holds one row and a read buffer at a time, never the file: ``datasets`` would
    read an array whole, and mCoT-MATH's file is about 12 GB of text. ``where`` names the file in
    messages (default: its path); rows count from 0 in either shape."""
    where = where or str(path)
    with open(path, "rb") as fh:
        if _first_byte(fh) == b"[":
            yield from _array_rows(fh, where)
        else:
            yield from _json_lines_rows(fh, where)
