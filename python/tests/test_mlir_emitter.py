"""The xf emitter: literal formatting, type inference, and weft-opt acceptance of every op."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import run_weft_opt
from weft.mlir import FunctionBuilder, ShapeError, TensorType, broadcast_shapes, format_dense, format_float, \
    format_string, module_text


@pytest.mark.parametrize("value, text", [
    (1e-5, "1.0e-05"), (1e-6, "1.0e-06"), (10000.0, "10000.0"), (0.125, "0.125"), (5e5, "500000.0"),
    (1e16, "1.0e+16"), (2.5e-7, "2.5e-07"),
])
def test_format_float_has_decimal_point_and_round_trips(value: float, text: str) -> None:
    assert format_float(value) == text
    assert float(format_float(value)) == value


def test_format_float_rejects_non_finite() -> None:
    with pytest.raises(ValueError):
        format_float(float("inf"))


def test_format_string_escapes() -> None:
    assert format_string('a"b\\c') == '"a\\"b\\\\c"'
    assert format_string("é\n") == '"\\C3\\A9\\0A"'


def test_format_dense_nested_and_splat() -> None:
    assert format_dense(np.arange(3)) == "[0, 1, 2]"
    assert format_dense(np.arange(4).reshape(2, 2)) == "[[0, 1], [2, 3]]"
    assert format_dense(np.full((3, 2), 7)) == "7"
    assert format_dense(np.array([0.5, 1.0])) == "[0.5, 1.0]"


def test_tensor_type_text() -> None:
    assert str(TensorType((1, 16, 768), "f32")) == "tensor<1x16x768xf32>"
    assert str(TensorType((), "bf16")) == "tensor<bf16>"


def test_broadcast_shapes() -> None:
    assert broadcast_shapes((2, 16, 8), (16, 8)) == (2, 16, 8)
    assert broadcast_shapes((2, 1, 8), (1, 5, 1)) == (2, 5, 8)
    with pytest.raises(ShapeError):
        broadcast_shapes((2, 3), (4,))


def _every_op_function(dtype: str) -> FunctionBuilder:
    """One function using every xf op and every optional part of their syntax."""
    fb = FunctionBuilder("every_op")
    ids = fb.arg("ids", (2, 4), "i64", role="input")
    pos = fb.arg("positions", (2, 4), "i32", role="input")
    table = fb.arg("table", (10, 16), dtype, role="weight")
    w = fb.arg("w", (16, 24), dtype, role="weight")
    b = fb.arg("b", (24,), dtype, role="weight")
    g = fb.arg("g", (16,), dtype, role="weight")
    x = fb.embedding(table, ids)
    x = fb.layer_norm(x, g, g, 1e-5)
    x = fb.rms_norm(x, g, 1e-6)
    qkv = fb.linear(x, w, b)
    q, k, v = fb.split(qkv, 2, [8, 8, 8], hints=["q", "k", "v"])
    q4 = fb.reshape(q, (2, 4, 2, 4))
    k4 = fb.reshape(k, (2, 4, 2, 4))
    v4 = fb.reshape(v, (2, 4, 2, 4))
    q4 = fb.rope(q4, 10000.0, positions=pos)
    q4 = fb.rope(q4, 5e5, interleaved=True)
    att = fb.attention(q4, k4, v4, causal=True, scale=0.25)
    # Multi-query attention with a value head dim (8) unlike the key's (4).
    k1, _ = fb.split(k4, 2, [1, 1], hints=["k1", "k_rest"])
    v1, _ = fb.split(v4, 2, [1, 1], hints=["v1", "v_rest"])
    att = fb.attention(att, k1, fb.concat([v1, v1], dim=3))
    t = fb.transpose(att, (0, 2, 1, 3))
    s = fb.matmul(t, t, transpose_rhs=True)
    s = fb.softmax(s, dim=3)
    y = fb.matmul(s, t)
    y = fb.gelu(fb.gelu(y), approximate="tanh")
    y = fb.mul(fb.silu(y), y)
    cat = fb.concat([y, y, fb.add(y, y)], dim=1)
    ids_cat = fb.concat([ids, ids], dim=1)
    c = fb.constant(np.arange(6, dtype=np.int64).reshape(2, 3), "i64")
    fb.ret([cat, ids_cat, c], names=["out", "ids2", "const"])
    return fb


@pytest.mark.parametrize("dtype", ["f16", "bf16", "f32", "f64"])
def test_every_op_verifies(weft_opt, dtype: str) -> None:
    text = module_text([_every_op_function(dtype)], comment="every op")
    out = run_weft_opt(weft_opt, text)
    for op in ("embedding", "layer_norm", "rms_norm", "linear", "split", "reshape", "rope", "attention",
               "transpose", "matmul", "softmax", "gelu", "silu", "mul", "add", "concat"):
        assert f"xf.{op}" in out, op
    assert "positions(" in out and "interleaved" in out and "causal scale = 2.500000e-01" in out
    assert "approximate = tanh" in out and "transpose_rhs" in out
    # Result types came from Python's inference; weft-opt re-infers them
    # (InferTypeOpInterface) and would have rejected a disagreement.
    assert re.search(r"xf\.concat .* dim = 1 : \(tensor<2x2x4x8x\w+>, tensor<2x2x4x8x\w+>, tensor<2x2x4x8x\w+>\) "
                     r"-> tensor<2x6x4x8x\w+>", out)


def test_signature_attributes() -> None:
    fb = FunctionBuilder()
    x = fb.arg("input_ids", (1, 4), "i32", role="input")
    w = fb.arg("transformer.wte.weight", (8, 2), "f32", role="weight")
    fb.ret([fb.embedding(w, x)], names=["logits"])
    text = fb.to_text()
    assert '%input_ids: tensor<1x4xi32> {xf.name = "input_ids", xf.role = "input"}' in text
    assert '{xf.name = "transformer.wte.weight", xf.role = "weight"}' in text
    assert '-> (tensor<1x4x2xf32> {xf.name = "logits"})' in text


def test_ssa_names_are_unique_and_valid() -> None:
    fb = FunctionBuilder()
    x = fb.arg("x y", (2, 2), "f32", role="input")
    a = fb.add(x, x, hint="0abc")
    b = fb.add(a, a, hint="0abc")
    assert x.name == "%x_y" and a.name == "%_0abc" and b.name == "%_0abc_1"


@pytest.mark.parametrize("make, message", [
    (lambda fb, x, w: fb.linear(x, w), "weight"),
    (lambda fb, x, w: fb.add(x, fb.reshape(w, (16, 3))), "broadcastable"),
    (lambda fb, x, w: fb.reshape(x, (5, 5)), "keep"),
    (lambda fb, x, w: fb.softmax(x, dim=3), "dim"),
    (lambda fb, x, w: fb.attention(fb.reshape(x, (1, 2, 3, 4)), fb.reshape(x, (1, 2, 2, 6)),
                                   fb.reshape(x, (1, 2, 2, 6))), "head dim"),
    (lambda fb, x, w: fb.attention(fb.reshape(x, (1, 2, 3, 4)), fb.reshape(x, (1, 3, 2, 4)),
                                   fb.reshape(x, (1, 3, 2, 4))), "divide"),
    (lambda fb, x, w: fb.split(x, 1, [10, 10]), "sum"),
    (lambda fb, x, w: fb.transpose(x, (0, 0, 1)), "permutation"),
    (lambda fb, x, w: fb.rope(fb.reshape(x, (1, 2, 4, 3)), 1e4), "even"),
])
def test_shape_errors_are_raised_in_python(make, message: str) -> None:
    fb = FunctionBuilder()
    x = fb.arg("x", (2, 3, 4), "f32", role="input")
    w = fb.arg("w", (3, 16), "f32", role="weight")
    with pytest.raises(ShapeError, match=message):
        make(fb, x, w)


def test_mixed_element_types_rejected() -> None:
    fb = FunctionBuilder()
    x = fb.arg("x", (2, 4), "f32", role="input")
    w = fb.arg("w", (4, 4), "bf16", role="weight")
    with pytest.raises(ShapeError, match="one element type"):
        fb.linear(x, w)


def test_constants_take_values_of_their_kind(weft_opt) -> None:
    fb = FunctionBuilder()
    f = fb.constant(np.array([1.5, -2.0]), "f32", hint="f")
    # bf16 bit patterns print as the numbers they encode: 0x3FC0 is 1.5.
    b = fb.constant(np.array([0x3FC0, 0xC000], dtype=np.uint16), "bf16", hint="b")
    i = fb.constant(np.array([-2**31, 2**31 - 1]), "i32", hint="i")
    fb.ret([f, b, i], names=["f", "b", "i"])
    text = fb.to_text()
    for line in ("%f = arith.constant dense<[1.5, -2.0]> : tensor<2xf32>",
                 "%b = arith.constant dense<[1.5, -2.0]> : tensor<2xbf16>",
                 "%i = arith.constant dense<[-2147483648, 2147483647]> : tensor<2xi32>"):
        assert line in text
    run_weft_opt(weft_opt, text)
    # MLIR rejects an integer literal for a float type, so integer values for one are an error here.
    with pytest.raises(ValueError, match="^constant 'cst': expected floating-point values for f32, got int64$"):
        fb.constant(np.arange(3), "f32")
    with pytest.raises(ValueError, match="^constant 'cst': expected integer values for i64, got float64$"):
        fb.constant(np.ones(3), "i64")
    with pytest.raises(ValueError, match="^constant 'cst': value 2147483648 outside the i32 range"):
        fb.constant(np.array([2**31]), "i32")


def test_argument_errors() -> None:
    fb = FunctionBuilder()
    fb.arg("x", (2,), "f32", role="input")
    with pytest.raises(ValueError, match="duplicate"):
        fb.arg("x", (2,), "f32", role="input")
    with pytest.raises(ValueError, match="role"):
        fb.arg("y", (2,), "f32", role="param")
    with pytest.raises(ValueError, match="ret"):
        fb.to_text()
