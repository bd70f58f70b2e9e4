"""The .safetensors writer and reader: round trips, layout, bf16 rounding, validation."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from weft.dtypes import bf16_bits_to_float, float_to_bf16_bits, round_to_dtype
from weft.safetensors import SafetensorsError, load_file, load_file_with_dtypes, read_header, save_file


def _random_tensors(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "a.f64": rng.normal(size=(3, 5)),
        "b.f32": rng.normal(size=(7,)).astype(np.float32),
        "c.f16": rng.normal(size=(2, 3, 4)).astype(np.float16),
        "d.i32": rng.integers(-2**31, 2**31, size=(4, 1), dtype=np.int32),
        "e.i64": rng.integers(-2**62, 2**62, size=(5,), dtype=np.int64),
        "f.scalar": np.array(rng.normal(), dtype=np.float32),
        "g.empty": np.zeros((0, 3), dtype=np.float32),
    }


def test_round_trip_every_dtype(tmp_path: Path, rng: np.random.Generator) -> None:
    tensors = _random_tensors(rng)
    tensors["h.bf16"] = rng.normal(size=(3, 3)).astype(np.float32)
    path = tmp_path / "t.safetensors"
    save_file(tensors, path, dtypes={"h.bf16": "bf16"}, metadata={"format": "pt"})
    loaded = load_file_with_dtypes(path)
    assert list(loaded) == list(tensors)
    for name, x in tensors.items():
        dtype, y = loaded[name]
        if name == "h.bf16":
            assert dtype == "bf16" and y.dtype == np.float32
            assert np.array_equal(y, round_to_dtype(x, "bf16"))
            assert np.abs(y - x).max() <= np.abs(x).max() * 2**-8
        else:
            assert y.dtype == x.dtype and y.shape == x.shape
            assert np.array_equal(y, x), name
    _, metadata, _ = read_header(path)
    assert metadata == {"format": "pt"}


def test_one_dtype_for_every_float_tensor(tmp_path: Path, rng: np.random.Generator) -> None:
    x = rng.normal(size=(4, 4))
    ids = rng.integers(0, 100, size=(4,), dtype=np.int32)
    path = tmp_path / "t.safetensors"
    save_file({"x": x, "ids": ids}, path, dtypes="f16")
    infos, _, _ = read_header(path)
    assert infos["x"].dtype == "f16" and infos["ids"].dtype == "i32"
    assert np.array_equal(load_file(path)["x"], x.astype(np.float16))


def test_layout_matches_huggingface(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "t.safetensors"
    tensors = {"w": rng.normal(size=(2, 3)).astype(np.float32), "b": rng.normal(size=(3,)).astype(np.float16)}
    save_file(tensors, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0, "data must start 8-byte aligned"
    header_text = raw[8:8 + n].decode()
    json_text = header_text.rstrip(" ")
    assert json_text.endswith("}") and len(header_text) - len(json_text) < 8, "expected JSON padded by < 8 spaces"
    header = json.loads(header_text)
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["b"] == {"dtype": "F16", "shape": [3], "data_offsets": [24, 30]}
    assert raw[8 + n:8 + n + 24] == tensors["w"].astype("<f4").tobytes()
    assert len(raw) == 8 + n + 30


def test_bf16_rounding_matches_torch(rng: np.random.Generator) -> None:
    x = np.concatenate([
        rng.normal(size=1000).astype(np.float32),
        rng.normal(scale=1e30, size=100).astype(np.float32),
        rng.normal(scale=1e-39, size=100).astype(np.float32),  # subnormals
        np.array([0.0, -0.0, np.inf, -np.inf, 3.4028235e38, -3.4028235e38, 1e-45], dtype=np.float32),
        # Exact ties: 1 + 2^-8 (rounds down to even 1.0) and 1 + 3*2^-8 (up to 1 + 2^-6).
        np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8)], dtype=np.float32),
    ])
    ours = float_to_bf16_bits(x)
    theirs = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(ours, theirs)
    assert bf16_bits_to_float(ours[-3:]).tolist() == [1.0, 1 + 2**-6, -1.0]


def test_bf16_nan_stays_nan() -> None:
    bits = float_to_bf16_bits(np.array([np.nan, -np.nan], dtype=np.float32))
    values = bf16_bits_to_float(bits)
    assert np.isnan(values).all()


def test_bf16_bits_written_as_given(tmp_path: Path) -> None:
    bits = np.array([0x3F80, 0xC000, 0x7F80], dtype=np.uint16)
    path = tmp_path / "t.safetensors"
    save_file({"x": bits}, path, dtypes="bf16")
    assert load_file(path)["x"].tolist() == [1.0, -2.0, np.inf]
    with pytest.raises(ValueError, match="uint16"):
        save_file({"x": bits}, path)


def test_atomic_write_leaves_no_temporaries_and_keeps_old_file(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "t.safetensors"
    x = rng.normal(size=(3,))
    save_file({"x": x}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_file({"x": x, "bad": np.array(["a", "b"])}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.safetensors"]


def test_write_rejects_lossy_conversions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^tensor 'x': expected integer values for i32, got float64$"):
        save_file({"x": np.ones(3)}, tmp_path / "t.safetensors", dtypes={"x": "i32"})
    with pytest.raises(ValueError, match="^tensor 'x': value 1099511627776 outside the i32 range"):
        save_file({"x": np.array([2**40])}, tmp_path / "t.safetensors", dtypes={"x": "i32"})
    with pytest.raises(ValueError, match="^tensor 'x': expected floating-point values for f16, got int32$"):
        save_file({"x": np.ones(3, np.int32)}, tmp_path / "t.safetensors", dtypes={"x": "f16"})
    assert not (tmp_path / "t.safetensors").exists()


def _write_raw(path: Path, header: dict, data: bytes) -> None:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


@pytest.mark.parametrize("header, data, message", [
    ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "offsets"),
    ({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "expected 12"),
    ({"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "unsupported dtype"),
    ({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}, b"", "shape"),
    ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "y": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\0" * 8, "starts at"),
    ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8, "cover 4 bytes"),
    ({"x": {"dtype": "F32", "shape": [1]}}, b"", "keys"),
])
def test_reader_validates_header(tmp_path: Path, header: dict, data: bytes, message: str) -> None:
    path = tmp_path / "bad.safetensors"
    _write_raw(path, header, data)
    with pytest.raises(SafetensorsError, match=message):
        load_file(path)


def test_reader_rejects_truncated_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x05\0\0")
    with pytest.raises(SafetensorsError, match="too short"):
        load_file(path)
    path.write_bytes(struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(SafetensorsError, match="exceeds"):
        load_file(path)
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    with pytest.raises(SafetensorsError, match="object"):
        load_file(path)
