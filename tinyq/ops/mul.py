"""MUL, int8 or int16, with broadcasting."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range_of
from tinyq.ops._dsp_layout import DSP_SOURCES, requant_plan
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, register_binary_variants
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant
from tinyq.quant import quantize_multiplier


@register_op("MUL")
def prepare(op: Op, g: Graph) -> BinaryData:
    dtype = binary_check(op, g, ("int8", "int16"))
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    mult, shift = quantize_multiplier(a.qscale * b.qscale / out.qscale)
    act_min, act_max = fused_range_of(op, out)
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "out_mult": mult, "out_shift": shift, "out_offset": out.qzero, "act_min": act_min, "act_max": act_max,
    }, mac_count=out.num_elements, dtype=dtype)


register_binary_variants("MUL", "mul")


@variant("MUL", "dsp", ["mul_dsp.c", "mul_dsp.h", "tq_broadcast.h", *DSP_SOURCES],
         applies=lambda d: d.dtype == "int8", name="mul_dsp", rows="bcast")
def lower_dsp(d: BinaryData, em: Emitter) -> None:
    """The product requantized with SMMLAR (tq_rq_fast) where provably exact."""
    f = d.params
    reach = lambda off: max(abs(-128 + off), abs(127 + off))  # noqa: E731
    bound = reach(f["in1_offset"]) * reach(f["in2_offset"])
    rows, factor, exact = requant_plan(np.array([f["out_mult"]]), np.array([f["out_shift"]]), f["out_offset"],
                                       np.array([bound]), np.zeros(1, np.int64))
    em.include("mul_dsp.h")
    walk, period = d.walk
    p = em.params("tq_mul_dsp_params", {
        "shape": f["shape"], "in1_offset": f["in1_offset"], "in2_offset": f["in2_offset"],
        "rq": "{" + ", ".join(str(int(v)) for v in rows[0]) + "}", "exact": exact,
        "fshift": int(factor[0]).bit_length() - 1, "walk": walk, "period": period, "zp": f["out_offset"],
        "act_min": f["act_min"], "act_max": f["act_max"],
    })
    em.call(f"tq_mul_dsp_s8({p}, {em.tensor(d.a)}, {em.tensor(d.b)}, {em.tensor(d.output)})")
