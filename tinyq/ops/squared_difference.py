"""SQUARED_DIFFERENCE, int8 and int16 with broadcasting, as TFLM's quantized kernel."""
from __future__ import annotations

import numpy as np

from tinyq.errors import InternalError
from tinyq.ir import Graph, Op
from tinyq.ops._dsp_layout import DSP_SOURCES, requant_plan
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, register_binary_variants
from tinyq.ops.constants import TQ_ADD_LUT_SIZE, TQ_ADD_LUT_ZERO
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import f32, quantize_multiplier, quantize_multiplier_smaller_than_one_exp, tflm_requantize


@register_op("SQUARED_DIFFERENCE")
def prepare(op: Op, g: Graph) -> BinaryData:
    dtype = binary_check(op, g, ("int8", "int16"))
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    ls = 7 if dtype == "int8" else 0
    twice_max = 2.0 * max(a.qscale, b.qscale)
    m1, s1 = quantize_multiplier_smaller_than_one_exp(a.qscale / twice_max)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(b.qscale / twice_max)
    # (1 << 2 ls) * output scale is a float product in TFLM
    mo, so = quantize_multiplier(twice_max * twice_max / f32((1 << (2 * ls)) * out.qscale))
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "left_shift": ls,
        "in1_offset": -a.qzero, "in1_mult": m1, "in1_shift": s1,
        "in2_offset": -b.qzero, "in2_mult": m2, "in2_shift": s2,
        "out_offset": out.qzero, "out_mult": mo, "out_shift": so,
    }, dtype=dtype)


register_binary_variants("SQUARED_DIFFERENCE", "squared_difference")


def _halves(f: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each input's rescaled value (x + offset) << left_shift times its multiplier, for x + 128."""
    xs = range(-TQ_ADD_LUT_ZERO, TQ_ADD_LUT_SIZE - TQ_ADD_LUT_ZERO)
    return tuple(np.array([tflm_requantize((x + f[f"in{k}_offset"]) << f["left_shift"], f[f"in{k}_mult"],
                                           f[f"in{k}_shift"]) for x in xs], np.int64) for k in (1, 2))  # type: ignore


@variant("SQUARED_DIFFERENCE", "dsp", ["squared_difference_dsp.c", "squared_difference_dsp.h", "tq_broadcast.h",
                                       *DSP_SOURCES],
         applies=lambda d: d.dtype == "int8", name="squared_difference_dsp", rows="bcast")
def lower_dsp(d: BinaryData, em: Emitter) -> None:
    """Two int16 tables of TFLM's per-input rescale, the difference squared, one fast
    requantization where provably exact."""
    f = d.params
    lut1, lut2 = _halves(f)
    bound = int(np.abs(lut1).max() + np.abs(lut2).max()) ** 2
    if max(np.abs(lut1).max(), np.abs(lut2).max()) > 2**15 - 1 or bound > 2**31 - 1:
        raise InternalError("SQUARED_DIFFERENCE halves out of range", "tinyq.ops")   # TFLM's scales keep them < 2^14
    rows, factor, exact = requant_plan(np.array([f["out_mult"]]), np.array([f["out_shift"]]), f["out_offset"],
                                       np.array([bound]), np.zeros(1, np.int64))
    walk, period = d.walk
    em.include("squared_difference_dsp.h")
    p = em.params("tq_squared_difference_dsp_params", {
        "shape": f["shape"], "lut1": em.const(lut1.astype(np.int16), "sqdlut"),
        "lut2": em.const(lut2.astype(np.int16), "sqdlut"),
        "rq": "{" + ", ".join(str(int(v)) for v in rows[0]) + "}", "exact": exact,
        "fshift": int(factor[0]).bit_length() - 1, "walk": walk, "period": period, "zp": f["out_offset"],
    })
    em.call(f"tq_squared_difference_dsp_s8({p}, {em.tensor(d.a)}, {em.tensor(d.b)}, {em.tensor(d.output)})")
