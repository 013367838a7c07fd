"""SUB, int8 or int16, with broadcasting (TFLM computes its constants like ADD's)."""
from __future__ import annotations

from tinyq.ops._elementwise import BinaryData, lower_binary
from tinyq.ops.add import prepare_add_sub
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import register_op, variant

register_op("SUB")(prepare_add_sub)


@variant("SUB", "portable", ["sub.c", "sub.h", "tq_broadcast.h"], applies=lambda d: d.dtype == "int8")
def lower(d: BinaryData, em: Emitter) -> None:
    lower_binary(d, em, "sub.h", "tq_sub_params", "tq_sub_s8")


@variant("SUB", "portable", ["sub.c", "sub.h", "tq_broadcast.h"], applies=lambda d: d.dtype == "int16",
         name="sub_portable_s16")
def lower_s16(d: BinaryData, em: Emitter) -> None:
    lower_binary(d, em, "sub.h", "tq_sub_params", "tq_sub_s16")
