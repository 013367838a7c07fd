"""Helium (M-profile Vector Extension, Cortex-M55) variants of CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED: the `mve` family, which falls back to `dsp`, then `portable`.

The MVE kernels take the portable kernels' parameter structs unchanged (int8 weights as the model
has them, the same biases, multipliers and shifts), so each lowering is the portable one with the
kernel's name and header swapped: the arithmetic is the portable kernel's, 16 int8
multiply-accumulates per VMLADAVA instruction (firmware/kernels/*_mve.c, tq_mve.h)."""
from __future__ import annotations

from tinyq.ops import conv_2d, depthwise_conv_2d, fully_connected
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import REGISTRY, variant


class _Renamed:
    """An Emitter whose include/call of the portable kernel name the MVE kernel instead."""

    def __init__(self, em: Emitter, header: tuple[str, str], func: tuple[str, str]):
        self._em, self._header, self._func = em, header, func

    def __getattr__(self, name: str):
        return getattr(self._em, name)

    def include(self, header: str) -> None:
        self._em.include(self._header[1] if header == self._header[0] else header)

    def call(self, stmt: str) -> None:
        old, new = self._func
        if not stmt.startswith(old + "("):
            raise ValueError(f"the portable lowering called {stmt.split('(')[0]}, not {old}")
        self._em.call(new + stmt[len(old):])


def _headers(op: str, lower) -> list[str]:
    """The headers of the portable variant lowered by `lower` (its sources less the .c files):
    the MVE kernel's header includes the portable one for its parameter struct."""
    v = next(v for v in REGISTRY[op].variants if v.lower is lower)
    return [s for s in v.sources if not s.endswith(".c")]


def _int8(d) -> bool:
    return getattr(d, "dtype", "int8") == "int8"


MIN_RUN = 16   # bytes per dot product below which the DSP kernel is faster (one VMLADAVA's worth)
MAX_DW_TAPS = 64   # the depthwise kernel's tap tables (depthwise_conv_2d_mve.h)
# Depthwise layers wider than this keep the DSP kernel's 3x3 assembly, measured faster on the
# emulated M55: VWW's 16- to 256-channel layers took 2-10 % more instructions with MVE (e.g.
# 736,325 against 688,027 at 24x24x32), its 8-channel one 6 % fewer (859,362 against 914,763).
MAX_DW_CHANNELS = 8


def depthwise_applies(d: depthwise_conv_2d.DepthwiseData) -> bool:
    return (_int8(d) and d.depth_mult == 1 and d.win.k_h * d.win.k_w <= MAX_DW_TAPS
            and d.win.in_c <= MAX_DW_CHANNELS)


def conv_applies(d: conv_2d.ConvData) -> bool:
    """int8, no fused residual ADD (the DSP kernel's two lookup tables do it far faster than
    TFLM's Add per element), and contiguous runs of at least a vector: a filter row (k_w x in_c)
    with dilation 1, else in_c. Measured on the emulated M55 with the MVE kernel on every
    convolution: KWS's first layer (filter rows of 4 bytes) took 2.73 M instructions against the
    DSP kernel's 0.47 M (im2col), and VWW's first (rows of 9 bytes) cost 1.15 M more."""
    w = d.win
    return _int8(d) and d.add is None and (w.k_w * w.in_c if w.dil_w == 1 else w.in_c) >= MIN_RUN


@variant("CONV_2D", "mve", ["conv_2d_mve.c", "conv_2d_mve.h", "tq_mve.h",
                            *_headers("CONV_2D", conv_2d.lower_portable)], applies=conv_applies, rows="geo")
def lower_conv(d: conv_2d.ConvData, em: Emitter) -> None:
    conv_2d.lower_portable(d, _Renamed(em, ("conv_2d.h", "conv_2d_mve.h"),    # type: ignore[arg-type]
                                       ("tq_conv_2d_s8", "tq_conv_2d_mve_s8")))


@variant("DEPTHWISE_CONV_2D", "mve", ["depthwise_conv_2d_mve.c", "depthwise_conv_2d_mve.h", "tq_mve.h",
                                      *_headers("DEPTHWISE_CONV_2D", depthwise_conv_2d.lower_portable)],
         applies=depthwise_applies, rows="geo")
def lower_depthwise(d: depthwise_conv_2d.DepthwiseData, em: Emitter) -> None:
    depthwise_conv_2d.lower_portable(d, _Renamed(em, ("depthwise_conv_2d.h", "depthwise_conv_2d_mve.h"),  # type: ignore[arg-type]
                                                 ("tq_depthwise_conv_2d_s8", "tq_depthwise_conv_2d_mve_s8")))


@variant("FULLY_CONNECTED", "mve", ["fully_connected_mve.c", "fully_connected_mve.h", "tq_mve.h",
                                    *_headers("FULLY_CONNECTED", fully_connected.lower_portable)], applies=_int8)
def lower_fc(d: fully_connected.FcData, em: Emitter) -> None:
    fully_connected.lower_portable(d, _Renamed(em, ("fully_connected.h", "fully_connected_mve.h"),  # type: ignore[arg-type]
                                               ("tq_fully_connected_s8", "tq_fully_connected_mve_s8")))
