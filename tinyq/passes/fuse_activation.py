"""Fuse a standalone RELU/RELU6/RELU_N1_TO_1 into the op that produces its input.

Exact when the activation's input and output share scale and zero point: TFLM's quantized RELU
then reduces to a clamp, which is what a fused activation does."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph

FUSABLE_PRODUCERS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL",
                     "AVERAGE_POOL_2D", "MAX_POOL_2D"}
ACTIVATIONS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def fuse_activations(g: Graph) -> int:
    producers = g.producers()
    consumers = g.consumers()
    fused = 0
    for op in list(g.ops):
        if op.opcode not in ACTIVATIONS:
            continue
        src, dst = op.inputs[0], op.outputs[0]
        if src not in producers or len(consumers.get(src, [])) != 1 or src in g.outputs:
            continue
        prod = g.ops[producers[src]]
        a, b = g.t(src), g.t(dst)
        if prod.opcode not in FUSABLE_PRODUCERS or prod.options.get("fused_activation_function", "NONE") != "NONE":
            continue
        if a.dtype != "int8" or b.dtype != "int8" or not a.is_quantized or not b.is_quantized:
            continue
        if not (np.array_equal(a.scale, b.scale) and np.array_equal(a.zero_point, b.zero_point)):
            continue
        prod.options["fused_activation_function"] = ACTIVATIONS[op.opcode]
        prod.outputs = [dst if t == src else t for t in prod.outputs]
        g.ops.remove(op)
        fused += 1
        producers = g.producers()
        consumers = g.consumers()
    g.renumber()
    return fused
