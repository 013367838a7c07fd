"""SUB, int8 or int16, with broadcasting (TFLM computes its constants like ADD's)."""
from __future__ import annotations

from tinyq.ops._elementwise import BinaryData, register_binary_variants
from tinyq.ops.add import ADD_DSP_SOURCES, lower_add_dsp, prepare_add_sub
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant

register_op("SUB")(prepare_add_sub)
register_binary_variants("SUB", "sub", headers=("tq_s16.h",))


@variant("SUB", "dsp", ADD_DSP_SOURCES, applies=lambda d: d.dtype == "int8", name="sub_dsp", rows="bcast")
def lower_dsp(d: BinaryData, em: Emitter) -> None:
    """ADD's table kernel with the second input's table negated."""
    lower_add_dsp(d, em, negate=True)
