"""Fuse x * f(x) into one table: a MUL of a tensor by LOGISTIC or TANH of that same tensor.

x * sigmoid(x) is swish / SiLU (EfficientNet, YOLOv5 and later, many audio models), which the
TFLite converter leaves as LOGISTIC then MUL: two passes over the tensor and a third tensor as
large as x. With int8 per-tensor quantization the product is a function of x's 256 values alone,
so the pair becomes the LOGISTIC op with the MUL as its epilogue (`Op.epilogue`): one 256-entry
table in flash, made at generation time from both ops' integer arithmetic (tinyq/ops/_unary.py
lower_table), and each inference is one lookup per element, in place.
The sigmoid tensor never exists."""
from __future__ import annotations

from tinyq.ir import Graph

TABLE_UNARY = ("LOGISTIC", "TANH")


def fuse_unary_products(g: Graph) -> int:
    fused = 0
    changed = True
    while changed:
        changed = False
        producers = g.producers()
        consumers = g.consumers()
        for mul in g.ops:
            if mul.opcode != "MUL" or len(mul.inputs) != 2 or mul.inputs[0] == mul.inputs[1]:
                continue
            for x_first in (True, False):
                x, s = mul.inputs if x_first else mul.inputs[::-1]
                if s not in producers or s in g.outputs or len(consumers.get(s, [])) != 1:
                    continue
                f = g.ops[producers[s]]
                if f.opcode not in TABLE_UNARY or f.epilogue or f.inputs[0] != x:
                    continue
                if any(g.t(t).dtype != "int8" or not g.t(t).is_quantized or len(g.t(t).scale) != 1
                       for t in (x, s, mul.outputs[0])):
                    continue
                if g.t(mul.outputs[0]).shape != g.t(x).shape:
                    continue
                f.epilogue = [mul]
                f.body_output = s
                f.outputs = [mul.outputs[0]]
                g.ops.remove(mul)
                g.renumber()
                fused += 1
                changed = True
                break
            if changed:
                break
    return fused
