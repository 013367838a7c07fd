"""ADD, int8 or int16, with broadcasting; may run in place over an input of the output's shape."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._common import fused_range, fused_range_of
from tinyq.ops._dsp_layout import DSP_SOURCES, residual_add_tables
from tinyq.ops._elementwise import BinaryData, binary_check, binary_data, broadcast_init, register_binary_variants
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant
from tinyq.quant import quantize_multiplier_smaller_than_one_exp

LEFT_SHIFT = 20        # TFLM's headroom for int8 ADD/SUB
LEFT_SHIFT_S16 = 15    # and for int16: 65535 << 15 still fits the int32 sum

AddData = BinaryData


def prepare_add_sub(op: Op, g: Graph) -> BinaryData:
    """TFLM's CalculateOpDataAdd/Sub: both inputs to twice the larger scale, in double. int16
    (zero points 0) uses the same general scheme with 15 bits of headroom: TFLM's int16 Add/Sub
    take the general-scale path (AddGeneralParamScale) whatever pot_scale_int16 says."""
    dtype = binary_check(op, g, ("int8", "int16"))
    a, b, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    left_shift = LEFT_SHIFT if dtype == "int8" else LEFT_SHIFT_S16
    twice_max = 2.0 * max(a.qscale, b.qscale)
    if not 0.0 < twice_max / ((1 << left_shift) * out.qscale) < 1.0:
        raise Refusal("output scale is too small for the inputs' scales (TFLM rejects it too)")
    m1, s1 = quantize_multiplier_smaller_than_one_exp(a.qscale / twice_max)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(b.qscale / twice_max)
    mo, so = quantize_multiplier_smaller_than_one_exp(twice_max / ((1 << left_shift) * out.qscale))
    act_min, act_max = fused_range(op, out) if dtype == "int8" else fused_range_of(op, out)
    return binary_data(op, g, {
        "shape": broadcast_init(op, g), "in1_offset": -a.qzero, "in2_offset": -b.qzero,
        "in1_mult": m1, "in1_shift": s1, "in2_mult": m2, "in2_shift": s2,
        "out_mult": mo, "out_shift": so, "out_offset": out.qzero, "left_shift": left_shift,
        "act_min": act_min, "act_max": act_max,
    }, dtype=dtype)


register_op("ADD")(prepare_add_sub)
register_binary_variants("ADD", "add", headers=("tq_s16.h",))


ADD_DSP_SOURCES = ["add_dsp.c", "add_dsp.h", "tq_broadcast.h", *DSP_SOURCES]


def lower_add_dsp(d: BinaryData, em: Emitter, negate: bool = False) -> None:
    """Two byte-indexed tables of TFLM's per-input rescale, one sum, one fast requantization;
    SUB (`negate`) is the same with the second table negated (TFLM subtracts the rescaled
    halves)."""
    f = d.params
    lut1, lut2, row, exact = residual_add_tables(f, conv_first=True)
    if negate:
        lut2 = -lut2    # |entries| < 2^30: no overflow, and the bound of the sum is unchanged
    em.include("add_dsp.h")
    walk, period = d.walk
    p = em.params("tq_add_dsp_params", {
        "shape": f["shape"], "lut1": em.const(lut1, "addlut"), "lut2": em.const(lut2, "sublut" if negate else "addlut"),
        "rq": "{" + ", ".join(str(int(v)) for v in row) + "}", "exact": exact, "walk": walk, "period": period,
        "zp": f["out_offset"], "act_min": f["act_min"], "act_max": f["act_max"],
    })
    em.call(f"tq_add_dsp_s8({p}, {em.tensor(d.a)}, {em.tensor(d.b)}, {em.tensor(d.output)})")


variant("ADD", "dsp", ADD_DSP_SOURCES, applies=lambda d: d.dtype == "int8", name="add_dsp",
        rows="bcast")(lower_add_dsp)
