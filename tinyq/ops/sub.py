"""SUB, int8 or int16, with broadcasting (TFLM computes its constants like ADD's)."""
from __future__ import annotations

from tinyq.ops._elementwise import register_binary_variants
from tinyq.ops.add import prepare_add_sub
from tinyq.ops.registry import register_op

register_op("SUB")(prepare_add_sub)
register_binary_variants("SUB", "sub", headers=("tq_s16.h",))
