#!/usr/bin/env python3
"""Plot the attention benchmark's TFLOP/s as an SVG, with no plotting library.

    python3 benchmarks/gpu/plot.py attention.json attention.svg

One panel per (dtype, head dim, causal): TFLOP/s against the sequence length
(B·S fixed) for Weft and each baseline the JSON holds (benchmarks/gpu/
attention.py writes it). The GPU machine need not have matplotlib.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

SERIES = (("weft", "Weft", "#d62728"), ("flash2", "SDPA FlashAttention-2", "#1f77b4"),
          ("cudnn", "SDPA cuDNN", "#2ca02c"), ("triton", "Triton", "#9467bd"))
PANEL_W, PANEL_H, MARGIN = 300, 210, 46


def panel(rows: list[dict], title: str, x0: float, y0: float, top: float) -> list[str]:
    seqs = sorted({r["seq"] for r in rows})
    lo, hi = math.log2(seqs[0]), math.log2(seqs[-1]) if len(seqs) > 1 else math.log2(seqs[0]) + 1
    w, h = PANEL_W - MARGIN - 10, PANEL_H - MARGIN - 20
    px = lambda s: x0 + MARGIN + (math.log2(s) - lo) / (hi - lo) * w  # noqa: E731
    py = lambda t: y0 + 20 + h - t / top * h  # noqa: E731
    out = [f'<text x="{x0 + PANEL_W / 2}" y="{y0 + 12}" text-anchor="middle" font-size="12">{title}</text>',
           f'<rect x="{x0 + MARGIN}" y="{y0 + 20}" width="{w}" height="{h}" fill="none" stroke="#888"/>']
    for i in range(5):
        t = top * i / 4
        out.append(f'<text x="{x0 + MARGIN - 4}" y="{py(t) + 4}" text-anchor="end" font-size="10">{t:.0f}</text>')
        out.append(f'<line x1="{x0 + MARGIN}" x2="{x0 + MARGIN + w}" y1="{py(t)}" y2="{py(t)}" stroke="#eee"/>')
    for s in seqs:
        label = f"{s // 1024}k" if s >= 1024 else str(s)
        out.append(f'<text x="{px(s)}" y="{y0 + 20 + h + 14}" text-anchor="middle" font-size="10">{label}</text>')
    for key, _, color in SERIES:
        points = [(px(r["seq"]), py(r[f"{key}_tflops"])) for r in sorted(rows, key=lambda r: r["seq"])
                  if r.get(f"{key}_tflops")]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in points]
    return out


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = json.loads(Path(sys.argv[1]).read_text())
    rows = [r for r in data["rows"] if "error" not in r]
    if not rows:
        print("plot.py: error: no successful rows to plot", file=sys.stderr)
        return 1
    kinds = sorted({(r["dtype"], r["dim"], r["causal"]) for r in rows})
    top = max(r.get(f"{key}_tflops") or 0 for r in rows for key, _, _ in SERIES)
    top = math.ceil(top / 50) * 50 or 50
    cols = 4
    nrows = math.ceil(len(kinds) / cols)
    width, height = cols * PANEL_W, nrows * PANEL_H + 60
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">Attention forward, TFLOP/s vs sequence length '
           f'(B·S = 16k, H·D = 2048), {data.get("device", "")}</text>']
    for i, (dtype, dim, causal) in enumerate(kinds):
        subset = [r for r in rows if (r["dtype"], r["dim"], r["causal"]) == (dtype, dim, causal)]
        svg += panel(subset, f"{dtype}, D={dim}, {'causal' if causal else 'full'}",
                     (i % cols) * PANEL_W, 26 + (i // cols) * PANEL_H, top)
    for i, (_, name, color) in enumerate(SERIES):
        x = 10 + i * 200
        svg.append(f'<line x1="{x}" x2="{x + 20}" y1="{height - 14}" y2="{height - 14}" stroke="{color}" stroke-width="3"/>')
        svg.append(f'<text x="{x + 26}" y="{height - 10}" font-size="12">{name}</text>')
    svg.append("</svg>")
    Path(sys.argv[2]).write_text("\n".join(svg) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
