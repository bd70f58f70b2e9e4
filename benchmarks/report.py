"""What the benchmarks share: the machine they ran on, and how they write
their results into docs/benchmarks.md (each owns one marked section)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, or what the platform module knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def markers(name: str) -> tuple[str, str]:
    """The comments that open and close section `name`."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def replace_section(text: str, name: str, body: str, heading: str, intro: str) -> str:
    """`text` with section `name` holding `body`; a missing section is
    appended under `heading` and `intro`."""
    begin, end = markers(name)
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        return text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    return text.rstrip("\n") + f"\n\n## {heading}\n\n{intro}\n\n{block}\n"


def write_section(path: Path, name: str, body: str, heading: str, intro: str) -> None:
    """Rewrites section `name` of the markdown file at `path` (created if
    missing)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, name, body, heading, intro))
