"""Graph validation: what must hold of a parsed model before any later stage trusts it.

`validate(graph)` runs right after the reader built the IR, so every command gets it. It checks
the generic properties TFLM's Prepare (and the flatbuffer's own invariants) enforce, and what
tinyq's C types can hold, and raises `ModelError` naming the op index, opcode, tensor and value,
with a hint. Op-specific semantics (weight layouts, supported combinations) stay in each op's
prepare step (`tinyq/ops/`), which refuses with a reason instead.

- Tensors: a dtype of the schema where an op or the graph uses it (the ops refuse the ones
  tinyq does not compile); non-negative dimensions, at most
  6 of them, every element count and byte size below 2^31; quantization parameters finite, in
  [1e-30, 1e30] and > 0, as many zero points as scales, per-channel arrays as long as the
  quantized dimension, zero points in the dtype's range (int8 [-128, 127], uint8 [0, 255],
  int16 / int32 / int64 0, as TFLM requires of int16 activations and int32 biases).
- The graph: ops in execution order (a DAG): every tensor an op reads is a constant, a graph
  input or written by an earlier op; every tensor written once; no op writes a graph input or a
  constant; graph inputs are not constants and appear once; graph outputs are written.
- Options: present where the op's geometry lives in them (convolutions, pools, concatenation,
  softmax, ...), of the op's own options type, every value of the right type; strides,
  dilations, filter sizes and depth multipliers in [1, 32767]; paddings and fused activations
  from their enums.
- Requantization: the scale ratios an op's requantization multiplies by (input/output, and
  input x weight / output for the convolutions and FULLY_CONNECTED) below 2^30, so the shifts
  TFLM's QuantizeMultiplier yields stay in the range its kernels (and tinyq's) shift by.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinyq.errors import ModelError
from tinyq.ir import DTYPE_SIZE, Graph, Op, Tensor

LIMIT = 2**31                  # element counts and byte sizes stay below this (int32 in C)
MAX_RANK = 6
SCALE_MIN, SCALE_MAX = 1e-30, 1e30
MAX_REQUANT_RATIO = 2.0**30    # QuantizeMultiplier's shift stays <= 30 below this
INT16_MAX = 32767
ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (0, 0), "int32": (0, 0),
                    "int64": (0, 0)}

# Recurrent ops whose "fused activation" is a gate's nonlinearity (TANH, SIGMOID), computed in
# int16 inside the op, not a clamp of its quantized output.
GATE_ACTIVATION_OPS = ("UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "LSTM",
                       "UNIDIRECTIONAL_SEQUENCE_RNN", "RNN", "SVDF")

# Ops whose effect is not an output tensor: they write a resource variable (or run the
# subgraph that initialises them).
NO_OUTPUT_OPS = ("CALL_ONCE", "ASSIGN_VARIABLE")

# The options type each op must have (TFLite schema names), and whether it may be missing
# (True: TFLM's defaults are what the converter writes; False: the geometry lives in them).
OPTIONS: dict[str, tuple[str, bool]] = {
    "CONV_2D": ("Conv2DOptions", False),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", False),
    "AVERAGE_POOL_2D": ("Pool2DOptions", False),
    "MAX_POOL_2D": ("Pool2DOptions", False),
    "L2_POOL_2D": ("Pool2DOptions", False),
    "TRANSPOSE_CONV": ("TransposeConvOptions", False),
    "FULLY_CONNECTED": ("FullyConnectedOptions", True),
    "SOFTMAX": ("SoftmaxOptions", False),
    "CONCATENATION": ("ConcatenationOptions", False),
    "LEAKY_RELU": ("LeakyReluOptions", False),
    "PACK": ("PackOptions", False),
    "ADD": ("AddOptions", True),
    "SUB": ("SubOptions", True),
    "MUL": ("MulOptions", True),
    "RESHAPE": ("ReshapeOptions", True),
    "STRIDED_SLICE": ("StridedSliceOptions", True),
    "PAD": ("PadOptions", True),
    "PADV2": ("PadV2Options", True),
    "MEAN": ("ReducerOptions", True),
    "SUM": ("ReducerOptions", True),
    "REDUCE_PROD": ("ReducerOptions", True),
    "REDUCE_MAX": ("ReducerOptions", True),
    "RESIZE_NEAREST_NEIGHBOR": ("ResizeNearestNeighborOptions", True),
    "RESIZE_BILINEAR": ("ResizeBilinearOptions", True),
    "HARD_SWISH": ("HardSwishOptions", True),
    "QUANTIZE": ("QuantizeOptions", True),
    "DEQUANTIZE": ("DequantizeOptions", True),
    "MAXIMUM": ("MaximumMinimumOptions", True),
    "MINIMUM": ("MaximumMinimumOptions", True),
    "TRANSPOSE": ("TransposeOptions", True),
    "GATHER": ("GatherOptions", True),
    "SHAPE": ("ShapeOptions", True),
    "SQUEEZE": ("SqueezeOptions", True),
    "EXPAND_DIMS": ("ExpandDimsOptions", True),
    "CAST": ("CastOptions", True),
    "SLICE": ("SliceOptions", True),
}
# (fewest inputs, most inputs (None: any), outputs, optional input positions) TFLM's Prepare
# accepts, for the ops tinyq compiles or folds.
_UNARY = (1, 1, 1, ())
_BINARY = (2, 2, 1, ())
ARITY: dict[str, tuple[int, int | None, int, tuple[int, ...]]] = {
    "CONV_2D": (2, 3, 1, (2,)), "DEPTHWISE_CONV_2D": (2, 3, 1, (2,)), "FULLY_CONNECTED": (2, 3, 1, (2,)),
    "TRANSPOSE_CONV": (3, 4, 1, (3,)),
    "AVERAGE_POOL_2D": _UNARY, "MAX_POOL_2D": _UNARY, "L2_POOL_2D": _UNARY, "SOFTMAX": _UNARY,
    "LOGISTIC": _UNARY, "TANH": _UNARY, "RELU": _UNARY, "RELU6": _UNARY, "RELU_N1_TO_1": _UNARY,
    "HARD_SWISH": _UNARY, "LEAKY_RELU": _UNARY, "QUANTIZE": _UNARY, "DEQUANTIZE": _UNARY, "SHAPE": _UNARY,
    "CAST": _UNARY, "SQUEEZE": _UNARY, "ABS": _UNARY, "NEG": _UNARY,
    "ADD": _BINARY, "SUB": _BINARY, "MUL": _BINARY, "MAXIMUM": _BINARY, "MINIMUM": _BINARY,
    "PAD": _BINARY, "MEAN": _BINARY, "SUM": _BINARY, "REDUCE_PROD": _BINARY, "REDUCE_MAX": _BINARY,
    "RESIZE_NEAREST_NEIGHBOR": _BINARY, "RESIZE_BILINEAR": _BINARY, "TRANSPOSE": _BINARY, "GATHER": _BINARY,
    "EXPAND_DIMS": _BINARY,
    "PADV2": (2, 3, 1, ()), "RESHAPE": (1, 2, 1, ()), "STRIDED_SLICE": (4, 4, 1, ()), "SLICE": (3, 3, 1, ()),
    "CONCATENATION": (1, None, 1, ()), "PACK": (1, None, 1, ()),
}
POSITIVE_INT16_OPTIONS = ("stride_w", "stride_h", "dilation_w_factor", "dilation_h_factor", "filter_width",
                          "filter_height", "depth_multiplier")
ENUM_OPTIONS = {"padding": ("SAME", "VALID"),
                "fused_activation_function": ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")}
FLOAT_OPTIONS = ("beta", "alpha")
# Ops whose requantization multiplies by input scale x weight scale / output scale.
WEIGHTED_OPS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0, "TRANSPOSE_CONV": 0}


def _tname(t: Tensor) -> str:
    name = t.name if len(t.name) <= 60 else t.name[:57] + "..."
    return f"tensor {t.index} '{name}'" if name else f"tensor {t.index}"


def _where(op: Op) -> str:
    return f"op {op.index} ({op.opcode})"


def validate(g: Graph, option_types: list[str | None] | None = None) -> None:
    """Raise ModelError for the first property of the list above that `g` breaks.

    option_types: per op, the options type the file stores ("Conv2DOptions"), None where the op
    has none; the reader passes it (a Graph built in Python has no file to compare with)."""
    used = _used_tensors(g)
    for t in g.tensors:
        _check_tensor(g, t, t.index in used)
    _check_graph(g)
    for k, op in enumerate(g.ops):
        _check_options(op, None if option_types is None else option_types[k], option_types is not None)
        _check_activation(g, op)
        _check_requant(g, op)
        _check_shapes(g, op)


def _used_tensors(g: Graph) -> set[int]:
    used = set(g.inputs) | set(g.outputs)
    for op in g.ops:
        used.update(t for t in op.inputs + op.outputs if t >= 0)
    return used


def _check_tensor(g: Graph, t: Tensor, used: bool) -> None:
    name = f"'{g.name}': {_tname(t)}"
    if t.dtype not in DTYPE_SIZE:
        # A type of the schema tinyq does not compile (uint32, resource, string, complex64, ...) is
        # shown by `inspect`; the ops that use it refuse it (tinyq/ops/registry.py). Only a type
        # number outside the schema means a corrupt file.
        if used and t.dtype.startswith("type"):
            raise ModelError(f"{name} has type number {t.dtype[4:]}, which no TFLite schema defines",
                             "the file is corrupt or from a newer schema; re-convert it")
        return
    if len(t.shape) > MAX_RANK:
        raise ModelError(f"{name} has {len(t.shape)} dimensions {list(t.shape)}, more than {MAX_RANK}",
                         "TFLM kernels handle at most 6-D tensors; the file is probably corrupt")
    if any(d < 0 for d in t.shape):
        raise ModelError(f"{name} has a negative dimension {list(t.shape)}",
                         "a dynamic (-1) dimension must be fixed before conversion (batch 1)")
    n = 1
    for d in t.shape:
        n *= int(d)
    if n >= LIMIT or n * DTYPE_SIZE[t.dtype] >= LIMIT:
        raise ModelError(f"{name} has shape {list(t.shape)}: {n:,} elements of {t.dtype}, "
                         f"{n * DTYPE_SIZE[t.dtype]:,} bytes, not below 2^31",
                         "no microcontroller holds that; the file is probably corrupt")
    if n == 0 and used and not t.is_const:
        raise ModelError(f"{name} has shape {list(t.shape)}: no elements",
                         "an activation tensor holds at least one element; the file is corrupt")
    if t.scale is None:
        return
    s = np.asarray(t.scale, dtype=np.float64)
    zp = np.asarray(t.zero_point if t.zero_point is not None else np.zeros(len(s)), dtype=np.float64)
    if len(s) == 0:
        return
    if len(zp) != len(s):
        raise ModelError(f"{name} has {len(s)} quantization scales but {len(zp)} zero points",
                         "every scale needs its zero point; the file is corrupt")
    bad = ~np.isfinite(s) | (s < SCALE_MIN) | (s > SCALE_MAX)
    if bad.any():
        k = int(np.argmax(bad))
        raise ModelError(f"{name} has quantization scale {float(s[k])!r} (channel {k}); scales must be "
                         f"finite and in [{SCALE_MIN:g}, {SCALE_MAX:g}]",
                         "a zero, negative, infinite or denormal scale cannot be requantized; "
                         "re-quantize the model with representative data")
    if len(s) > 1:
        qd = t.quantized_dimension
        if not 0 <= qd < len(t.shape) or int(t.shape[qd]) != len(s):
            dim = int(t.shape[qd]) if 0 <= qd < len(t.shape) else None
            raise ModelError(f"{name} has {len(s)} per-channel scales along dimension {qd}, but shape "
                             f"{list(t.shape)} has {dim if dim is not None else 'no such dimension'}",
                             "per-channel arrays must be as long as the quantized dimension")
    lo, hi = ZERO_POINT_RANGE.get(t.dtype, (-LIMIT, LIMIT))
    if t.dtype in ("int16", "int32", "int64") and not used:
        return
    badz = (zp < lo) | (zp > hi)
    if badz.any():
        k = int(np.argmax(badz))
        z = int(np.asarray(t.zero_point)[k]) if t.zero_point is not None else 0
        rng = f"[{lo}, {hi}]" if lo != hi else f"{lo}"
        raise ModelError(f"{name} ({t.dtype}) has zero point {z} (channel {k}); it must be {rng}",
                         "int8 zero points lie in [-128, 127]; int16 activations and int32 biases are "
                         "symmetric (zero point 0), as TFLM requires")


def _check_graph(g: Graph) -> None:
    n = len(g.tensors)
    m = f"'{g.name}'"
    for where, lst in (("graph input", g.inputs), ("graph output", g.outputs)):
        for i in lst:
            if not 0 <= i < n:
                raise ModelError(f"{m}: {where} refers to tensor {i}, but there are {n}")
    if len(set(g.inputs)) != len(g.inputs):
        raise ModelError(f"{m}: a tensor is listed twice as graph input {list(g.inputs)}",
                         "the file is corrupt")
    if len(set(g.outputs)) != len(g.outputs):
        raise ModelError(f"{m}: a tensor is listed twice as graph output {list(g.outputs)}",
                         "the file is corrupt")
    for i in g.inputs:
        if g.t(i).is_const:
            raise ModelError(f"{m}: graph input {_tname(g.t(i))} is a constant (it has data)",
                             "a graph input is written by the caller; the file is corrupt")
    if not g.ops:
        raise ModelError(f"{m} has no ops", "there is nothing to compile")
    written: dict[int, int] = {i: -1 for i in g.inputs}   # tensor -> op that wrote it (-1: the caller)
    for op in g.ops:
        w = _where(op)
        if not op.outputs and op.opcode not in NO_OUTPUT_OPS:
            raise ModelError(f"{m}: {w} has no outputs", "the file is corrupt")
        if op.opcode in ARITY:
            lo, hi, n_out, optional = ARITY[op.opcode]
            if len(op.inputs) < lo or (hi is not None and len(op.inputs) > hi) or len(op.outputs) != n_out:
                want = f"{lo}" if hi == lo else f"{lo} or more" if hi is None else f"{lo} to {hi}"
                raise ModelError(f"{m}: {w} has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                                 f"it takes {want} inputs and {n_out} output(s)", "the file is corrupt")
            missing = [k for k, t in enumerate(op.inputs) if t == -1 and k not in optional]
            if missing:
                raise ModelError(f"{m}: {w} input {missing[0]} is omitted (-1), but it is required",
                                 "the file is corrupt")
        for t in op.inputs:
            if t == -1:
                continue
            if not 0 <= t < n:
                raise ModelError(f"{m}: {w} reads tensor {t}, but there are {n}", "the file is corrupt")
            if not g.t(t).is_const and not g.t(t).is_variable and t not in written:
                later = next((o.index for o in g.ops if t in o.outputs), None)
                raise ModelError(f"{m}: {w} reads {_tname(g.t(t))} before any op writes it"
                                 + (f" (op {later} writes it later)" if later is not None else
                                    " (no op writes it and it is not a graph input)"),
                                 "ops must be stored in execution order, every tensor written before it "
                                 "is read; the file is corrupt")
        for t in op.outputs:
            if not 0 <= t < n:
                raise ModelError(f"{m}: {w} writes tensor {t}, but there are {n}", "the file is corrupt")
            tt = g.t(t)
            if tt.is_const:
                raise ModelError(f"{m}: {w} writes constant {_tname(tt)}",
                                 "an op's output cannot be a constant; the file is corrupt")
            if t in written:
                by = written[t]
                raise ModelError(f"{m}: {w} writes {_tname(tt)}, already written by "
                                 + ("the caller (it is a graph input)" if by < 0 else f"op {by}"),
                                 "every tensor is written once; the file is corrupt")
            written[t] = op.index
    for i in g.outputs:
        if i in g.inputs:
            raise ModelError(f"{m}: graph output {_tname(g.t(i))} is also a graph input",
                             "an output no op computes has nothing to compile; the file is corrupt")
        if i not in written and not g.t(i).is_const:
            raise ModelError(f"{m}: graph output {_tname(g.t(i))} is never written by an op",
                             "the file is corrupt or the graph is incomplete")
        if g.t(i).is_const and i not in written:
            raise ModelError(f"{m}: graph output {_tname(g.t(i))} is a constant",
                             "a model whose output does not depend on its input has nothing to compile")


def _check_options(op: Op, stored: str | None, from_file: bool) -> None:
    w = _where(op)
    spec = OPTIONS.get(op.opcode)
    if spec is not None and from_file:
        want, optional = spec
        if stored is None and not optional:
            raise ModelError(f"{w} has no options (it needs {want}: its geometry and activation)",
                             "TFLM would run it with zeroed parameters; the file is corrupt")
        if stored is not None and stored != want:
            raise ModelError(f"{w} has options of type {stored}, not {want}", "the file is corrupt")
    for key, value in op.options.items():
        if key in POSITIVE_INT16_OPTIONS:
            if key == "depth_multiplier" and value == 0:
                continue  # TFLM ignores it in favour of the shapes; some converters write 0
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= INT16_MAX:
                raise ModelError(f"{w} option {key} = {value!r} is out of range [1, {INT16_MAX}]",
                                 "strides, dilations, filter sizes and depth multipliers are small "
                                 "positive integers; the file is corrupt")
        elif key in ENUM_OPTIONS:
            if value not in ENUM_OPTIONS[key]:
                raise ModelError(f"{w} option {key} = {value!r} is not one of {', '.join(ENUM_OPTIONS[key])}",
                                 "the file is corrupt")
        elif key in FLOAT_OPTIONS:
            if not isinstance(value, (int, float, np.number)) or not math.isfinite(float(value)):
                raise ModelError(f"{w} option {key} = {value!r} is not a finite number", "the file is corrupt")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ModelError(f"{w} option {key} = {value!r} is not a finite number", "the file is corrupt")
        elif not _plain(value):
            raise ModelError(f"{w} option {key} has a value of type {type(value).__name__}",
                             "options must be numbers, booleans, strings or lists of them; "
                             "the file is corrupt")


def _check_shapes(g: Graph, op: Op) -> None:
    """Shape agreements whose violation makes a kernel write past its output (TFLM's Prepare
    checks them): CONCATENATION's inputs add up to its output along the axis."""
    if op.opcode == "CONCATENATION" and op.outputs:
        out = g.t(op.outputs[0])
        axis = op.options.get("axis", 0)
        if not isinstance(axis, (int, np.integer)) or not -len(out.shape) <= axis < len(out.shape):
            return  # the op's prepare step refuses the axis
        axis = int(axis) % len(out.shape)
        ins = [g.t(t) for t in op.inputs if t >= 0]
        if all(len(t.shape) == len(out.shape) for t in ins):
            total = sum(int(t.shape[axis]) for t in ins)
            if total != out.shape[axis]:
                raise ModelError(f"{_where(op)}: its inputs hold {total} along axis {axis}, its output "
                                 f"{_tname(out)} {list(out.shape)} holds {out.shape[axis]}",
                                 "the inputs' sizes along the axis must add up to the output's; "
                                 "the file is corrupt")


def _check_activation(g: Graph, op: Op) -> None:
    """TFLM's CalculateActivationRangeQuantized knows NONE, RELU, RELU6 and RELU_N1_TO_1 only."""
    act = op.options.get("fused_activation_function", "NONE")
    if act in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1") or op.opcode in GATE_ACTIVATION_OPS:
        return
    if any(0 <= t < len(g.tensors) and g.t(t).dtype in ("int8", "int16", "uint8") for t in op.outputs):
        raise ModelError(f"{_where(op)} has fused activation {act} on a quantized output",
                         "TFLM fuses only RELU, RELU6 and RELU_N1_TO_1 into quantized ops; "
                         "the file is corrupt")


def _plain(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float, str, np.integer, np.floating)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_plain(x) for x in v)
    return False


def _check_requant(g: Graph, op: Op) -> None:
    """Ratios of the scales an op's requantization divides by, below 2^30 (see module docstring)."""
    def act_scale(t: int) -> float | None:
        if t < 0:
            return None
        tt = g.t(t)
        if tt.is_const or not tt.is_quantized or tt.dtype not in ("int8", "int16", "uint8"):
            return None
        return float(np.max(tt.scale))
    outs = [s for s in (act_scale(t) for t in op.outputs) if s]
    ins = [s for s in (act_scale(t) for t in op.inputs) if s]
    if not outs or not ins:
        return
    ratio = max(ins) / min(outs)
    if op.opcode in WEIGHTED_OPS and len(op.inputs) > 1 and op.inputs[1] >= 0:
        wt = g.t(op.inputs[1])
        if wt.is_quantized:
            ratio = max(ratio, max(ins) * float(np.max(wt.scale)) / min(outs))
    if ratio >= MAX_REQUANT_RATIO:
        raise ModelError(f"{_where(op)}: its requantization multiplies by {ratio:.3g} (input and weight scales "
                         f"over output scale {min(outs):.3g} of {_tname(g.t(op.outputs[0]))}), not below 2^30",
                         "TFLM's requantization shifts cannot represent that; the scales are corrupt")
