"""Element-wise int8 math as 256-entry tables computed here in TFLM's own arithmetic (ABS, NEG,
RSQRT, ELU: the kernel is one lookup per element), and int16 ABS as a small kernel."""
from __future__ import annotations

import ctypes
import ctypes.util
import math
from typing import Callable

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import need_quantized
from tinyq.ops._unary import UnaryData, lower_unary, unary_data
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import f32, quantize_multiplier, round_half_away, tflm_requantize

INT32_MAX = 2**31 - 1
SOURCES = ["lut.c", "lut.h"]


def _sat(v: int, lo: int = -128, hi: int = 127) -> int:
    return max(lo, min(hi, v))


def _clz32(x: int) -> int:
    return 32 - (x & 0xFFFFFFFF).bit_length()


def _srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul on Python ints."""
    if a == b == -2**31:
        return INT32_MAX
    ab = a * b
    v = ab + (2**30 if ab >= 0 else 1 - 2**30)
    return v // 2**31 if v >= 0 else -((-v) // 2**31)


def _sat_shl(x: int, e: int) -> int:
    t = (1 << (31 - e)) - 1
    return INT32_MAX if x > t else -2**31 if x < -t else x << e


def _rdbp(x: int, e: int) -> int:
    """RoundingDivideByPOT."""
    mask = (1 << e) - 1
    return (x >> e) + (1 if (x & mask) > ((mask >> 1) + (1 if x < 0 else 0)) else 0)


def inv_sqrt_multiplier(value: int, reverse_shift: int = -1) -> tuple[int, int]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp (a Newton-Raphson 1/sqrt in Q3.28)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= 1 << 29:
        value //= 4
        shift += 1
    pairs = (_clz32(value) - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    half_input = _rdbp(value >> 1, 1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28
    for _ in range(5):
        x3 = _sat_shl(_srdhm(_srdhm(x, x), x), 6)
        x = _sat_shl(_srdhm(half_three, x) - _srdhm(half_input, x3), 3)
    x = _srdhm(x, 1518500250)
    if shift < 0:
        x <<= -shift
        shift = 0
    return x, shift * reverse_shift


def _expf() -> Callable[[float], float]:
    """The C library's expf (what TFLM's std::exp(float) calls on this host), else exp in
    double rounded to float."""
    name = ctypes.util.find_library("m")
    if name:
        try:
            fn = ctypes.CDLL(name).expf
            fn.argtypes, fn.restype = [ctypes.c_float], ctypes.c_float
            return lambda v: float(fn(v))
        except (OSError, AttributeError):
            pass
    return lambda v: f32(math.exp(v))


def _table(fn: Callable[[int], int]) -> np.ndarray:
    """The 256 outputs, indexed by the input byte."""
    t = np.zeros(256, np.int8)
    for q in range(-128, 128):
        t[q & 0xFF] = _sat(fn(q))
    return t


def _tensors(op: Op, g: Graph, dtypes: tuple[str, ...]) -> tuple[str, float, int, float, int]:
    reason, dtype = need_quantized(op, g, [0, -1], dtypes)
    if reason:
        raise Refusal(reason)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    return dtype, inp.qscale, inp.qzero, out.qscale, out.qzero


def _lut(op: Op, g: Graph, table: np.ndarray) -> UnaryData:
    return unary_data(op, {"count": g.t(op.outputs[0]).num_elements, "table": table}, dtype="int8")


@register_op("ABS")
def prepare_abs(op: Op, g: Graph) -> UnaryData:
    dtype, si, zi, so, zo = _tensors(op, g, ("int8", "int16"))
    rescale = si != so
    mult, shift = quantize_multiplier(si / so) if rescale else (0, 0)
    if dtype == "int16":
        return unary_data(op, {"count": g.t(op.outputs[0]).num_elements, "input_offset": -zi, "output_offset": zo,
                               "rescale": int(rescale), "mult": mult, "shift": shift}, dtype="int16")

    def f(q: int) -> int:
        v = abs(q - zi)
        return (tflm_requantize(v, mult, shift) if rescale else v) + zo
    return _lut(op, g, _table(f))


@register_op("NEG")
def prepare_neg(op: Op, g: Graph) -> UnaryData:
    """TFLM has no integer NEG; TFLite's reference negates the raw int8 values (measured: -128
    stays -128), the converter giving the output the quantization that makes that exact."""
    _tensors(op, g, ("int8",))
    return _lut(op, g, np.array([-(b - 256 if b > 127 else b) for b in range(256)]).astype(np.int8))


@register_op("RSQRT")
def prepare_rsqrt(op: Op, g: Graph) -> UnaryData:
    _, si, zi, so, zo = _tensors(op, g, ("int8",))
    mult, shift = quantize_multiplier(1.0 / (math.sqrt(si) * so))

    def f(q: int) -> int:
        v = q - zi
        if v <= 0:
            # 0: TFLM's "maximum"; below the zero point TFLM fails the invoke (no square root)
            return 127
        im, ishift = inv_sqrt_multiplier(v)
        data = tflm_requantize(1, im, ishift + 20)
        return tflm_requantize(data, mult, shift - 20) + zo
    return _lut(op, g, _table(f))


@register_op("ELU")
def prepare_elu(op: Op, g: Graph) -> UnaryData:
    """TFLM's PopulateLookupTable: dequantize and transform in float, round(x / scale) + zp."""
    _, si, zi, so, zo = _tensors(op, g, ("int8",))
    expf, inv = _expf(), f32(1.0 / f32(so))

    def f(q: int) -> int:
        x = f32(f32(si) * f32(q - zi))
        y = f32(expf(x) - 1.0) if x < 0 else x
        return int(f32(round_half_away(f32(y * inv)) + zo))
    return _lut(op, g, _table(f))


def _lower(d: UnaryData, em: Emitter) -> None:
    if d.dtype == "int16":
        lower_unary(d, em, "lut.h", "tq_abs_params", "tq_abs_s16")
        return
    em.include("lut.h")
    p = em.params("tq_lut_params", {"count": d.params["count"], "table": em.const(d.params["table"], "lut")})
    em.call(f"tq_lut_s8({p}, {em.tensor(d.input)}, {em.tensor(d.output)})")


for _name in ("ABS", "NEG", "RSQRT", "ELU"):
    variant(_name, "portable", SOURCES)(_lower)
