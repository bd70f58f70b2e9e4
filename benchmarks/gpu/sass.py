#!/usr/bin/env python3
"""Count tensor-core instructions in the cubins of compiled artifacts.

    python3 benchmarks/gpu/sass.py ARTIFACT.weft... [--require HMMA]

Takes each artifact's ``cubin`` section out (the container layout is in
docs/artifact.md), disassembles it with ``cuobjdump -sass`` and prints, per
kernel, how many HMMA (mma.sync on sm_80 and sm_90) and HGMMA (warpgroup
MMA, sm_90) instructions it holds. With ``--require OPCODE`` it fails unless
every artifact's attention kernel holds at least one. Runs where the CUDA
toolkit's cuobjdump is (the GPU machine); needs nothing else.
"""
from __future__ import annotations

import argparse
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

MAGIC = b"WEFTART\0"
OPCODES = ("HMMA", "HGMMA")


def read_section(path: Path, wanted: str) -> bytes:
    data = path.read_bytes()
    if len(data) < 16 or data[:8] != MAGIC:
        raise ValueError(f"{path}: not a .weft artifact (bad magic)")
    _version, count = struct.unpack_from("<II", data, 8)
    if not 1 <= count <= 64 or 16 + 32 * count > len(data):
        raise ValueError(f"{path}: bad section count {count}")
    for i in range(count):
        raw_name, offset, size, _reserved = struct.unpack_from("<8sQQQ", data, 16 + 32 * i)
        if raw_name.rstrip(b"\0").decode("ascii") == wanted:
            if offset + size > len(data):
                raise ValueError(f"{path}: section {wanted} runs past the end of the file")
            return data[offset:offset + size]
    raise ValueError(f"{path}: no {wanted} section")


def count_opcodes(cuobjdump: str, cubin: bytes) -> dict[str, dict[str, int]]:
    """{kernel: {opcode: count}} from cuobjdump -sass."""
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(cubin)
        f.flush()
        sass = subprocess.run([cuobjdump, "-sass", f.name], check=True, capture_output=True,
                              text=True).stdout
    counts: dict[str, dict[str, int]] = {}
    kernel = None
    for line in sass.splitlines():
        match = re.match(r"\s*Function : (\S+)", line)
        if match:
            kernel = match.group(1)
            counts[kernel] = {op: 0 for op in OPCODES}
            continue
        if kernel is None:
            continue
        for op in OPCODES:
            # The opcode is the first word of an instruction, after the
            # address comment and an optional predicate.
            if re.search(rf"\*/\s+(@!?U?P\w+\s+)?{op}\.", line):
                counts[kernel][op] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", nargs="+", type=Path)
    parser.add_argument("--require", choices=OPCODES,
                        help="fail unless each artifact's attention kernel holds this opcode")
    args = parser.parse_args()
    cuobjdump = shutil.which("cuobjdump") or "/usr/local/cuda/bin/cuobjdump"
    if not Path(cuobjdump).exists():
        print("sass.py: error: cuobjdump not found (install the CUDA toolkit)", file=sys.stderr)
        return 2
    failed = 0
    for path in args.artifacts:
        try:
            counts = count_opcodes(cuobjdump, read_section(path, "cubin"))
        except (ValueError, subprocess.CalledProcessError) as error:
            print(f"sass.py: error: {error}", file=sys.stderr)
            failed += 1
            continue
        for kernel, ops in counts.items():
            print(f"{path.name}: {kernel}: " + ", ".join(f"{op} {n}" for op, n in ops.items()))
        if args.require:
            attention = [ops for kernel, ops in counts.items() if kernel.startswith("attention_mma")]
            if not attention or any(ops[args.require] == 0 for ops in attention):
                print(f"sass.py: error: {path}: no {args.require} in an attention kernel", file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
