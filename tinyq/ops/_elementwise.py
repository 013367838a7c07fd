"""What the binary element-wise ops (ADD, SUB, MUL, ...) share: broadcasting, checks, in-place pairs,
the walk the fast kernels take."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_int8, need_quantized
from tinyq.ops._window import FUSED_ACTIVATIONS
from tinyq.ops.registry import Overlap, Prepared, Refusal, Rows, elementwise_rows, register_op, variant

# How the fast kernels walk the operands (enum in firmware/kernels/tq_broadcast.h)
WALK_FLAT, WALK_PERIOD2, WALK_PERIOD1, WALK_GENERAL, WALK_SPREAD2, WALK_SPREAD1 = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True, eq=False)
class BinaryData(Prepared):
    """A binary element-wise op: operands, its C parameter struct, the inputs it may overwrite."""

    a: int
    b: int
    output: int
    params: dict[str, Any]
    in_place: tuple[int, ...] = ()
    mac_count: int = 0
    dtype: str = "int8"     # of the inputs and the output (one type)
    walk: tuple[int, int] = (WALK_GENERAL, 0)    # (TQ_WALK_*, period): see walk_of

    def row_deps(self, g: Graph) -> Rows | None:
        return elementwise_rows(g, (self.a, self.b), self.output)

    def macs(self) -> int:
        return self.mac_count

    def overlaps(self) -> list[Overlap]:
        return [Overlap(t, self.output) for t in self.in_place]


def walk_of(a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...]) -> tuple[int, int]:
    """(walk, period): both inputs of the output's shape (flat); one of them and the other the
    output's trailing dimensions, repeating every `period` elements (a per-channel vector, a
    scalar: period 1); one of them and the other the output's leading dimensions, each of its
    elements spread over `period` consecutive outputs (a per-pixel factor); else the general
    broadcast walk. A patch narrows only leading rows, which a repeating operand does not span
    and a spread one rules out (elementwise_rows), so the period stays right."""
    a, b, out = tuple(a), tuple(b), tuple(out)
    if a == b == out:
        return WALK_FLAT, 0
    for full, rep, period_walk, spread_walk in ((a, b, WALK_PERIOD2, WALK_SPREAD2), (b, a, WALK_PERIOD1, WALK_SPREAD1)):
        if full != out or len(rep) > len(out):
            continue
        r = (1,) * (len(out) - len(rep)) + rep
        k = next((i for i, d in enumerate(r) if d != 1), len(r))    # leading 1s, then out's tail
        if r[k:] == out[k:]:
            return period_walk, int(np.prod(out[k:], dtype=np.int64))
        k = len(r) - next((i for i, d in enumerate(r[::-1]) if d != 1), len(r))   # out's head, then 1s
        if r[:k] == out[:k]:
            return spread_walk, int(np.prod(out[k:], dtype=np.int64))
    return WALK_GENERAL, 0


def _strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` (right-aligned to the 4-D `out`), 0 along broadcast dims."""
    shape = (1,) * (4 - len(shape)) + tuple(shape)
    strides, acc = [0] * 4, 1
    for d in range(3, -1, -1):
        strides[d] = acc if shape[d] == out[d] and shape[d] != 1 else 0
        acc *= shape[d]
    return strides


def _broadcasts_to(shape: tuple[int, ...], out: tuple[int, ...]) -> bool:
    if len(shape) > len(out):
        return False
    return all(s in (1, o) for s, o in zip(shape[::-1], out[::-1]))


def broadcast_init(op: Op, g: Graph) -> str:
    """The C initializer of a tq_bcast for this op."""
    a, b, out = (g.t(op.inputs[0]).shape, g.t(op.inputs[1]).shape, g.t(op.outputs[0]).shape)
    count = g.t(op.outputs[0]).num_elements
    if a == b == out:
        return f"{{ .count = {count}, .broadcast = 0 }}"
    out4 = (1,) * (4 - len(out)) + tuple(out)
    s1, s2 = _strides(a, out4), _strides(b, out4)
    arr = lambda v: "{ " + ", ".join(map(str, v)) + " }"  # noqa: E731
    return (f"{{ .count = {count}, .broadcast = 1, .dims = {arr(out4)}, "
            f".stride1 = {arr(s1)}, .stride2 = {arr(s2)} }}")


def binary_check(op: Op, g: Graph, dtypes: tuple[str, ...] = ("int8",)) -> str:
    """Refuses what the binary kernels cannot run (the tensors one of `dtypes`, int16 with zero
    points 0); returns the tensors' dtype."""
    if dtypes == ("int8",):
        reason, dtype = need_int8(op, g, [0, 1, -1]), "int8"
    else:
        reason, dtype = need_quantized(op, g, [0, 1, -1], dtypes)
    if reason:
        raise Refusal(reason)
    act = op.options.get("fused_activation_function", "NONE")
    if act not in FUSED_ACTIVATIONS:
        raise Refusal(f"fused activation {act} is not supported")
    out = g.t(op.outputs[0])
    for i in op.inputs[:2]:
        if len(g.t(i).shape) > 4 and g.t(i).shape != out.shape:
            raise Refusal("broadcasting beyond 4-D is not supported")
        if not _broadcasts_to(g.t(i).shape, out.shape):
            raise Refusal(f"input shape {list(g.t(i).shape)} does not broadcast to the output {list(out.shape)}")
    if len(out.shape) > 4 and g.t(op.inputs[0]).shape != g.t(op.inputs[1]).shape:
        raise Refusal("broadcasting beyond 4-D is not supported")
    return dtype


def binary_inplace(op: Op, g: Graph) -> tuple[int, ...]:
    """Inputs of the output's own shape and type: read at exactly the index being written."""
    out = g.t(op.outputs[0])
    return tuple(t for t in op.inputs[:2] if g.t(t).shape == out.shape and g.t(t).dtype == out.dtype)


def binary_data(op: Op, g: Graph, params: dict[str, Any], mac_count: int = 0, dtype: str = "int8") -> BinaryData:
    shapes = (g.t(op.inputs[0]).shape, g.t(op.inputs[1]).shape, g.t(op.outputs[0]).shape)
    return BinaryData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.outputs[0], params,
                      binary_inplace(op, g), mac_count, dtype, walk_of(*shapes))


def lower_binary(d: BinaryData, em: Any, header: str, ctype: str, func: str) -> None:
    """The call every binary kernel shares: (params, in1, in2, out)."""
    em.include(header)
    p = em.params(ctype, d.params)
    em.call(f"{func}({p}, {em.tensor(d.a)}, {em.tensor(d.b)}, {em.tensor(d.output)})")


def register_max_min(name: str) -> None:
    """MAXIMUM / MINIMUM: TFLM's MaximumMinimumBroadcastSlow on the raw int8 values."""
    low = name.lower()

    @register_op(name)
    def prepare(op: Op, g: Graph) -> BinaryData:
        binary_check(op, g)
        return binary_data(op, g, {"shape": broadcast_init(op, g)})

    @variant(name, "portable", [f"{low}.c", f"{low}.h", "tq_broadcast.h"], rows="bcast")
    def lower(d: BinaryData, em: Any) -> None:
        lower_binary(d, em, f"{low}.h", f"tq_{low}_params", f"tq_{low}_s8")

    @variant(name, "dsp", ["minmax_dsp.c", "minmax_dsp.h", "tq_broadcast.h", "tq_dsp.h"], name=f"{low}_dsp",
             rows="bcast")
    def lower_dsp(d: BinaryData, em: Any) -> None:
        """4 bytes a step: SSUB8 flags, SEL picks (firmware/kernels/minmax_dsp.c)."""
        em.include("minmax_dsp.h")
        p = em.params("tq_minmax_dsp_params", {**d.params, "walk": d.walk[0], "period": d.walk[1]})
        em.call(f"tq_{low}_dsp_s8({p}, {em.tensor(d.a)}, {em.tensor(d.b)}, {em.tensor(d.output)})")


_SUFFIX = {"int8": "s8", "int16": "s16"}


def register_binary_variants(op: str, stem: str, dtypes: tuple[str, ...] = ("int8", "int16"),
                             headers: tuple[str, ...] = ()) -> None:
    """One portable variant per activation type for a binary kernel family `tq_<stem>_s8/_s16`
    (params struct `tq_<stem>_params`, header `<stem>.h`): `<op>_portable`, `<op>_portable_s16`."""
    for dtype in dtypes:
        suffix = _SUFFIX[dtype]
        name = f"{op.lower()}_portable" + ("" if dtype == "int8" else f"_{suffix}")

        def lower(d: BinaryData, em: Any, func: str = f"tq_{stem}_{suffix}") -> None:
            lower_binary(d, em, f"{stem}.h", f"tq_{stem}_params", func)

        variant(op, "portable", [f"{stem}.c", f"{stem}.h", "tq_broadcast.h", *headers],
                applies=lambda d, want=dtype: d.dtype == want, name=name, rows="bcast")(lower)
