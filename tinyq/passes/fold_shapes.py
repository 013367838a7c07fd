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


def _operands(op: Op, g: Graph, n_in: int, n_out: int = 1) -> None:
    """Refuse an op with fewer than n_in inputs / n_out outputs (present, in range) than the
    shape inference below reads."""
    n = len(g.tensors)
    ins_ok = len(op.inputs) >= n_in and all(0 <= t < n for t in op.inputs[:n_in])
    outs_ok = len(op.outputs) >= n_out and all(0 <= t < n for t in op.outputs[:n_out])
    if not (ins_ok and outs_ok):
        raise ModelError(f"op {op.index} ({op.opcode}) has inputs {op.inputs} and outputs {op.outputs}; "
                         f"it needs at least {n_in} input(s) and {n_out} output(s)",
                         "the file is corrupt")


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
    _operands(op, g, 1)
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if op.opcode != "RESHAPE":
        if out.num_elements != inp.num_elements:
            raise ModelError(f"op {op.index} {op.opcode}: output shape {out.shape} does not hold the "
                             f"{inp.num_elements} elements of its input")
        return
    target = _reshape_target(op, g)
    if target.count(-1) > 1 or any(d < -1 for d in target) or len(target) > 6:
        if out.num_elements == inp.num_elements:
            return  # trust the file's static shape
        raise ModelError(f"op {op.index} RESHAPE: invalid target shape {target}", "the file is corrupt")
    if -1 in target:
        known = 1
        for d in target:
            known *= d if d != -1 else 1
        known = known or 1
        target = [inp.num_elements // known if d == -1 else d for d in target]
    total = 1
    for d in target:
        total *= d
    if total != inp.num_elements:
        if out.num_elements == inp.num_elements:
            return  # trust the file's static shape
        raise ModelError(f"op {op.index} RESHAPE: cannot reshape {inp.shape} to {target}", "the file is corrupt")
    if not (_dynamic(inp) or _dynamic(out)):
        # a static file: TFLM keeps the output tensor's own shape, which must hold the elements
        if out.num_elements != inp.num_elements:
            raise ModelError(f"op {op.index} RESHAPE: output tensor {out.index} has shape {list(out.shape)}, "
                             f"{out.num_elements} elements, its input {list(inp.shape)} {inp.num_elements}",
                             "a reshape keeps the number of elements; the file is corrupt")
        return
    out.shape = tuple(target)


def _infer_fully_connected(op: Op, g: Graph) -> None:
    inp, w, out = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    units, depth = w.shape
    if depth < 1 or inp.num_elements % depth:
        return  # leave the file's shape; the op's prepare step refuses the mismatch
    if op.options.get("keep_num_dims"):
        shape = tuple(inp.shape[:-1]) + (units,)
    else:
        shape = (inp.num_elements // depth, units)
    n = 1
    for d in shape:
        n *= int(d)
    if not _dynamic(out) and out.shape and out.shape[-1] != units:
        raise ModelError(f"op {op.index} FULLY_CONNECTED: output tensor {out.index} has shape {list(out.shape)}, "
                         f"but the weights {list(w.shape)} make {units} units",
                         "the output's last dimension is the weights' first; the file is corrupt")
    if _dynamic(out) or _dynamic(inp):
        out.shape = shape
    # else: a static shape that disagrees with the weights stays, and the op's prepare refuses it


def _dynamic(t: Tensor) -> bool:
    return t.shape_signature is not None and -1 in t.shape_signature


def _same_shape(op: Op, g: Graph) -> None:
    """The output takes its input's shape. Where they hold different numbers of elements, that
    is a placeholder shape only in a model converted with a dynamic dimension; otherwise the
    file is inconsistent (TFLM would run the op over a different size than tinyq)."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    if not (_dynamic(inp) or _dynamic(out)):
        if out.num_elements != inp.num_elements:
            raise ModelError(f"op {op.index} ({op.opcode}): output tensor {out.index} has shape {list(out.shape)}, "
                             f"its input tensor {inp.index} {list(inp.shape)}; they must hold the same elements",
                             "the file is corrupt")
        return   # a static file: TFLM keeps the output's own shape
    out.shape = inp.shape


def fold_shape_operands(g: Graph) -> int:
    """Evaluate shape arithmetic, re-infer dependent shapes, and drop RESHAPE shape operands.
    Returns how many ops were folded or rewritten; dead shape ops are left for DCE."""
    changed = 0
    for op in g.ops:
        if _foldable(op, g):
            out = g.t(op.outputs[0])
            vals = [g.t(i).data if i >= 0 and g.t(i).is_const else None for i in op.inputs]
            ins = [g.t(i) for i in op.inputs if i >= 0]
            try:
                value = np.asarray(EVALUATORS[op.opcode](op, vals, ins)).astype(out.dtype)
            except (IndexError, ValueError, TypeError, KeyError, OverflowError) as exc:
                raise ModelError(f"op {op.index} ({op.opcode}): cannot evaluate this shape computation "
                                 f"on its constant operands ({exc.__class__.__name__}: {exc})",
                                 "the file is corrupt") from None
            if value.size >= 2**20:
                raise ModelError(f"op {op.index} ({op.opcode}) folds to {value.size:,} values",
                                 "shape arithmetic is small; the file is corrupt")
            out.data, out.shape = value, tuple(value.shape)
            changed += 1
        elif op.opcode in SHAPE_ONLY_OPS:
            _infer_reshape(op, g)
            if len(op.inputs) > 1:
                op.inputs = op.inputs[:1]
                changed += 1
        elif (op.opcode == "FULLY_CONNECTED" and len(op.inputs) >= 2 and op.inputs[0] >= 0 and op.inputs[1] >= 0
              and op.outputs and g.t(op.inputs[1]).is_const and len(g.t(op.inputs[1]).shape) == 2):
            _infer_fully_connected(op, g)
        elif op.opcode in SAME_SHAPE_OPS and op.inputs and op.inputs[0] >= 0 and op.outputs:
            _same_shape(op, g)
    # Ops whose outputs became constants are dead now unless a graph output needs them.
    # (An op without outputs, ASSIGN_VARIABLE, has an effect instead: never folded away.)
    g.ops = [op for op in g.ops if not op.outputs or not all(g.t(o).is_const for o in op.outputs) or
             any(o in g.outputs for o in op.outputs)]
    g.renumber()
    return changed
