"""N-D strided copies (firmware/kernels/tq_copy.h): the geometry of the data-movement ops, worked
out here once, coalesced to as few dimensions as possible, and emitted as `tq_copy_nd` calls."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import DTYPE_SIZE, Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal

MAX_RANK = 8
SOURCES = ["tq_copy.c", "tq_copy.h"]


def contiguous_strides(shape: list[int] | tuple[int, ...]) -> list[int]:
    """Element strides of a row-major tensor."""
    return [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]


@dataclass(frozen=True)
class Copy:
    """Element (i0, ...) goes from in[in_offset + sum(ik * in_strides[k])] to
    out[out_offset + sum(ik * out_strides[k])]; offsets and strides in elements."""

    dims: tuple[int, ...]
    in_strides: tuple[int, ...]
    out_strides: tuple[int, ...]
    in_offset: int = 0
    out_offset: int = 0

    @property
    def count(self) -> int:
        return int(np.prod(self.dims, dtype=np.int64)) if self.dims else 1

    def coalesced(self) -> "Copy":
        """Size-1 dimensions dropped, neighbours that walk memory as one dimension merged."""
        dims, ins, outs = [], [], []
        for d, i, o in zip(self.dims, self.in_strides, self.out_strides):
            if d == 1:
                continue
            if dims and ins[-1] == i * d and outs[-1] == o * d:
                dims[-1] *= d
                ins[-1], outs[-1] = i, o
            else:
                dims.append(d)
                ins.append(i)
                outs.append(o)
        if not dims:
            dims, ins, outs = [1], [1], [1]
        return Copy(tuple(dims), tuple(ins), tuple(outs), self.in_offset, self.out_offset)


def check(copies: list[Copy]) -> list[Copy]:
    """The coalesced copies, or a Refusal if one needs more than MAX_RANK dimensions."""
    res = [c.coalesced() for c in copies if c.count]
    for c in res:
        if len(c.dims) > MAX_RANK:
            raise Refusal(f"the copy needs {len(c.dims)} dimensions after merging; at most {MAX_RANK}")
    return res


def _vec(v: tuple[int, ...] | list[int]) -> str:
    return "{ " + ", ".join(map(str, v)) + " }"


def emit_copy(em: Emitter, c: Copy, elem: int, src: str, dst: str, suffix: str = "") -> None:
    """One tq_copy_nd call from the C pointer expression `src` to `dst` (typed pointers: the
    offsets are added in elements)."""
    em.include("tq_copy.h")
    p = em.params("tq_copy_params", {
        "rank": len(c.dims), "elem": elem, "dims": _vec(c.dims),
        "in_strides": _vec([s * elem for s in c.in_strides]), "out_strides": _vec([s * elem for s in c.out_strides]),
    }, suffix)
    s = f"{src} + {c.in_offset}" if c.in_offset else src
    d = f"{dst} + {c.out_offset}" if c.out_offset else dst
    em.call(f"tq_copy_nd({p}, {s}, {d})")


@dataclass(frozen=True, eq=False)
class CopyData(Prepared):
    """A data-movement op as copies (source tensor, destination tensor, geometry) and views
    (output, input, byte offset: an output that is a contiguous run of its input is not copied,
    it is that memory, as RESHAPE). `elem`: bytes per element."""

    elem: int
    copies: tuple[tuple[int, int, Copy], ...]
    views: tuple[tuple[int, int, int], ...] = ()
    dtype: str = "int8"
    fill: int | None = None    # a byte every output byte is set to before the copies (padding)


def copy_data(op: Op, g: Graph, copies: list[tuple[int, int, Copy]],
              views: list[tuple[int, int, int]] | None = None, fill: int | None = None) -> CopyData:
    """The record for `op`: every tensor it moves must have one dtype (the bytes move unchanged,
    as in TFLM, which copies the raw data whatever the quantization)."""
    ts = [g.t(t) for t in op.outputs] + [g.t(s) for s, _, _ in copies] + [g.t(s) for _, s, _ in views or []]
    dtypes = {t.dtype for t in ts}
    if len(dtypes) != 1:
        raise Refusal(f"needs one tensor type throughout, got {sorted(dtypes)}")
    dtype = dtypes.pop()
    elem = DTYPE_SIZE.get(dtype, 0)
    if not elem:
        raise Refusal(f"type {dtype} is not supported")
    fixed = [(s, d, c) for (s, d, c), c in zip(copies, check([c for _, _, c in copies]))] if copies else []
    return CopyData(op.index, op.opcode, elem, tuple(fixed), tuple(views or ()), dtype, fill)


def lower_copies(d: CopyData, em: Emitter) -> None:
    if d.fill is not None:
        out = em.graph.t(em.op.outputs[0]) if em.op is not None else None
        if out is not None:
            em.call(f"memset({em.tensor(out.index)}, {d.fill & 0xFF}, {out.nbytes})")
    for out, inp, off in d.views:
        em.alias(out, inp, off)
    for k, (src, dst, c) in enumerate(d.copies):
        emit_copy(em, c, d.elem, em.tensor(src), em.tensor(dst), suffix=f"_{k}" if k else "")


def const_ints(g: Graph, index: int, what: str) -> list[int]:
    """A constant integer operand as a list, or a Refusal naming it."""
    if index < 0 or not g.t(index).is_const or g.t(index).data is None:
        raise Refusal(f"the {what} must be constant")
    return [int(v) for v in np.asarray(g.t(index).data).ravel()]
