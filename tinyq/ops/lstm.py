"""UNIDIRECTIONAL_SEQUENCE_LSTM, int8 or 16x8 (int16 activations, int8 weights, int64 biases),
with TFLM's integer arithmetic: each gate is two FULLY_CONNECTEDs (input and hidden state) to
int16 at scale 2^-12, added with saturation, then TFLM's int16 sigmoid (tanh for the cell gate);
the int16 cell state and the hidden state are updated by int16 multiplications requantized as
TFLM's MUL does. (TensorFlow's converter makes no 16x8 LSTM; TFLM runs one, so tinyq does too.)

What TFLM's kernel (its 2023 rewrite) runs is the standard Keras LSTM: all four gates, no
peepholes, no projection, no layer norm, no CIFG. Everything else it rejects in Prepare, and so
does this module. The hidden and cell state are variable tensors: static RAM outside the arena
that carries over from one invocation to the next, reset by tinyq_model_reset() (the hidden state
to its zero point, the cell state to 0, as TFLM resets variable tensors)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, Op, Tensor
from tinyq.ops._lut16 import sigmoid_table_u16
from tinyq.ops.emitter import Emitter
from tinyq.ops.logistic import checked_log2
from tinyq.ops.registry import Prepared, Refusal, register_op, variant
from tinyq.quant import quantize_multiplier

# TFLite's input positions (lstm_shared.h): the gates in the order input, forget, cell, output
INPUT, HIDDEN, CELL = 0, 18, 19
X_WEIGHTS, H_WEIGHTS, PEEPHOLES, BIASES = (1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11), (12, 13, 14, 15)
PROJECTION, LAYER_NORM = (16, 17), (20, 21, 22, 23)
GATE_SCALE = 2.0 ** -12     # the FULLY_CONNECTEDs' output: Q3.12, the int16 sigmoid/tanh input
ACT_SCALE = 2.0 ** -15      # the int16 sigmoid/tanh output


@dataclass(frozen=True, eq=False)
class LstmData(Prepared):
    input: int
    hidden: int
    cell: int
    output: int
    hidden_zp: int
    fields: dict            # the scalar parameters of tq_lstm_params
    w_x: np.ndarray         # int8 [4, units, inputs], gates i, f, c, o
    w_h: np.ndarray         # int8 [4, units, units]
    b_x: np.ndarray         # [4, units]: bias - input_zp * row sums (int32; int64 for 16x8)
    b_h: np.ndarray         # int32 [4, units]: -hidden_zp * row sums (int8 only)
    state_count: int        # batches * units
    dtype: str = "int8"     # of the activations (input, hidden state, output)

    def macs(self) -> int:
        f = self.fields
        return int(f["batches"] * f["steps"] * 4 * f["units"] * (f["inputs"] + f["units"]))


def _operand(op: Op, g: Graph, k: int) -> Tensor | None:
    return g.t(op.inputs[k]) if k < len(op.inputs) and op.inputs[k] >= 0 else None


def _check_variants(op: Op, g: Graph) -> None:
    """TFLM's LstmTensors::ValidateTensorStatus: the standard LSTM only."""
    absent = [k for k in (INPUT, HIDDEN, CELL, *X_WEIGHTS, *H_WEIGHTS, *BIASES) if _operand(op, g, k) is None]
    if absent:
        what = "coupled input and forget gates (CIFG: no input gate)" if 1 in absent or 5 in absent or 12 in absent \
            else f"inputs {absent} omitted"
        raise Refusal(f"TFLM's LSTM needs all four gates' weights and biases and both states: this one has {what}")
    for kind, positions in (("peephole (cell-to-gate) weights", PEEPHOLES), ("a projection", PROJECTION),
                            ("layer normalization", LAYER_NORM)):
        if any(_operand(op, g, k) is not None for k in positions):
            raise Refusal(f"the LSTM has {kind}, which TFLM's integer LSTM does not run (it rejects the model)")


def _types(op: Op, g: Graph) -> str:
    """The activation type (int8 or int16), once every tensor is of the types TFLM's integer LSTM
    takes: int8 weights, an int16 cell state, and int8 activations with int32 biases or int16
    ones (zero point 0) with int64 biases."""
    x, out = g.t(op.inputs[INPUT]), g.t(op.outputs[0])
    h, c = g.t(op.inputs[HIDDEN]), g.t(op.inputs[CELL])
    if not (h.is_variable and c.is_variable):
        raise Refusal("the hidden and cell state must be variable tensors (TFLM keeps them between invocations)")
    ws = [g.t(op.inputs[k]) for k in (*X_WEIGHTS, *H_WEIGHTS)]
    bs = [g.t(op.inputs[k]) for k in BIASES]
    types = (x.dtype, h.dtype, out.dtype, c.dtype, {w.dtype for w in ws}, {b.dtype for b in bs})
    bias = {"int8": "int32", "int16": "int64"}.get(x.dtype, "")
    if types != (x.dtype, x.dtype, x.dtype, "int16", {"int8"}, {bias}):
        raise Refusal(f"needs int8 input, hidden state and output with int32 biases (or all int16 with int64 "
                      f"biases), an int16 cell state and int8 weights (TFLM's integer LSTM); got input {x.dtype}, "
                      f"hidden {h.dtype}, output {out.dtype}, cell {c.dtype}, weights {sorted(types[4])}, "
                      f"biases {sorted(types[5])}")
    for t in (x, h, c, out, *ws):
        if not t.is_quantized or t.per_channel:
            raise Refusal(f"'{t.name}' must be quantized per tensor (TFLM's LSTM reads one scale)")
    for t in ws:
        if t.qzero != 0 or not t.is_const:
            raise Refusal(f"weights '{t.name}' must be constant and symmetric (zero point 0)")
    if any(not b.is_const for b in bs):
        raise Refusal("the gate biases must be constant")
    if x.dtype == "int16" and (x.qzero or h.qzero or out.qzero):
        raise Refusal("16x8: the input, hidden state and output need zero point 0 (TFLM's int16 "
                      "FULLY_CONNECTED ignores the input's)")
    return x.dtype


@register_op("UNIDIRECTIONAL_SEQUENCE_LSTM")
def prepare(op: Op, g: Graph) -> LstmData:
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise Refusal(f"TFLM's LSTM takes 24 inputs and 1 output, this one has {len(op.inputs)} and {len(op.outputs)}")
    _check_variants(op, g)
    dtype = _types(op, g)
    x, out = g.t(op.inputs[INPUT]), g.t(op.outputs[0])
    h, c = g.t(op.inputs[HIDDEN]), g.t(op.inputs[CELL])
    time_major = bool(op.options.get("time_major", False))
    if len(x.shape) != 3 or len(h.shape) != 2:
        raise Refusal(f"the input must be 3-D and the hidden state 2-D (TFLM reads their dimensions), "
                      f"got {list(x.shape)} and {list(h.shape)}")
    steps, batches = (int(x.shape[0]), int(x.shape[1])) if time_major else (int(x.shape[1]), int(x.shape[0]))
    inputs, units = int(x.shape[2]), int(h.shape[1])
    for k in X_WEIGHTS + H_WEIGHTS:
        w = g.t(op.inputs[k])
        want = [units, inputs if k in X_WEIGHTS else units]
        if [int(v) for v in w.shape] != want:
            raise Refusal(f"weights '{w.name}' are {list(w.shape)}, TFLM needs {want}")
    for k in BIASES:
        if [int(v) for v in g.t(op.inputs[k]).shape] != [units]:
            raise Refusal(f"bias '{g.t(op.inputs[k]).name}' must hold {units} values")
    if h.num_elements != batches * units or c.num_elements != batches * units:
        raise Refusal(f"the states must hold {batches} x {units} values")
    if len(out.shape) != 3 or [int(v) for v in out.shape] != [int(x.shape[0]), int(x.shape[1]), units]:
        raise Refusal(f"output {list(out.shape)} must be {[int(x.shape[0]), int(x.shape[1]), units]}")
    act = op.options.get("fused_activation_function", "TANH")
    if act != "TANH":
        # (TFLM's kernel also has SIGMOID, which a .tflite file cannot express; others abort it)
        raise Refusal(f"cell activation {act}: TFLM's integer LSTM computes the cell gate with TANH only")
    clip = float(op.options.get("cell_clip", 0.0))
    if clip < 0:
        raise Refusal(f"cell_clip is {clip}; TFLM requires it >= 0 (0: no clipping)")

    # TFLM's Prepare, constant by constant: gate FULLY_CONNECTEDs to Q3.12 (double products)
    x_mult, x_shift, h_mult, h_shift = [], [], [], []
    for kx, kh in zip(X_WEIGHTS, H_WEIGHTS):
        m, s = quantize_multiplier(x.qscale * g.t(op.inputs[kx]).qscale / GATE_SCALE)
        x_mult.append(m)
        x_shift.append(s)
        m, s = quantize_multiplier(h.qscale * g.t(op.inputs[kh]).qscale / GATE_SCALE)
        h_mult.append(m)
        h_shift.append(s)
    w_x = np.stack([np.asarray(g.t(op.inputs[k]).data, np.int8) for k in X_WEIGHTS])
    w_h = np.stack([np.asarray(g.t(op.inputs[k]).data, np.int8) for k in H_WEIGHTS])
    bias = np.stack([np.asarray(g.t(op.inputs[k]).data, np.int64) for k in BIASES])
    # the zero points folded into the biases: sum w (x - zp) + b = sum w x + (b - zp sum w)
    b_x = bias - x.qzero * w_x.astype(np.int64).sum(axis=2)
    b_h = -h.qzero * w_h.astype(np.int64).sum(axis=2)
    for b in (b_x, b_h) if dtype == "int8" else ():
        if np.abs(b).max(initial=0) >= 2**31:
            raise Refusal("a gate bias with its zero point folded in exceeds int32")
    if dtype == "int16" and max(x_shift + h_shift) > 7:
        raise Refusal("16x8: a gate's scale ratio exceeds 2^7, beyond TFLM's 64-bit requantization")
    if dtype == "int16":
        bound = np.abs(b_x).max(initial=0) + 32768 * max(np.abs(w_x.astype(np.int64)).sum(axis=2).max(initial=0),
                                                      np.abs(w_h.astype(np.int64)).sum(axis=2).max(initial=0))
        if bound >= 2**47:
            raise Refusal("16x8: a gate's accumulator could exceed 2^47, beyond TFLM's 64-bit requantization")
    # the element-wise products (CreateInterGateMulParams: double scales)
    fc_mult, fc_shift = quantize_multiplier(ACT_SCALE * c.qscale / c.qscale)
    ig_mult, ig_shift = quantize_multiplier(ACT_SCALE * ACT_SCALE / c.qscale)
    out_mult, out_shift = quantize_multiplier(ACT_SCALE * ACT_SCALE / h.qscale)   # to int8 or int16
    # tanh of the cell state: its scale taken as the nearest power of two, as TFLM does
    _, power = checked_log2(c.qscale)
    shift = 15 + power - 3
    tanh_mult, tanh_shift = (3, -shift) if shift < 0 else (3 << shift, 0)
    if tanh_mult > 3 << 14:
        raise Refusal(f"cell state scale {c.qscale:.3g} is too coarse for TFLM's int16 tanh (the input "
                      "multiplier would overflow int32)")
    cell_clip = int(min(max(clip / c.qscale, -32768.0), 32767.0)) if clip > 0 else 0
    fields = {
        "batches": batches, "steps": steps, "inputs": inputs, "units": units, "time_major": int(time_major),
        "hidden_zero_point": h.qzero,
        "x_mult": x_mult, "x_shift": x_shift, "h_mult": h_mult, "h_shift": h_shift,
        "fc_mult": fc_mult, "fc_shift": fc_shift, "ig_mult": ig_mult, "ig_shift": ig_shift,
        "out_mult": out_mult, "out_shift": out_shift, "cell_clip": cell_clip,
        "tanh_mult": tanh_mult, "tanh_shift": tanh_shift,
    }
    return LstmData(op.index, op.opcode, op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0],
                    h.qzero, fields, w_x, w_h, b_x.astype(np.int32 if dtype == "int8" else np.int64),
                    b_h.astype(np.int32), batches * units, dtype)


def _scratch(d: LstmData) -> int:
    # the four gates and tanh(cell) of one batch row, int16
    return 2 * 5 * int(d.fields["units"])


def _c_list(v: object) -> object:
    return "{" + ", ".join(str(int(x)) for x in v) + "}" if isinstance(v, list) else v


SOURCES = ["lstm.c", "lstm.h", "logistic.c", "logistic.h", "tanh.c", "tanh.h", "tq_fixedpoint.h", "tq_s16.h", "tq_dsp.h"]


def _params(d: LstmData, em: Emitter, biases: dict[str, str], w_x: np.ndarray | None = None,
            w_h: np.ndarray | None = None, extra: dict | None = None) -> str:
    return em.params("tq_lstm_params", {
        **{k: _c_list(v) for k, v in d.fields.items()},
        "w_x": em.const(d.w_x if w_x is None else w_x, "lstm_wx"),
        "w_h": em.const(d.w_h if w_h is None else w_h, "lstm_wh"), **biases,
        "table": em.const(sigmoid_table_u16(), "sigmoid"), **(extra or {}),
    })


def _states(d: LstmData, em: Emitter) -> tuple[str, str]:
    return (em.static(f"state:{d.hidden}", d.dtype, d.state_count, f"LSTM hidden state of op {d.index}"),
            em.static(f"state:{d.cell}", "int16", d.state_count, f"LSTM cell state of op {d.index}"))


def _lower_s8(d: LstmData, em: Emitter, dsp: bool) -> None:
    em.include("lstm.h")
    hidden, cell = _states(d, em)
    # a zero hidden state is its zero point: filled on the first invocation after start-up or reset
    armed = em.static(f"armed:{d.hidden}", "uint8", 1, f"LSTM hidden state of op {d.index} filled") \
        if d.hidden_zp else "0"
    biases = {"b_x": em.const(d.b_x, "lstm_bx"), "b_h": em.const(d.b_h, "lstm_bh")}
    if dsp:
        p = _params(d, em, biases, _pad_rows(d.w_x), _pad_rows(d.w_h),
                    {"inputs4": _pad4(int(d.fields["inputs"])), "units4": _pad4(int(d.fields["units"]))})
    else:
        p = _params(d, em, biases)
    kernel, scratch = ("tq_lstm_dsp_s8", "(int32_t *)") if dsp else ("tq_lstm_s8", "(int16_t *)")
    em.call(f"{kernel}({p}, {em.tensor(d.input)}, {hidden}, {cell}, {armed}, {em.tensor(d.output)}, "
            f"{scratch}{em.scratch()})")


@variant("UNIDIRECTIONAL_SEQUENCE_LSTM", "portable", SOURCES, scratch=_scratch, applies=lambda d: d.dtype == "int8")
def lower(d: LstmData, em: Emitter) -> None:
    _lower_s8(d, em, dsp=False)


@variant("UNIDIRECTIONAL_SEQUENCE_LSTM", "portable", SOURCES, scratch=_scratch, applies=lambda d: d.dtype == "int16",
         name="unidirectional_sequence_lstm_portable_s16")
def lower_s16(d: LstmData, em: Emitter) -> None:
    em.include("lstm.h")
    hidden, cell = _states(d, em)
    p = _params(d, em, {"b_x64": em.const(d.b_x, "lstm_bx")})
    em.call(f"tq_lstm_s16({p}, {em.tensor(d.input)}, {hidden}, {cell}, {em.tensor(d.output)}, "
            f"(int16_t *){em.scratch()})")


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def _pad_rows(w: np.ndarray) -> np.ndarray:
    """[4, units, n] -> [4, units, n rounded up to 4], zero weights in the new taps."""
    return np.pad(w, ((0, 0), (0, 0), (0, _pad4(w.shape[2]) - w.shape[2]))).astype(np.int8)


def _scratch_dsp(d: LstmData) -> int:
    # the widened x and h (int16 pairs), then the gates and tanh(cell)
    return 2 * (_pad4(int(d.fields["inputs"])) + _pad4(int(d.fields["units"]))) + _scratch(d)


@variant("UNIDIRECTIONAL_SEQUENCE_LSTM", "dsp", SOURCES, scratch=_scratch_dsp, applies=lambda d: d.dtype == "int8",
         name="unidirectional_sequence_lstm_dsp")
def lower_dsp(d: LstmData, em: Emitter) -> None:
    """The int8 weights kept (rows padded to whole words), multiplied two by two with SMLAD."""
    _lower_s8(d, em, dsp=True)
