"""Reads and writes the ``.weft`` container (docs/artifact.md) in Python.

The runtime is the artifact's real reader; this module exists to inspect an
artifact's manifest without loading its code, and to assemble artifacts by
hand in tests (a manifest plus a host library built from C), so that the
runtime and the runner can be tested before the compiler emits artifacts.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from weft.fileutil import atomic_write

MAGIC: Final[bytes] = b"WEFTART\0"
VERSION: Final[int] = 1
SECTION_ALIGN: Final[int] = 64
MAX_SECTIONS: Final[int] = 64
_HEADER = struct.Struct("<8sII")
_ENTRY = struct.Struct("<8sQQQ")


class ArtifactError(ValueError):
    """A file is not a well-formed ``.weft`` container."""


def write(path: str | os.PathLike[str], sections: Mapping[str, bytes]) -> None:
    """Writes ``sections`` (name -> bytes, in order) as a container, atomically."""
    if not 1 <= len(sections) <= MAX_SECTIONS:
        raise ValueError(f"expected 1 to {MAX_SECTIONS} sections, got {len(sections)}")
    table_end = _HEADER.size + _ENTRY.size * len(sections)
    offset = table_end
    layout = []
    for name, data in sections.items():
        raw_name = name.encode("ascii")
        if not 1 <= len(raw_name) <= 8 or b"\0" in raw_name:
            raise ValueError(f"invalid section name {name!r}: 1 to 8 ASCII characters")
        offset += -offset % SECTION_ALIGN
        layout.append((raw_name, offset, data))
        offset += len(data)
    out = bytearray(_HEADER.pack(MAGIC, VERSION, len(sections)))
    for raw_name, off, data in layout:
        out += _ENTRY.pack(raw_name.ljust(8, b"\0"), off, len(data), 0)
    for _, off, data in layout:
        out += b"\0" * (off - len(out))
        out += data
    atomic_write(path, lambda f: f.write(out))


def read(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every section of a container, checked as docs/artifact.md asks."""
    data = Path(path).read_bytes()
    if len(data) < _HEADER.size:
        raise ArtifactError(f"{path}: {len(data)} bytes is too short for a weft artifact")
    magic, version, count = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ArtifactError(f"{path}: not a weft artifact (bad magic)")
    if version != VERSION:
        raise ArtifactError(f"{path}: container version {version}, expected {VERSION}")
    if not 1 <= count <= MAX_SECTIONS or _HEADER.size + count * _ENTRY.size > len(data):
        raise ArtifactError(f"{path}: section count {count} invalid for a file of {len(data)} bytes")
    sections: dict[str, bytes] = {}
    spans = []
    for i in range(count):
        raw_name, off, size, _ = _ENTRY.unpack_from(data, _HEADER.size + i * _ENTRY.size)
        name = raw_name.rstrip(b"\0").decode("ascii", "replace")
        if name in sections:
            raise ArtifactError(f"{path}: duplicate section {name!r}")
        if off + size > len(data):
            raise ArtifactError(f"{path}: section {name!r} ends at {off + size}, past the file's {len(data)} bytes")
        spans.append((off, off + size, name))
        sections[name] = data[off:off + size]
    spans.sort()
    for (_, end, a), (begin, _, b) in zip(spans, spans[1:]):
        if begin < end:
            raise ArtifactError(f"{path}: sections {a!r} and {b!r} overlap")
    return sections


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``manifest`` section of an artifact."""
    sections = read(path)
    if "manifest" not in sections:
        raise ArtifactError(f"{path}: no manifest section")
    return json.loads(sections["manifest"].decode("utf-8"))
