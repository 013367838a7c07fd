"""UNIDIRECTIONAL_SEQUENCE_LSTM, int8: tf_keras (Keras 2) LSTMs converted by TensorFlow to the fused
op, bit-exact with TFLM over >= 100 consecutive inputs (the hidden and cell state carry over from
one input to the next on both sides, as TFLM keeps its variable tensors)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"


def lstm_model(path: Path, units: int, steps: int, features: int, *, sequences: bool = True, batch: int = 1,
               time_major: bool = False, head: int = 0, stacked: int = 0, seed: int = 0) -> Path:
    """A tf_keras LSTM (then a second one of `stacked` units, a Dense head of `head` classes)
    converted to full int8."""
    from tfmodels import quantize_with

    tf_keras.utils.set_random_seed(seed)
    # time-major: Keras' "batch" dimension is the time axis
    shape, lead = ((batch, features), steps) if time_major else ((steps, features), batch)
    layers = [tf_keras.Input(shape=shape, batch_size=lead),
              tf_keras.layers.LSTM(units, return_sequences=sequences, time_major=time_major)]
    if stacked:
        layers.append(tf_keras.layers.LSTM(stacked))
    if head:
        layers += [tf_keras.layers.Dense(head), tf_keras.layers.Softmax()]
    m = tf_keras.Sequential(layers)
    return quantize_with(tf.lite.TFLiteConverter.from_keras_model(m), path, [(lead, *shape)], samples=32, seed=seed)


def _lstm_op(path: Path):
    g = load(path)
    ops = [op for op in g.ops if op.opcode == LSTM]
    assert len(ops) == 1, [op.opcode for op in g.ops]
    return g, ops[0]


@pytest.mark.parametrize("units, steps, features, sequences, batch", [
    (4, 1, 3, True, 1), (8, 6, 4, False, 1), (32, 20, 8, False, 1), (12, 5, 3, True, 2),
])
def test_lstm_sizes_bit_exact(units: int, steps: int, features: int, sequences: bool, batch: int,
                              tmp_path: Path) -> None:
    """Both kernels: the portable one, and the DSP one (its SMLAD pairs in C on the host)."""
    path = lstm_model(tmp_path / "m.tflite", units, steps, features, sequences=sequences, batch=batch, seed=units)
    g, op = _lstm_op(path)
    assert not op.options["time_major"] and g.t(op.inputs[18]).is_variable
    kernels = "portable" if units in (8, 32) else "dsp"
    rep = verify(path, samples=100, seed=units + steps, sanitize=units == 12, kernels=kernels)
    assert rep.samples == 100 and rep.elements > 0 and rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def test_stacked_lstms_keep_their_own_state_bit_exact(tmp_path: Path) -> None:
    from tinyq.workflows.compile import compile

    # (the DSP variant pads the weight rows to whole words: 4 and 10 inputs, 10 and 6 units)
    path = lstm_model(tmp_path / "s.tflite", 10, 9, 4, stacked=6, head=3, seed=3)
    g = load(path)
    lstms = [op for op in g.ops if op.opcode == LSTM]
    assert len(lstms) == 2
    # int8 hidden + int16 cell state each, and a byte for a hidden state whose zero point is not 0
    flags = sum(g.t(op.inputs[18]).qzero != 0 for op in lstms)
    gen = compile(path)
    assert gen.variable_bytes == 3 * (10 + 6) + flags
    assert gen.files["model.c"].count("tq_lstm_dsp_s8(") == 2
    assert compile(path, kernels="portable").files["model.c"].count("tq_lstm_s8(") == 2
    rep = verify(path, samples=100, seed=5)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def test_time_major_with_batches_bit_exact(tmp_path: Path) -> None:
    path = lstm_model(tmp_path / "tm.tflite", 6, 7, 3, batch=3, time_major=True, seed=3)
    _, op = _lstm_op(path)
    assert op.options["time_major"], op.options
    rep = verify(path, samples=100, seed=1)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def _patched(src: Path, dst: Path, *, hidden_zp: int, cell_clip: float) -> Path:
    """`src` with the hidden state (and the output it is copied to) at zero point `hidden_zp` and
    the cell state clipped at `cell_clip`: the corner cases the converter does not write."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    sub = m.subgraphs[0]
    op = next(o for o in sub.operators if m.operatorCodes[o.opcodeIndex].builtinCode
              == s.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
    for t in (op.inputs[18], op.outputs[0]):
        sub.tensors[t].quantization.zeroPoint = [hidden_zp]
    op.builtinOptions.cellClip = cell_clip
    fbu.write_model(m, str(dst))
    return dst


def test_hidden_zero_point_cell_clip_and_reset(tmp_path: Path) -> None:
    """A hidden state with zero point 7 starts (and restarts after tinyq_model_reset()) at 7, as
    TFLM resets int8 variable tensors; a tight cell clip clamps the cell state."""
    from tinyq.targets.host import build_host, run_host
    from tinyq.targets.reference import run_reference
    from tinyq.workflows.compile import compile

    base = lstm_model(tmp_path / "b.tflite", 8, 6, 4, seed=5)
    path = _patched(base, tmp_path / "p.tflite", hidden_zp=7, cell_clip=0.05)
    rep = verify(path, samples=100, seed=2, sanitize=True)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()
    gen = compile(path)
    # int8 hidden + int16 cell state (8 units), and the byte that says the hidden state was filled
    assert gen.variable_bytes == 8 + 16 + 1
    gen.write(tmp_path / "gen")
    exe = build_host(tmp_path / "gen")
    x = np.random.default_rng(4).integers(-128, 128, size=(1, 1, 6, 4), dtype=np.int8)
    xs = [np.repeat(x, 5, axis=0)]
    stream, _ = run_host(exe, gen.graph, xs)
    fresh, _ = run_host(exe, gen.graph, xs, reset_each=True)
    want, _ = run_reference(path, xs, 1)
    assert [o[0].tolist() for o in stream] == [w[0].tolist() for w in want]
    assert len({o[0].tobytes() for o in stream}) > 1                       # the state moves
    assert all(o[0].tobytes() == stream[0][0].tobytes() for o in fresh)    # and reset restores it


def _as_16x8(src: Path, dst: Path) -> Path:
    """A one-LSTM int8 model from the converter recast as 16x8 (TensorFlow's converter does not
    quantize an LSTM to 16x8, TFLM runs one): the input, hidden state and output int16 at 1/256
    of their int8 scales, zero point 0, the biases int64 at the matching scale (x 256)."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    sub = m.subgraphs[0]
    assert len(sub.operators) == 1
    op = sub.operators[0]
    for t in (op.inputs[0], op.inputs[18], op.outputs[0]):
        q = sub.tensors[t].quantization
        sub.tensors[t].type = s.TensorType.INT16
        q.scale, q.zeroPoint = [float(np.float32(q.scale[0] / 256))], [0]
    for b in {sub.tensors[op.inputs[k]].buffer for k in (12, 13, 14, 15)}:   # gates may share one
        bias = np.frombuffer(bytes(m.buffers[b].data), np.int32).astype(np.int64) * 256
        m.buffers[b].data = np.frombuffer(bias.tobytes(), np.uint8)
    for k in (12, 13, 14, 15):
        t = sub.tensors[op.inputs[k]]
        t.type = s.TensorType.INT64
        t.quantization.scale = [float(np.float32(t.quantization.scale[0] / 256))]
    fbu.write_model(m, str(dst))
    return dst


def test_16x8_bit_exact(tmp_path: Path) -> None:
    base = lstm_model(tmp_path / "b.tflite", 12, 8, 5, batch=2, seed=9)
    path = _as_16x8(base, tmp_path / "s16.tflite")
    g, op = _lstm_op(path)
    assert g.t(op.inputs[0]).dtype == "int16" and g.t(op.inputs[12]).dtype == "int64"
    rep = verify(path, samples=100, seed=6, sanitize=True)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def _with_inputs(src: Path, dst: Path, changes: dict[int, int], activation: int | None = None) -> Path:
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    op = next(o for o in m.subgraphs[0].operators if m.operatorCodes[o.opcodeIndex].builtinCode
              == s.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
    for k, t in changes.items():
        op.inputs[k] = op.inputs[t] if t >= 0 else -1
    if activation is not None:
        op.builtinOptions.fusedActivationFunction = activation
    fbu.write_model(m, str(dst))
    return dst


def test_variants_tflm_rejects_are_refused_with_the_reason(tmp_path: Path) -> None:
    """Peepholes, projection, layer norm, CIFG and a RELU cell activation: TFLM's integer LSTM
    rejects (or aborts on) each, so tinyq refuses each, saying why. (A Keras LSTM with a sigmoid
    cell activation crashes TensorFlow 2.21's converter, and the file format has no SIGMOID.)"""
    from tinyq.workflows.inspect import inspect_model

    base = lstm_model(tmp_path / "b.tflite", 4, 3, 2, seed=1)
    cases = {"peephole": ({9: 19}, None, "peephole"), "projection": ({16: 5}, None, "projection"),
             "layer_norm": ({20: 19}, None, "layer normalization"), "cifg": ({1: -1, 5: -1, 12: -1}, None, "CIFG"),
             "relu": ({}, 1, "TANH only")}
    for name, (changes, act, why) in cases.items():
        info = inspect_model(_with_inputs(base, tmp_path / f"{name}.tflite", changes, act))
        reasons = [u["reason"] for u in info["unsupported"] if u["op"] == LSTM]
        assert len(reasons) == 1 and why in reasons[0], (name, reasons)


def test_inspect_reports_the_op_and_its_state(tmp_path: Path) -> None:
    from tinyq.workflows.inspect import format_report, inspect_model

    path = lstm_model(tmp_path / "m.tflite", 8, 6, 4, sequences=False, head=3, seed=2)
    info = inspect_model(path)
    assert info["unsupported"] == [] and LSTM not in info["tflm_ops_tinyq_lacks"]
    lstm = next(op for op in info["ops"] if op["op"] == LSTM)
    assert lstm["state_bytes"] == 8 + 16 and info["state_bytes"] == 24
    assert lstm["macs"] == 6 * 4 * 8 * (4 + 8)
    assert "24 B state" in format_report(info)


def _tf_keras_classifier(tmp_path: Path) -> tuple[Path, Path]:
    """A tf_keras LSTM classifier over 10 steps of 6 features, saved as .h5, and calibration data."""
    tf_keras.utils.set_random_seed(7)
    m = tf_keras.Sequential([tf_keras.Input(shape=(10, 6)), tf_keras.layers.LSTM(16), tf_keras.layers.Dense(5),
                             tf_keras.layers.Softmax()])
    path = tmp_path / "lstm_classifier.h5"
    m.save(path)
    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).uniform(-1, 1, (128, 10, 6)).astype(np.float32))
    return path, calib


def test_quantize_keeps_a_tf_keras_lstm_fused_and_says_so(tmp_path: Path, capsys) -> None:
    from tinyq.cli import main

    path, calib = _tf_keras_classifier(tmp_path)
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(path), "--calib", str(calib), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 fused UNIDIRECTIONAL_SEQUENCE_LSTM" in err and "a tf_keras model" in err, err
    _lstm_op(out)
    rep = verify(out, samples=100, seed=3)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def test_quantize_rebuilds_a_keras3_lstm_chain_in_tf_keras_fused(tmp_path: Path, capsys) -> None:
    """A Keras 3 LSTM classifier (functional, a chain of layers) is rebuilt in tf_keras with the
    same weights and converted to the fused op, not unrolled; `quantize` says how."""
    keras = pytest.importorskip("keras")
    from tinyq.cli import main

    keras.utils.set_random_seed(2)
    inp = keras.Input(shape=(7, 4))
    y = keras.layers.LSTM(10)(inp)
    y = keras.layers.Dropout(0.2)(y)
    m = keras.Model(inp, keras.layers.Softmax()(keras.layers.Dense(3)(y)))
    m.save(tmp_path / "k3.keras")
    np.save(tmp_path / "c.npy", np.random.default_rng(1).uniform(-1, 1, (128, 7, 4)).astype(np.float32))
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(tmp_path / "k3.keras"), "--calib", str(tmp_path / "c.npy"), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 fused UNIDIRECTIONAL_SEQUENCE_LSTM" in err and "rebuilt in tf_keras" in err and "unrolled" not in err, err
    _lstm_op(out)
    rep = verify(out, samples=100, seed=4)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


@pytest.mark.slow
def test_lstm_classifier_deploys_bit_exact(tmp_path: Path, capsys) -> None:
    import json

    from tinyq.cli import main

    path, calib = _tf_keras_classifier(tmp_path)
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(path), "--calib", str(calib), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["deploy", "--model", str(out), "--board", "nrf52840", "--emulate", "--samples", "20",
                 "--out", str(tmp_path / "dep"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bit_exact"] is True and rep["samples"] == 20 and rep["mismatches"] == 0, rep
    assert rep["reference"] == "TFLM" and LSTM in [layer["op"] for layer in rep["layers"]]
    assert rep["instructions"] > 0
