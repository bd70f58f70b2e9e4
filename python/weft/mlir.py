"""A small emitter of ``xf`` MLIR text.

Model builders describe a graph op by op through ``FunctionBuilder``; it
infers every result type the way the ``xf`` verifiers do, so a shape mistake
is reported in Python, at the line that made it, rather than by ``weft-opt``
later. Each op is printed in the custom syntax of docs/Dialects/Xf.md, with
readable SSA names taken from hints (HF tensor names for weights).

Every op carries an MLIR name location saying which model op it is:
``loc("ln_f")`` for an op outside any block, ``loc("h.3/ln_1")`` for one
built inside ``with fb.scope("h.3")`` (a transformer block), its SSA name
then ``%h.3.ln_1``. The compiler keeps these locations through lowering and
reports by them (``weft-compile --kernel-report``: kernels per block).

Example::

    fb = FunctionBuilder("forward")
    x = fb.arg("x", (1, 4, 8), "f32", role="input")
    w = fb.arg("w", (8, 2), "f32", role="weight")
    fb.ret([fb.linear(x, w, hint="y")], names=["y"])
    print(fb.to_text())
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from weft.dtypes import FLOAT_DTYPES, INT_DTYPES, bf16_bits_to_float, check_dtype, conversion_error

Role = Literal["input", "weight"]
ROLES: Final[tuple[str, ...]] = ("input", "weight")

# Longest op line before its types move to a continuation line.
_LINE_WIDTH: Final[int] = 100


class ShapeError(ValueError):
    """An op was given operands its ``xf`` verifier would reject."""


@dataclass(frozen=True)
class TensorType:
    """A statically shaped MLIR ``tensor`` type."""

    shape: tuple[int, ...]
    dtype: str

    def __post_init__(self) -> None:
        check_dtype(self.dtype)
        if any((not isinstance(d, (int, np.integer))) or d < 0 for d in self.shape):
            raise ShapeError(f"expected non-negative static sizes, got {self.shape}")
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    def __str__(self) -> str:
        return "tensor<" + "".join(f"{d}x" for d in self.shape) + self.dtype + ">"


@dataclass(frozen=True)
class Value:
    """An SSA value: its name as printed (with ``%``) and its type."""

    name: str
    type: TensorType

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> str:
        return self.type.dtype

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Argument:
    """An entry-function argument with its ``xf.name``/``xf.role``."""

    value: Value
    name: str
    role: str


@dataclass(frozen=True)
class Result:
    """An entry-function result with its ``xf.name``."""

    value: Value
    name: str


def format_float(x: float) -> str:
    """An MLIR float literal for ``x`` that round-trips exactly.

    MLIR's lexer needs a decimal point in a float literal, so ``1e-05``
    (Python's ``repr``) becomes ``1.0e-05``.
    """
    if not math.isfinite(x):
        raise ValueError(f"expected a finite float attribute, got {x}")
    text = repr(float(x))
    mantissa, exp_sep, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + exp_sep + exponent


def format_string(s: str) -> str:
    """An MLIR string literal: quotes, backslashes and non-printables escaped."""
    out = []
    for byte in s.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:02X}")
    return '"' + "".join(out) + '"'


def format_dense(values: np.ndarray) -> str:
    """The body of a ``dense<...>`` attribute: nested lists, row-major."""
    a = np.asarray(values)
    if a.ndim == 0:
        return _format_scalar(a.item())
    if a.size > 0 and np.all(a == a.flat[0]):
        # A splat prints as one value, however large the tensor.
        return _format_scalar(a.flat[0].item())

    def rec(x: np.ndarray) -> str:
        if x.ndim == 1:
            return "[" + ", ".join(_format_scalar(v.item()) for v in x) + "]"
        return "[" + ", ".join(rec(row) for row in x) + "]"

    return rec(a)


def _format_scalar(v: int | float | bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return format_float(v)


_SSA_BAD_CHARS: Final = re.compile(r"[^A-Za-z0-9_$.\-]")


def _ssa_id(hint: str) -> str:
    """``hint`` made into a valid MLIR suffix-id (letters, digits, ``_$.-``)."""
    ident = _SSA_BAD_CHARS.sub("_", hint) or "v"
    if ident[0].isdigit() and not ident.isdigit():
        ident = "_" + ident
    return ident


def broadcast_shapes(lhs: Sequence[int], rhs: Sequence[int]) -> tuple[int, ...]:
    """NumPy broadcasting, as ``xf.add``/``xf.mul`` define it."""
    rank = max(len(lhs), len(rhs))
    a = (1,) * (rank - len(lhs)) + tuple(lhs)
    b = (1,) * (rank - len(rhs)) + tuple(rhs)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"expected broadcastable shapes, got {tuple(lhs)} and {tuple(rhs)}")
        out.append(y if x == 1 else x)
    return tuple(out)


@dataclass
class FunctionBuilder:
    """Builds one ``func.func`` of ``xf`` ops as text.

    Arguments are declared with ``arg`` (in order), ops appended by the op
    methods, and results set by ``ret``. Every op method takes an optional
    ``hint`` for its result's SSA name.
    """

    name: str = "forward"
    arguments: list[Argument] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list)
    _used: set[str] = field(default_factory=set)
    _xf_names: set[str] = field(default_factory=set)
    _scopes: list[str] = field(default_factory=list)

    # -- Values ---------------------------------------------------------------

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Ops built inside belong to ``name`` (a transformer block, ``h.3``).

        Their locations become ``loc("<name>/<hint>")`` and their SSA names
        ``%<name>.<hint>``; scopes nest (``a/b/hint``).
        """
        if not name or "/" in name or '"' in name or "\\" in name:
            raise ValueError(f"expected a scope name without '/', quotes or backslashes, got {name!r}")
        self._scopes.append(name)
        try:
            yield
        finally:
            self._scopes.pop()

    def _fresh(self, hint: str) -> str:
        base = _ssa_id(".".join(self._scopes + [hint]))
        name, n = base, 0
        while name in self._used:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        return "%" + name

    def _emit(self, head: str, types: str, hint: str) -> None:
        loc = f" loc({format_string('/'.join(self._scopes + [hint]))})"
        line = f"  {head} : {types}{loc}"
        if len(line) > _LINE_WIDTH:
            line = f"  {head}\n      : {types}{loc}"
        self._lines.append(line)

    def _op(self, hint: str, result: TensorType, op: str, types: str | None = None,
            operands: Sequence[Value] = ()) -> Value:
        value = Value(self._fresh(hint), result)
        if types is None:
            types = _functional_type(operands, [result])
        self._emit(f"{value} = {op}", types, hint)
        return value

    def arg(self, name: str, shape: Sequence[int], dtype: str, role: Role, hint: str | None = None) -> Value:
        """Declares the next argument, named ``name`` in the manifest."""
        if role not in ROLES:
            raise ValueError(f"expected role 'input' or 'weight', got {role!r}")
        if name in self._xf_names:
            raise ValueError(f"duplicate argument name {name!r}")
        if self._lines:
            raise ValueError("arguments must be declared before the first op")
        self._xf_names.add(name)
        value = Value(self._fresh(hint or name), TensorType(tuple(shape), dtype))
        self.arguments.append(Argument(value, name, role))
        return value

    def constant(self, values: np.ndarray | Sequence[int] | Sequence[float], dtype: str, hint: str = "cst") -> Value:
        """``arith.constant dense<...>`` of ``values`` with element type ``dtype``.

        Integer values only for integer types and floating-point ones only
        for float types (MLIR rejects ``dense<1> : tensor<f32>``); a uint16
        array is taken as bf16 bit patterns.
        """
        a = np.asarray(values)
        if (why := conversion_error(a, dtype)) is not None:
            raise ValueError(f"constant {hint!r}: {why}")
        if dtype == "bf16" and a.dtype == np.uint16:
            a = bf16_bits_to_float(a)
        t = TensorType(a.shape, dtype)
        value = Value(self._fresh(hint), t)
        self._emit(f"{value} = arith.constant dense<{format_dense(a)}>", str(t), hint)
        return value

    # -- Ops (docs/Dialects/Xf.md) -------------------------------------------------

    def embedding(self, table: Value, ids: Value, hint: str = "emb") -> Value:
        """``xf.embedding``: rows of ``table`` [V, D] at ``ids`` (any shape)."""
        _float(table, "embedding table")
        if table.type.rank != 2:
            raise ShapeError(f"expected a [V, D] embedding table, got {table.shape}")
        if ids.dtype not in INT_DTYPES:
            raise ShapeError(f"expected i32 or i64 ids, got {ids.dtype}")
        result = TensorType(ids.shape + (table.shape[1],), table.dtype)
        value = Value(self._fresh(hint), result)
        self._emit(f"{value} = xf.embedding {table}[{ids}]", _functional_type([table, ids], [result]), hint)
        return value

    def linear(self, x: Value, weight: Value, bias: Value | None = None, hint: str = "linear") -> Value:
        """``xf.linear``: ``x · weight + bias`` with ``weight`` [in, out]."""
        operands = [x, weight] + ([bias] if bias is not None else [])
        _same_float(operands, "xf.linear")
        if x.type.rank < 1 or weight.type.rank != 2 or x.shape[-1] != weight.shape[0]:
            raise ShapeError(f"expected input [..., K] and weight [K, N], got {x.shape} and {weight.shape}")
        if bias is not None and bias.shape != (weight.shape[1],):
            raise ShapeError(f"expected bias [{weight.shape[1]}], got {bias.shape}")
        result = TensorType(x.shape[:-1] + (weight.shape[1],), x.dtype)
        return self._op(hint, result, "xf.linear " + ", ".join(map(str, operands)), operands=operands)

    def matmul(self, lhs: Value, rhs: Value, transpose_rhs: bool = False, hint: str = "matmul") -> Value:
        """``xf.matmul``: batched ``lhs · rhs`` (or ``lhs · rhsᵀ``)."""
        _same_float([lhs, rhs], "xf.matmul")
        if lhs.type.rank < 2 or lhs.type.rank != rhs.type.rank or lhs.shape[:-2] != rhs.shape[:-2]:
            raise ShapeError(f"expected operands of one rank >= 2 and equal batch dims, got {lhs.shape} and {rhs.shape}")
        k, n = (rhs.shape[-1], rhs.shape[-2]) if transpose_rhs else (rhs.shape[-2], rhs.shape[-1])
        if lhs.shape[-1] != k:
            raise ShapeError(f"expected contraction sizes to match, got {lhs.shape[-1]} and {k}")
        result = TensorType(lhs.shape[:-1] + (n,), lhs.dtype)
        op = f"xf.matmul {lhs}, {rhs}" + (" transpose_rhs" if transpose_rhs else "")
        return self._op(hint, result, op, operands=[lhs, rhs])

    def layer_norm(self, x: Value, gamma: Value, beta: Value, epsilon: float, hint: str = "ln") -> Value:
        """``xf.layer_norm`` over the last dimension."""
        _same_float([x, gamma, beta], "xf.layer_norm")
        _norm_params(x, [gamma, beta])
        return self._op(hint, x.type, f"xf.layer_norm {x}, {gamma}, {beta} epsilon = {_positive(epsilon)}",
                        operands=[x, gamma, beta])

    def rms_norm(self, x: Value, gamma: Value, epsilon: float, hint: str = "rms") -> Value:
        """``xf.rms_norm`` over the last dimension."""
        _same_float([x, gamma], "xf.rms_norm")
        _norm_params(x, [gamma])
        return self._op(hint, x.type, f"xf.rms_norm {x}, {gamma} epsilon = {_positive(epsilon)}", operands=[x, gamma])

    def softmax(self, x: Value, dim: int, hint: str = "softmax") -> Value:
        """``xf.softmax`` along ``dim``."""
        _float(x, "xf.softmax input")
        if not 0 <= dim < x.type.rank:
            raise ShapeError(f"expected dim in [0, {x.type.rank}), got {dim}")
        return self._op(hint, x.type, f"xf.softmax {x} dim = {dim}", operands=[x])

    def gelu(self, x: Value, approximate: Literal["none", "tanh"] = "none", hint: str = "gelu") -> Value:
        """``xf.gelu``; ``approximate="tanh"`` is GPT-2's ``gelu_new``."""
        _float(x, "xf.gelu input")
        if approximate not in ("none", "tanh"):
            raise ValueError(f"expected approximate 'none' or 'tanh', got {approximate!r}")
        attr = " approximate = tanh" if approximate == "tanh" else ""
        return self._op(hint, x.type, f"xf.gelu {x}{attr}", operands=[x])

    def silu(self, x: Value, hint: str = "silu") -> Value:
        """``xf.silu``: ``x * sigmoid(x)``."""
        _float(x, "xf.silu input")
        return self._op(hint, x.type, f"xf.silu {x}", operands=[x])

    def add(self, lhs: Value, rhs: Value, hint: str = "add") -> Value:
        """``xf.add`` with NumPy broadcasting."""
        _same_float([lhs, rhs], "xf.add")
        result = TensorType(broadcast_shapes(lhs.shape, rhs.shape), lhs.dtype)
        return self._op(hint, result, f"xf.add {lhs}, {rhs}", operands=[lhs, rhs])

    def mul(self, lhs: Value, rhs: Value, hint: str = "mul") -> Value:
        """``xf.mul`` with NumPy broadcasting."""
        _same_float([lhs, rhs], "xf.mul")
        result = TensorType(broadcast_shapes(lhs.shape, rhs.shape), lhs.dtype)
        return self._op(hint, result, f"xf.mul {lhs}, {rhs}", operands=[lhs, rhs])

    def rope(self, x: Value, theta: float, positions: Value | None = None, interleaved: bool = False,
             hint: str = "rope") -> Value:
        """``xf.rope`` on ``x`` [B, S, H, D]; rotate-half unless ``interleaved``."""
        _float(x, "xf.rope input")
        if x.type.rank != 4 or x.shape[3] % 2:
            raise ShapeError(f"expected [B, S, H, D] with D even, got {x.shape}")
        operands = [x]
        op = f"xf.rope {x}"
        if positions is not None:
            if positions.dtype not in INT_DTYPES or positions.shape != x.shape[:2]:
                raise ShapeError(f"expected integer positions {list(x.shape[:2])}, got {positions.type}")
            operands.append(positions)
            op += f" positions({positions})"
        op += f" theta = {_positive(theta)}" + (" interleaved" if interleaved else "")
        return self._op(hint, x.type, op, operands=operands)

    def attention(self, q: Value, k: Value, v: Value, causal: bool = False, scale: float | None = None,
                  hint: str = "attn") -> Value:
        """``xf.attention``: q [B,Sq,Hq,D], k [B,Skv,Hkv,D], v [B,Skv,Hkv,Dv]."""
        _same_float([q, k, v], "xf.attention")
        if not (q.type.rank == k.type.rank == v.type.rank == 4):
            raise ShapeError(f"expected rank-4 [B, S, H, D] operands, got {q.shape}, {k.shape}, {v.shape}")
        b, sq, hq, d = q.shape
        if k.shape[0] != b or v.shape[0] != b or k.shape[1] != v.shape[1] or k.shape[2] != v.shape[2]:
            raise ShapeError(f"expected matching batch, keys and kv heads, got {q.shape}, {k.shape}, {v.shape}")
        if k.shape[3] != d:
            raise ShapeError(f"expected key head dim {k.shape[3]} to equal query head dim {d}")
        hkv = k.shape[2]
        if hkv < 1 or hq % hkv:
            raise ShapeError(f"expected kv heads {hkv} to divide query heads {hq}")
        if causal and k.shape[1] < sq:
            raise ShapeError(f"causal attention needs Skv >= Sq, got {k.shape[1]} < {sq}")
        op = f"xf.attention {q}, {k}, {v}" + (" causal" if causal else "")
        if scale is not None:
            op += f" scale = {_positive(scale)}"
        result = TensorType((b, sq, hq, v.shape[3]), q.dtype)
        return self._op(hint, result, op, operands=[q, k, v])

    def reshape(self, x: Value, shape: Sequence[int], hint: str = "reshape") -> Value:
        """``xf.reshape`` to ``shape`` (same element count)."""
        result = TensorType(tuple(shape), x.dtype)
        if result.num_elements != x.type.num_elements:
            raise ShapeError(f"expected reshape to keep {x.type.num_elements} elements, got {result.shape}")
        return self._op(hint, result, f"xf.reshape {x}", types=f"{x.type} -> {result}")

    def transpose(self, x: Value, permutation: Sequence[int], hint: str = "transpose") -> Value:
        """``xf.transpose``: result dim ``i`` is input dim ``permutation[i]``."""
        perm = [int(p) for p in permutation]
        if sorted(perm) != list(range(x.type.rank)):
            raise ShapeError(f"expected a permutation of 0..{x.type.rank - 1}, got {perm}")
        result = TensorType(tuple(x.shape[p] for p in perm), x.dtype)
        return self._op(hint, result, f"xf.transpose {x} permutation = [{', '.join(map(str, perm))}]",
                        operands=[x])

    def split(self, x: Value, dim: int, sizes: Sequence[int], hints: Sequence[str] | None = None) -> list[Value]:
        """``xf.split`` of ``x`` along ``dim`` into pieces of ``sizes``."""
        if not 0 <= dim < x.type.rank:
            raise ShapeError(f"expected dim in [0, {x.type.rank}), got {dim}")
        if sum(sizes) != x.shape[dim] or any(s < 0 for s in sizes) or not sizes:
            raise ShapeError(f"expected piece sizes summing to {x.shape[dim]}, got {list(sizes)}")
        hints = list(hints) if hints is not None else [f"split{i}" for i in range(len(sizes))]
        if len(hints) != len(sizes):
            raise ValueError("expected one hint per piece")
        values = []
        for h, s in zip(hints, sizes):
            shape = list(x.shape)
            shape[dim] = s
            values.append(Value(self._fresh(h), TensorType(tuple(shape), x.dtype)))
        names = ", ".join(map(str, values))
        self._emit(f"{names} = xf.split {x} dim = {dim}", f"{x.type} -> " + ", ".join(str(v.type) for v in values),
                   ",".join(hints))
        return values

    def concat(self, inputs: Sequence[Value], dim: int, hint: str = "concat") -> Value:
        """``xf.concat`` of ``inputs`` along ``dim``."""
        if not inputs:
            raise ShapeError("expected at least one input")
        first = inputs[0]
        if not 0 <= dim < first.type.rank:
            raise ShapeError(f"expected dim in [0, {first.type.rank}), got {dim}")
        for v in inputs[1:]:
            if v.dtype != first.dtype or v.type.rank != first.type.rank or any(
                    a != b for i, (a, b) in enumerate(zip(v.shape, first.shape)) if i != dim):
                raise ShapeError(f"expected inputs equal except along dim {dim}, got {first.type} and {v.type}")
        shape = list(first.shape)
        shape[dim] = sum(v.shape[dim] for v in inputs)
        result = TensorType(tuple(shape), first.dtype)
        return self._op(hint, result, "xf.concat " + ", ".join(map(str, inputs)) + f" dim = {dim}",
                        operands=list(inputs))

    # -- Function -------------------------------------------------------------------

    def ret(self, values: Sequence[Value], names: Sequence[str]) -> None:
        """Sets the results, each with its ``xf.name``."""
        if self.results:
            raise ValueError("results already set")
        if len(values) != len(names):
            raise ValueError("expected one name per result")
        self.results = [Result(v, n) for v, n in zip(values, names)]

    def to_text(self) -> str:
        """The function as MLIR text (one ``func.func``)."""
        if not self.results:
            raise ValueError(f"function @{self.name} has no results; call ret() first")
        args = ",\n".join(
            f"    {a.value}: {a.value.type} {{xf.name = {format_string(a.name)}, xf.role = {format_string(a.role)}}}"
            for a in self.arguments)
        res = ", ".join(f"{r.value.type} {{xf.name = {format_string(r.name)}}}" for r in self.results)
        lines = [f"func.func @{self.name}(\n{args})\n    -> ({res}) {{"]
        lines += self._lines
        lines.append(f"  return {', '.join(str(r.value) for r in self.results)} : "
                     f"{', '.join(str(r.value.type) for r in self.results)}")
        lines.append("}")
        return "\n".join(lines) + "\n"


def module_text(functions: Iterable[FunctionBuilder], comment: str = "") -> str:
    """A module (implicit, top level) of ``functions``, under a ``//`` comment."""
    head = "".join(f"// {line}".rstrip() + "\n" for line in comment.splitlines()) if comment else ""
    return head + "\n".join(f.to_text() for f in functions)


def _functional_type(operands: Sequence[Value], results: Sequence[TensorType]) -> str:
    ins = ", ".join(str(o.type) for o in operands)
    outs = ", ".join(str(r) for r in results)
    return f"({ins}) -> {outs if len(results) == 1 else '(' + outs + ')'}"


def _float(v: Value, what: str) -> None:
    if v.dtype not in FLOAT_DTYPES:
        raise ShapeError(f"expected a floating-point {what}, got {v.type}")


def _same_float(values: Sequence[Value], op: str) -> None:
    for v in values:
        _float(v, f"{op} operand")
    if len({v.dtype for v in values}) != 1:
        raise ShapeError(f"expected one element type for {op}, got {', '.join(str(v.type) for v in values)}")


def _norm_params(x: Value, params: Sequence[Value]) -> None:
    if x.type.rank < 1:
        raise ShapeError("expected an input of rank >= 1")
    for p in params:
        if p.shape != (x.shape[-1],):
            raise ShapeError(f"expected a [{x.shape[-1]}] parameter, got {p.shape}")


def _positive(x: float) -> str:
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"expected a positive, finite attribute, got {x}")
    return format_float(x)


__all__ = [
    "Argument", "FunctionBuilder", "Result", "ShapeError", "TensorType", "Value",
    "broadcast_shapes", "format_dense", "format_float", "format_string", "module_text",
]
