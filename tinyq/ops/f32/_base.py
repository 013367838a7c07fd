"""What the float32 op modules share: the prepared record, checks, the fused activation bounds."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._window import need_activation
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Overlap, Prepared, Refusal, Rows, variant

CONV_SOURCES = ["conv_f32.c", "conv_f32.h", "tq_f32.h"]
ELEMENTWISE_SOURCES = ["elementwise_f32.c", "elementwise_f32.h", "tq_f32.h", "tq_broadcast.h"]
POOL_SOURCES = ["pool_f32.c", "pool_f32.h", "tq_f32.h"]
PAD_SOURCES = ["pad_f32.c", "pad_f32.h"]

# float bounds of TFLite's fused activations
ACT_BOUNDS = {"NONE": (-math.inf, math.inf), "RELU": (0.0, math.inf), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}


@dataclass(frozen=True, eq=False)
class F32Data(Prepared):
    """One float32 kernel call `func(&params, args...)`: `args` are tensor indices (inputs, then
    the output), `params` the fields of the `ctype` struct (ndarrays become const arrays)."""

    kernel_dtype = "float32"    # a class attribute, not a field (see Prepared)
    func: str
    ctype: str
    args: tuple[int, ...]
    params: dict[str, Any]
    output: int
    in_place: tuple[int, ...] = ()          # inputs the output may overwrite element by element
    trailing: tuple[tuple[int, int], ...] = ()   # (input, delta) of a window kernel
    mac_count: int = 0
    scratch_bytes: int = 0
    row_dep: Rows | None = None             # a window kernel's row dependence (patch-based execution)
    patch_bytes: int = 0    # hybrid CONV_2D: the DSP kernel's im2col patch (k_h * k_w * in_c), after the scratch

    def macs(self) -> int:
        return self.mac_count

    def row_deps(self, g: Graph) -> Rows | None:
        return self.row_dep

    def overlaps(self) -> list[Overlap]:
        return ([Overlap(t, self.output) for t in self.in_place] +
                [Overlap(t, self.output, d) for t, d in self.trailing])


def need_f32(op: Op, g: Graph, inputs: list[int], what: str = "") -> None:
    """The op's inputs at `inputs` (positions) and its outputs must be float32 tensors."""
    for t in [g.t(op.inputs[p]) for p in inputs if p < len(op.inputs) and op.inputs[p] >= 0] + \
            [g.t(o) for o in op.outputs]:
        if t.dtype != "float32":
            if t.dtype == "int8" and t.is_const:
                raise Refusal(f"int8 constant '{t.name}' with float32 activations: only the weights of "
                              "CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED may be int8 (dynamic range)")
            raise Refusal(f"float32 {op.opcode}{what} needs float32 tensors, got {t.dtype} for '{t.name}'")
    if op.epilogue:
        raise Refusal(f"float32 {op.label}: no fused epilogue")


def act_bounds(op: Op) -> dict[str, float]:
    lo, hi = ACT_BOUNDS[need_activation(op)]
    return {"act_min": lo, "act_max": hi}


def const_f32(op: Op, g: Graph, pos: int, shape_len: int | None = None) -> np.ndarray:
    """The constant float32 operand at input position `pos`."""
    t = g.t(op.inputs[pos])
    if not t.is_const or t.data is None:
        raise Refusal(f"'{t.name}' must be a constant float32 tensor")
    if shape_len is not None and len(t.shape) != shape_len:
        raise Refusal(f"'{t.name}' must be {shape_len}-D, got {list(t.shape)}")
    return np.asarray(t.data, np.float32)


def bias_f32(op: Op, g: Graph, channels: int) -> np.ndarray:
    """The float32 bias (zeros without one)."""
    if len(op.inputs) <= 2 or op.inputs[2] < 0:
        return np.zeros(channels, np.float32)
    b = const_f32(op, g, 2).reshape(-1)
    if b.size != channels:
        raise Refusal(f"bias must have {channels} values, got {b.size}")
    return b


def lower_call(d: F32Data, em: Emitter, header: str) -> None:
    em.include(header)
    fields = {k: em.const(v, "f32") if isinstance(v, np.ndarray) else v for k, v in d.params.items()}
    p = em.params(d.ctype, fields)
    em.call(f"{d.func}({p}, {', '.join(em.tensor(t) for t in d.args)})")


def register_lowering(name: str, sources: list[str], header: str, rows: str = "") -> None:
    """The op's float32 variant: the one call its record names."""
    @variant(name, "portable", sources, dtype="float32", rows=rows)
    def lower(d: F32Data, em: Emitter) -> None:
        lower_call(d, em, header)
