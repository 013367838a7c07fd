"""Compile-time switches of the kernel sources, decided per model at generation time and written
beside the model as `tq_kernel_config.h` (read through firmware/kernels/tq_config.h; a kernel
built without that file keeps every default: all its code paths, the build's optimisation).

- `TQ_DW_DSP_ROWS3 0`: no layer of the per-pixel depthwise DSP kernel has a 3-wide filter other
  than 3x3, so its rows path (pixel3) is left out. A layer that needed it would still be right
  (the generic tap walk computes every filter), only slower, so an unknown layer keeps it.
- `TQ_DW_DSP_C3X3 0`: every 3x3 layer of that kernel takes its asm (channels a multiple of 4, the
  fast requantization over all of int8, no dilation), so the C 3x3 paths (~1.6 KB) are left out of
  a DSP build; a layer that wanted them would take the asm pointer path or the tap walk, right
  but slower.
- `TQ_SIZE_<KERNEL> 1` (--flash small): a kernel of SIZE_KERNELS whose layers each read at most
  SIZE_ELEMENTS elements is built for size (-Os): a classifier's pooling and softmax, whose
  code is larger than their instructions are worth (KWS: 990 B less for 3,200 instructions more).
- `TQ_CONV_NARROW 0`: no layer of the DSP convolution (conv_2d_dsp.c) has fewer than 4 output
  channels over a window larger than 1x1 (without a fused ADD or the column staging), so its
  narrow_rows path (~2 KB) is left out; a layer that needed it would go wrong (its scratch is
  sized for that path), so it is read from the layers' emitted fields.
- `TQ_CONV_PAIRS 0`: no layer of conv_2d_dsp.c runs over pixel pairs (`pairs`: a 1x1 layer read
  in place with the fast requantization over all of int8), so that path is left out.
- `TQ_FC8_ROWS 0` / `TQ_FC8_ONE_ROW 0`: no layer of the int8 FULLY_CONNECTED pair kernel
  (fully_connected_dsp8.c) has a requantization row per channel / one row for all (per-tensor,
  its `.rq` field set), so that path's asm is left out (~300 B; the C path would still be right);
  `TQ_FC8_SLOW 0`: every such layer takes a fast asm path (the fast requantization over all of
  int8, one shift, an in-place row a multiple of 8 long), so the general path's asm is left out
  (~700 B; its C is right, only slower); `TQ_FC8_WIDE 0` / `TQ_FC8_DIRECT 0`: no layer takes the
  widened-row / the in-place kernel, whose asm is left out.
- `TQ_CONV8_ADD 0`, `TQ_CONV8_CONSTANTS 0`, `TQ_CONV8_ROW6 0`, `TQ_CONV8_EXACT 0`: no layer of the
  int8 convolution kernel (conv_2d_dsp8.c) has a fused residual ADD (380 B), constant channels in
  the packed form, the 6-byte requantization form (every one is packed; `TQ_CONV8_PK_SHIFT 0` /
  `TQ_CONV8_PK_DOUBLED 0`: no packed layer shifts its accumulators / doubles its inputs) / takes TFLM's
  requantization arithmetic (rq_exact), so that code is left out; `TQ_DW_DSP_EXACT
  0` the same for the depthwise DSP kernel's rq_exact paths (depthwise_conv_2d_dsp.c, ~300 B);
  `TQ_DW_DSP_SINGLE 0` / `TQ_DW_MULT_SINGLE 0`: every layer of the per-pixel depthwise kernel
  (depthwise_conv_2d_dsp.c) / of the blocked multiplier kernel (depthwise_mult_dsp.c) has its
  weights in tap pairs (`.pairs = 1`), so the single-tap paths (their asm and C loops) are left out;
  `TQ_DW_DSP_PAIRS 0` / `TQ_DW_MULT_PAIRS 0`: no such layer has them (KWS with --flash small: every
  depthwise layer the dsp8 variant's), so the tap-pair paths are;
  `TQ_CONV_ADD_SUM16 0` / `TQ_CONV_ADD_SUM32 0` / `TQ_CONV_ADD_EXACT 0`: no fused ADD of the DSP
  convolutions (conv_2d_dsp_window.h, both kernels) has int16 / int32 sum tables / TFLM's
  arithmetic (tinyq/ops/_fused_add.py), so that path is left out.
  Unlike the switches above a layer that needed them would go wrong: they are read from the
  parameter structs the layers' lowerings emitted (`_fields`), what the kernels will run.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Protocol

from tinyq.ir import Graph, Op
from tinyq.ops.constants import TQ_ADD_FORM_EXACT, TQ_ADD_FORM_SUM16, TQ_ADD_FORM_SUM32
from tinyq.ops.depthwise_conv_2d import DepthwiseData
from tinyq.ops.emitter import OpCode
from tinyq.ops.registry import Prepared, Variant

SIZE_KERNELS = ("softmax.c", "pooling.c")
SIZE_ELEMENTS = 16_384
DW_DSP = "depthwise_conv_2d_dsp.c"
DW_MAX_ROWS = 10    # depthwise_conv_2d_dsp.c TQ_DW_MAX_ROWS: the rows path's tallest filter
FC8 = "fully_connected_dsp8.c"
CONV8 = "conv_2d_dsp8.c"
CONV_DSP = "conv_2d_dsp.c"
CONV_WINDOW = "conv_2d_dsp_window.h"    # the fused ADD of both DSP convolution kernels
ADD_FORMS = {"TQ_CONV_ADD_SUM16": TQ_ADD_FORM_SUM16, "TQ_CONV_ADD_SUM32": TQ_ADD_FORM_SUM32,
             "TQ_CONV_ADD_EXACT": TQ_ADD_FORM_EXACT}


class _Layer(Protocol):
    op: Op
    data: Prepared
    variant: Variant
    code: OpCode


def _needs_rows3(data: Prepared) -> bool:
    if not isinstance(data, DepthwiseData):
        return True
    w = data.win
    return w.k_w == 3 and w.dil_w == 1 and w.k_h != 3 and w.k_h <= DW_MAX_ROWS


def _needs_c3x3(layer: _Layer) -> bool:
    """Whether a layer of depthwise_conv_2d_dsp.c may want its C 3x3 paths: a 3x3 filter the asm
    does not take (channels not a multiple of 4, a clamp inside int8, TFLM's arithmetic, dilation)."""
    data = layer.data
    if not isinstance(data, DepthwiseData):
        return True
    w = data.win
    if (w.k_h, w.k_w) != (3, 3):
        return False
    fast = data.act_min <= -128 and data.act_max >= 127 and _fields(layer).get("rq_exact", "0") == "0"
    return not (fast and w.in_c % 4 == 0 and w.out_c == w.in_c and w.dil_h == 1 and w.dil_w == 1)


def _elements(graph: Graph, op: Op) -> int:
    sizes = [graph.t(i).num_elements for i in op.inputs if i >= 0 and not graph.t(i).is_const]
    return max(sizes, default=0)


def _fields(layer: _Layer) -> dict[str, str]:
    """The fields of the parameter structs the layer's lowering emitted (name -> C value): what
    its kernel will run, not a second derivation of it."""
    out: dict[str, str] = {}
    for struct in layer.code.params:
        out.update(re.findall(r"^\s*\.(\w+) = ([^\n]*?),?$", struct, re.M))
    return out


def _fc8_slow(layer: _Layer) -> bool:
    """An int8 FULLY_CONNECTED layer (fully_connected_dsp8.c, either kernel) off its fast asm:
    TFLM's requantization, a clamped activation range, per-channel shifts, or (the direct kernel)
    a row not a multiple of 8 long."""
    f = _fields(layer)
    direct = "direct" in layer.variant.name
    return (f.get("rq_exact", "0") != "0" or int(f["act_min"]) > -128 or int(f["act_max"]) < 127
            or f.get("scale", "0") != "0" or (direct and int(f["in_depth"]) % 8 != 0))


def _conv_narrow(layer: _Layer) -> bool:
    """A layer of conv_2d_dsp.c that takes its out_c < 4 path (narrow_rows: the kernel's own test,
    on the fields it was emitted with; its scratch was sized for that path)."""
    f, win = _fields(layer), getattr(layer.data, "win", None)
    if win is None:
        return True
    return (f.get("cols", "0") == "0" and f.get("add_conv_lut", "0") == "0" and win.out_c < 4
            and win.k_h * win.k_w > 1)


def kernel_config(graph: Graph, layers: Sequence[_Layer], flash_policy: str | None) -> dict[str, int]:
    """The switches for these lowered layers (macro name -> value)."""
    cfg: dict[str, int] = {}
    dw = [layer for layer in layers if DW_DSP in layer.variant.sources]
    if dw and not any(_needs_rows3(layer.data) for layer in dw):
        cfg["TQ_DW_DSP_ROWS3"] = 0
    if dw and not any(_needs_c3x3(layer) for layer in dw):
        cfg["TQ_DW_DSP_C3X3"] = 0
    fc8 = [_fields(layer) for layer in layers if FC8 in layer.variant.sources]
    if fc8:
        ones = [f.get("rq", "0") != "0" for f in fc8]
        if all(ones):
            cfg["TQ_FC8_ROWS"] = 0
        elif not any(ones):
            cfg["TQ_FC8_ONE_ROW"] = 0
        if not any(_fc8_slow(layer) for layer in layers if FC8 in layer.variant.sources):
            cfg["TQ_FC8_SLOW"] = 0
        directs = ["direct" in layer.variant.name for layer in layers if FC8 in layer.variant.sources]
        if all(directs):
            cfg["TQ_FC8_WIDE"] = 0
        elif not any(directs):
            cfg["TQ_FC8_DIRECT"] = 0
    conv = [layer for layer in layers if CONV_DSP in layer.variant.sources]
    if conv and not any(_conv_narrow(layer) for layer in conv):
        cfg["TQ_CONV_NARROW"] = 0
    if conv and not any(_fields(layer).get("pairs", "0") == "1" for layer in conv):
        cfg["TQ_CONV_PAIRS"] = 0
    conv8 = [_fields(layer) for layer in layers if CONV8 in layer.variant.sources]
    if conv8:
        if all(f.get("add_conv_lut") == "0" for f in conv8):
            cfg["TQ_CONV8_ADD"] = 0
        if all(int(f.get("pk_flags", "0")) & 1 == 0 for f in conv8):
            cfg["TQ_CONV8_CONSTANTS"] = 0
        if all(f.get("shift8") == "0" for f in conv8):
            cfg["TQ_CONV8_ROW6"] = 0
        packed = [int(f.get("pk_flags", "0")) for f in conv8 if f.get("shift8") == "0"]
        if not any(flags & 2 == 0 for flags in packed):
            cfg["TQ_CONV8_PK_SHIFT"] = 0
        if not any(flags & 2 for flags in packed):
            cfg["TQ_CONV8_PK_DOUBLED"] = 0
        if all(f.get("rq_exact") == "0" for f in conv8):
            cfg["TQ_CONV8_EXACT"] = 0
    adds = [_fields(layer) for layer in layers if CONV_WINDOW in layer.variant.sources]
    if adds:
        forms = {f.get("add_form") for f in adds if f.get("add_conv_lut", "0") != "0"}
        for name, form in ADD_FORMS.items():
            if str(form) not in forms:
                cfg[name] = 0
    if dw and all(_fields(layer).get("rq_exact") == "0" for layer in dw):
        cfg["TQ_DW_DSP_EXACT"] = 0
    if dw and all(_fields(layer).get("pairs") == "1" for layer in dw):
        cfg["TQ_DW_DSP_SINGLE"] = 0
    elif dw and not any(_fields(layer).get("pairs") == "1" for layer in dw):
        cfg["TQ_DW_DSP_PAIRS"] = 0
    mult = [_fields(layer) for layer in layers if layer.variant.name == "depthwise_conv_2d_dsp_mult_blocks"]
    if mult and all(f.get("pairs") == "1" for f in mult):
        cfg["TQ_DW_MULT_SINGLE"] = 0
    elif mult and not any(f.get("pairs") == "1" for f in mult):
        cfg["TQ_DW_MULT_PAIRS"] = 0
    if flash_policy == "small":
        for src in SIZE_KERNELS:
            users = [layer for layer in layers if src in layer.variant.sources]
            if users and all(_elements(graph, layer.op) <= SIZE_ELEMENTS for layer in users):
                cfg[f"TQ_SIZE_{PurePath(src).stem.upper()}"] = 1
    return cfg



# what a switch at 0 leaves out, where one sentence says it
_LEFT_OUT = {
    "TQ_DW_DSP_ROWS3": f"{DW_DSP} without its rows path (no layer has a 3-wide filter besides 3x3)",
    "TQ_DW_DSP_C3X3": f"{DW_DSP} without its C 3x3 paths (every 3x3 layer takes the asm)",
    "TQ_CONV_NARROW": f"{CONV_DSP} without its path for fewer than 4 output channels (no layer has it)",
    "TQ_CONV_PAIRS": f"{CONV_DSP} without its 1x1 path over pixel pairs (no layer has it)",
    "TQ_FC8_SLOW": f"{FC8} without the asm of its general path (every layer takes the fast one)",
}


def describe(cfg: dict[str, int]) -> list[str]:
    """The switches in words, one line each, for `tinyq plan` and `inspect`."""
    lines = []
    for name, value in cfg.items():
        if name in _LEFT_OUT and value == 0:
            lines.append(f"  {name}=0: {_LEFT_OUT[name]}")
        elif name in ("TQ_FC8_WIDE", "TQ_FC8_DIRECT") and value == 0:
            what = "widened-row" if name == "TQ_FC8_WIDE" else "in-place"
            lines.append(f"  {name}=0: {FC8} without the asm of its {what} kernel (no layer takes it)")
        elif name in ("TQ_FC8_ROWS", "TQ_FC8_ONE_ROW") and value == 0:
            what = "a requantization row per channel" if name == "TQ_FC8_ROWS" else "one row for all channels"
            lines.append(f"  {name}=0: {FC8} without the asm path of layers with {what} (no layer has it)")
        elif name == "TQ_CONV8_ADD" and value == 0:
            lines.append(f"  {name}=0: {CONV8} without its fused residual ADD (no layer has one)")
        elif name in ("TQ_CONV8_PK_SHIFT", "TQ_CONV8_PK_DOUBLED") and value == 0:
            what = "shifted accumulators" if name == "TQ_CONV8_PK_SHIFT" else "doubled inputs"
            lines.append(f"  {name}=0: {CONV8} without its loop for packed layers with {what} (none has them)")
        elif name == "TQ_CONV8_ROW6" and value == 0:
            lines.append(f"  {name}=0: {CONV8} without its 6-byte requantization form (every layer is packed)")
        elif name == "TQ_CONV8_CONSTANTS" and value == 0:
            lines.append(f"  {name}=0: {CONV8} without constant channels (no packed layer has one)")
        elif name in ("TQ_CONV8_EXACT", "TQ_DW_DSP_EXACT") and value == 0:
            src = CONV8 if name == "TQ_CONV8_EXACT" else DW_DSP
            lines.append(f"  {name}=0: {src} without TFLM's requantization arithmetic (no layer needs it)")
        elif name in ADD_FORMS and value == 0:
            what = {"TQ_CONV_ADD_SUM16": "int16 sum tables", "TQ_CONV_ADD_SUM32": "int32 sum tables",
                    "TQ_CONV_ADD_EXACT": "TFLM's arithmetic"}[name]
            lines.append(f"  {name}=0: the DSP convolutions' fused ADD without its {what} (no fused ADD has it)")
        elif name.startswith("TQ_SIZE_"):
            lines.append(f"  {name}=1: {name[8:].lower()}.c built for size (-Os): its layers read at most "
                         f"{SIZE_ELEMENTS:,} elements each")
        else:
            lines.append(f"  {name}={value}")
    return ["kernel switches (tq_kernel_config.h):", *lines] if lines else []
