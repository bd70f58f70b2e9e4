#!/usr/bin/env python3
"""Count tensor-core instructions in the cubins of compiled artifacts.

    python3 benchmarks/gpu/sass.py ARTIFACT.weft... [--require HMMA]

Takes each artifact's ``cubin`` section out (the container layout is in
docs/artifact.md), disassembles it with ``cuobjdump -sass`` and prints, per
kernel, how many HMMA (mma.sync on sm_80 and sm_90) and HGMMA (warpgroup
MMA, sm_90) instructions it holds. With ``--require OPCODE`` it fails unless
every kernel named ``--kernels PREFIX*`` (default: the attention kernels)
holds at least one.

cuobjdump is looked for in $WEFT_CUOBJDUMP, on PATH, in the CUDA toolkit and
where ``./build.sh test`` installs one (/opt/weft/cuda-disassembler, taken
from Debian's CUDA 11.8 package when the toolkit has none). Newer toolkits
(CUDA 13's ptxas among them) write a second encoding of the ELF header's
architecture fields (ABI version 8), which an older cuobjdump rejects; it is
then given a copy whose header says the same in the first encoding (ABI
version 7). The instructions are untouched: their encoding for sm_80 and
sm_90 is the same in both.
"""
from __future__ import annotations

import argparse
import os
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


# ELF header fields of a cubin (64-bit ELF): OS ABI, ABI version, e_flags.
EI_OSABI, EI_ABIVERSION, E_FLAGS = 7, 8, 48
OSABI_CUDA, OSABI_CUDA_V2 = 0x33, 0x41
# e_flags, first encoding: the SM in bits 0-7 and again as the virtual SM in
# bits 16-23, 'a' (sm_90a) in bit 11; second: the SM in bits 8-15, 'a' in bit 3.
FLAG_TEXMODE_UNIFIED, FLAG_64BIT_ADDRESS, FLAG_ACCELERATORS_V1 = 0x100, 0x400, 0x800
FLAG_ACCELERATORS_V2 = 0x8

DISASSEMBLER_DIR = Path("/opt/weft/cuda-disassembler/bin")


def find_cuobjdump(cuda_path: str | None = None) -> str | None:
    """The first cuobjdump that exists, in the order the docstring gives."""
    candidates = [os.environ.get("WEFT_CUOBJDUMP"), shutil.which("cuobjdump")]
    if cuda_path:
        candidates.append(str(Path(cuda_path) / "bin" / "cuobjdump"))
    candidates += ["/usr/local/cuda/bin/cuobjdump", str(DISASSEMBLER_DIR / "cuobjdump")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def with_v1_header(cubin: bytes) -> bytes | None:
    """The cubin with its ELF header in the pre-12.8 encoding, or None when
    it already is (or is not a CUDA ELF file)."""
    if len(cubin) < 64 or cubin[:4] != b"\x7fELF" or cubin[EI_OSABI] != OSABI_CUDA_V2:
        return None
    (flags,) = struct.unpack_from("<I", cubin, E_FLAGS)
    sm = (flags >> 8) & 0xFF
    v1 = sm | (sm << 16) | FLAG_TEXMODE_UNIFIED | FLAG_64BIT_ADDRESS
    if flags & FLAG_ACCELERATORS_V2:
        v1 |= FLAG_ACCELERATORS_V1
    copy = bytearray(cubin)
    copy[EI_OSABI], copy[EI_ABIVERSION] = OSABI_CUDA, 7
    struct.pack_into("<I", copy, E_FLAGS, v1)
    return bytes(copy)


def disassemble(cuobjdump: str, cubin: bytes) -> str:
    """cuobjdump -sass of the cubin; retried with the earlier header encoding
    when this cuobjdump predates the cubin's."""
    def run(image: bytes) -> subprocess.CompletedProcess:
        with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
            f.write(image)
            f.flush()
            return subprocess.run([cuobjdump, "-sass", f.name], capture_output=True, text=True)

    result = run(cubin)
    if result.returncode != 0 and (v1 := with_v1_header(cubin)) is not None:
        result = run(v1)
    if result.returncode != 0:
        raise ValueError(f"{cuobjdump} -sass failed: {result.stderr.strip()}")
    return result.stdout


def count_opcodes(cuobjdump: str, cubin: bytes) -> dict[str, dict[str, int]]:
    """{kernel: {opcode: count}} from cuobjdump -sass."""
    sass = disassemble(cuobjdump, cubin)
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
                        help="fail unless each artifact's selected kernels hold this opcode")
    parser.add_argument("--kernels", default="attention_mma", metavar="PREFIX",
                        help="the kernels --require looks at (default: attention_mma)")
    args = parser.parse_args()
    cuobjdump = find_cuobjdump()
    if cuobjdump is None:
        print("sass.py: error: cuobjdump not found (set WEFT_CUOBJDUMP, or run ./build.sh test "
              "as root to install one)", file=sys.stderr)
        return 2
    failed = 0
    for path in args.artifacts:
        try:
            counts = count_opcodes(cuobjdump, read_section(path, "cubin"))
        except ValueError as error:
            print(f"sass.py: error: {error}", file=sys.stderr)
            failed += 1
            continue
        for kernel, ops in counts.items():
            print(f"{path.name}: {kernel}: " + ", ".join(f"{op} {n}" for op, n in ops.items()))
        if args.require:
            selected = [ops for kernel, ops in counts.items() if kernel.startswith(args.kernels)]
            if not selected or any(ops[args.require] == 0 for ops in selected):
                print(f"sass.py: error: {path}: no {args.require} in some {args.kernels}* kernel",
                      file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
