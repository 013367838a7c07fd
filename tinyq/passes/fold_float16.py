"""Fold the DEQUANTIZE(float16) ops TensorFlow's float16 conversion puts in front of every float
constant: the weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED stay float16 (half the
flash of float32; their float32 kernels convert each weight on the fly, see
firmware/kernels/conv_f32.h), every other such constant (biases, ADD/MUL operands) becomes the
float32 constant it dequantizes to (exactly: float16 -> float32 is exact)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph

WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def fold_float16_constants(g: Graph) -> int:
    consumers = g.consumers()
    folded = 0
    keep = []
    for op in g.ops:
        src = g.t(op.inputs[0]) if op.opcode == "DEQUANTIZE" and len(op.inputs) == 1 else None
        if src is None or src.dtype != "float16" or src.data is None or len(op.outputs) != 1 \
                or op.outputs[0] in g.outputs:
            keep.append(op)
            continue
        out = g.t(op.outputs[0])
        if out.dtype != "float32" or out.num_elements != src.num_elements:
            keep.append(op)
            continue
        users = [g.ops[i] for i in consumers.get(op.outputs[0], [])]
        as_weights = bool(users) and all(u.opcode in WEIGHT_OPS and u.inputs[1] == op.outputs[0]
                                         and op.outputs[0] not in u.inputs[2:] for u in users)
        data = np.asarray(src.data, np.float16).reshape(out.shape)
        out.data = data if as_weights else data.astype(np.float32)
        out.dtype = "float16" if as_weights else "float32"
        folded += 1
    g.ops = keep
    g.renumber()
    return folded
