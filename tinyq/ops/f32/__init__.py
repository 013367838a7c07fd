"""float32 kernels: a second prepare step (`register_op(..., dtype="float32")`) and its variants for
each op the int8 path has, chosen when the op's first input is float32 (see registry.py). Their C
is in firmware/kernels/*_f32.c; the arithmetic is TFLite's float reference, checked against
LiteRT's interpreter within a tolerance (tinyq/workflows/verify.py), not bit for bit."""
from tinyq.ops.f32 import conv, elementwise, pool, shape  # noqa: F401  (they register themselves)
