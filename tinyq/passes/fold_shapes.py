"""Constant-fold shape arithmetic and re-infer the shapes it decides.

A model converted with an unknown batch computes its RESHAPE targets at run time
(SHAPE -> STRIDED_SLICE/GATHER/REDUCE_PROD -> PACK/CONCATENATION -> RESHAPE), and the file then
stores placeholder shapes for the tensors downstream. tinyq fixes the batch to the file's static
shape (1), evaluates those small integer ops here with numpy, and recomputes the shapes of the
ops they feed. TFLM cannot run such models at all; after this pass they are plain static graphs."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tinyq.errors import ModelError
from tinyq.ir import Graph, Op, Tensor

SHAPE_ONLY_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}
# Ops whose output has the shape of their first input.
SAME_SHAPE_OPS = {
    "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH", "QUANTIZE",
    "DEQUANTIZE", "SOFTMAX", "ABS", "NEG",
}


def _strided_slice(x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray, o: dict) -> np.ndarray:
    idx = []
    for d in range(len(begin)):
        b = None if (o.get("begin_mask", 0) >> d) & 1 else int(begin[d])
        e = None if (o.get("end_mask", 0) >> d) & 1 else int(end[d])
        if (o.get("shrink_axis_mask", 0) >> d) & 1:
            idx.append(int(begin[d]))
        else:
            idx.append(slice(b, e, int(strides[d])))
    return np.asarray(x[tuple(idx)])


Evaluator = Callable[[Op, list[np.ndarray], list[Tensor]], np.ndarray]

EVALUATORS: dict[str, Evaluator] = {
    "SHAPE": lambda op, v, t: np.array(t[0].shape, dtype=np.int32),
    "GATHER": lambda op, v, t: np.take(v[0], v[1].astype(np.int64), axis=op.options.get("axis", 0)),
    "REDUCE_PROD": lambda op, v, t: np.prod(v[0], axis=tuple(np.atleast_1d(v[1]).tolist()),
                                            keepdims=bool(op.options.get("keep_dims", False))).astype(v[0].dtype),
    "PACK": lambda op, v, t: np.stack(v, axis=op.options.get("axis", 0)),
    "CONCATENATION": lambda op, v, t: np.concatenate([np.atleast_1d(x) for x in v], axis=op.options.get("axis", 0)),
    "STRIDED_SLICE": lambda op, v, t: _strided_slice(v[0], v[1], v[2], v[3], op.options),
    "SLICE": lambda op, v, t: v[0][tuple(slice(int(b), None if s == -1 else int(b) + int(s)) for b, s in zip(v[1], v[2]))],
    "CAST": lambda op, v, t: v[0],
    "SQUEEZE": lambda op, v, t: np.squeeze(v[0]),
    "EXPAND_DIMS": lambda op, v, t: np.expand_dims(v[0], int(np.asarray(v[1]).ravel()[0])),
    "MUL": lambda op, v, t: v[0] * v[1],
    "ADD": lambda op, v, t: v[0] + v[1],
    "SUB": lambda op, v, t: v[0] - v[1],
}
_INT_DTYPES = ("int32", "int64")


def _foldable(op: Op, g: Graph) -> bool:
    if op.opcode not in EVALUATORS or len(op.outputs) != 1:
        return False
    if g.t(op.outputs[0]).dtype not in _INT_DTYPES:
        return False  # only integer shape arithmetic; quantized int8 math stays in kernels
    if op.opcode == "SHAPE":
        return True
    return all(i >= 0 and g.t(i).is_const for i in op.inputs)


def _reshape_target(op: Op, g: Graph) -> list[int]:
    if len(op.inputs) > 1 and op.inputs[1] >= 0 and g.t(op.inputs[1]).is_const:
        return [int(x) for x in np.asarray(g.t(op.inputs[1]).data).ravel()]
    if op.options.get("new_shape"):
        return [int(x) for x in op.options["new_shape"]]
    return list(g.t(op.outputs[0]).shape)


def _infer_reshape(op: Op, g: Graph) -> None:
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if op.opcode != "RESHAPE":
        if out.num_elements != inp.num_elements:
            raise ModelError(f"op {op.index} {op.opcode}: output shape {out.shape} does not hold the "
                             f"{inp.num_elements} elements of its input")
        return
    target = _reshape_target(op, g)
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1])) or 1
        target = [inp.num_elements // known if d == -1 else d for d in target]
    if int(np.prod(target)) != inp.num_elements:
        if out.num_elements == inp.num_elements:
            return  # trust the file's static shape
        raise ModelError(f"op {op.index} RESHAPE: cannot reshape {inp.shape} to {target}")
    out.shape = tuple(target)


def _infer_fully_connected(op: Op, g: Graph) -> None:
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    units, depth = w.shape
    if op.options.get("keep_num_dims"):
        out.shape = tuple(inp.shape[:-1]) + (units,)
    else:
        out.shape = (inp.num_elements // depth, units)


def fold_shape_operands(g: Graph) -> int:
    """Evaluate shape arithmetic, re-infer dependent shapes, and drop RESHAPE shape operands.
    Returns how many ops were folded or rewritten; dead shape ops are left for DCE."""
    changed = 0
    for op in g.ops:
        if _foldable(op, g):
            out = g.t(op.outputs[0])
            vals = [g.t(i).data if i >= 0 and g.t(i).is_const else None for i in op.inputs]
            ins = [g.t(i) for i in op.inputs if i >= 0]
            value = np.asarray(EVALUATORS[op.opcode](op, vals, ins)).astype(out.dtype)
            out.data, out.shape = value, tuple(value.shape)
            changed += 1
        elif op.opcode in SHAPE_ONLY_OPS:
            _infer_reshape(op, g)
            if len(op.inputs) > 1:
                op.inputs = op.inputs[:1]
                changed += 1
        elif op.opcode == "FULLY_CONNECTED" and g.t(op.inputs[1]).is_const and len(g.t(op.inputs[1]).shape) == 2:
            _infer_fully_connected(op, g)
        elif op.opcode in SAME_SHAPE_OPS and op.inputs and op.inputs[0] >= 0:
            g.t(op.outputs[0]).shape = g.t(op.inputs[0]).shape
    # Ops whose outputs became constants are dead now unless a graph output needs them.
    g.ops = [op for op in g.ops if not all(g.t(o).is_const for o in op.outputs) or
             any(o in g.outputs for o in op.outputs)]
    g.renumber()
    return changed
