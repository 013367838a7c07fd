"""Compile-time switches of the kernel sources, decided per model at generation time and written
beside the model as `tq_kernel_config.h` (read through firmware/kernels/tq_config.h; a kernel
built without that file keeps every default: all its code paths, the build's optimisation).

- `TQ_DW_DSP_ROWS3 0`: no layer of the per-pixel depthwise DSP kernel has a 3-wide filter other
  than 3x3, so its rows path (pixel3) is left out. A layer that needed it would still be right
  (the generic tap walk computes every filter), only slower, so an unknown layer keeps it.
- `TQ_SIZE_<KERNEL> 1` (--flash small): a kernel of SIZE_KERNELS whose layers each read at most
  SIZE_ELEMENTS elements is built for size (-Os): a classifier's pooling and softmax, whose
  code is larger than their instructions are worth (KWS: 990 B less for 3,200 instructions more).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Protocol

from tinyq.ir import Graph, Op
from tinyq.ops.depthwise_conv_2d import DepthwiseData
from tinyq.ops.registry import Prepared, Variant

SIZE_KERNELS = ("softmax.c", "pooling.c")
SIZE_ELEMENTS = 16_384
DW_DSP = "depthwise_conv_2d_dsp.c"
DW_MAX_ROWS = 10    # depthwise_conv_2d_dsp.c TQ_DW_MAX_ROWS: the rows path's tallest filter


class _Layer(Protocol):
    op: Op
    data: Prepared
    variant: Variant


def _needs_rows3(data: Prepared) -> bool:
    if not isinstance(data, DepthwiseData):
        return True
    w = data.win
    return w.k_w == 3 and w.dil_w == 1 and w.k_h != 3 and w.k_h <= DW_MAX_ROWS


def _elements(graph: Graph, op: Op) -> int:
    sizes = [graph.t(i).num_elements for i in op.inputs if i >= 0 and not graph.t(i).is_const]
    return max(sizes, default=0)


def kernel_config(graph: Graph, layers: Sequence[_Layer], flash_policy: str | None) -> dict[str, int]:
    """The switches for these lowered layers (macro name -> value)."""
    cfg: dict[str, int] = {}
    dw = [layer for layer in layers if DW_DSP in layer.variant.sources]
    if dw and not any(_needs_rows3(layer.data) for layer in dw):
        cfg["TQ_DW_DSP_ROWS3"] = 0
    if flash_policy == "small":
        for src in SIZE_KERNELS:
            users = [layer for layer in layers if src in layer.variant.sources]
            if users and all(_elements(graph, layer.op) <= SIZE_ELEMENTS for layer in users):
                cfg[f"TQ_SIZE_{PurePath(src).stem.upper()}"] = 1
    return cfg


def describe(cfg: dict[str, int]) -> list[str]:
    """The switches in words, one line each, for `tinyq plan` and `inspect`."""
    lines = []
    for name, value in cfg.items():
        if name == "TQ_DW_DSP_ROWS3" and value == 0:
            lines.append(f"  {name}=0: {DW_DSP} without its rows path (no layer has a 3-wide filter besides 3x3)")
        elif name.startswith("TQ_SIZE_"):
            lines.append(f"  {name}=1: {name[8:].lower()}.c built for size (-Os): its layers read at most "
                         f"{SIZE_ELEMENTS:,} elements each")
        else:
            lines.append(f"  {name}={value}")
    return ["kernel switches (tq_kernel_config.h):", *lines] if lines else []
