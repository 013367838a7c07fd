"""Streaming models that keep state between invocations in resource variables (VAR_HANDLE,
READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE): the generated C and TFLM each run one model instance
over a sequence of inputs, compared at every step."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")


def _convert(module, path: Path, shape: tuple[int, ...], *, quantize_variables: bool) -> Path:
    from tfmodels import quantize_with

    saved = path.with_suffix(".saved")
    tf.saved_model.save(module, str(saved), signatures=module.__call__)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    conv.experimental_enable_resource_variables = True
    conv._experimental_variable_quantization = quantize_variables
    return quantize_with(conv, path, [shape], samples=32)


def frame_buffer_model(path: Path, frames: int = 4, width: int = 3, quantize_variables: bool = True) -> Path:
    """A streaming classifier: the last `frames` input frames in a variable (shifted by one every
    step), a dense layer over them; the state starts at a non-zero constant (CALL_ONCE)."""
    rng = np.random.default_rng(1)

    class Stream(tf.Module):
        def __init__(self):
            self.state = tf.Variable(rng.uniform(-0.5, 0.5, (1, frames, width)).astype(np.float32), trainable=False)
            self.w = tf.constant(rng.uniform(-1, 1, (frames * width, 5)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([1, 1, width], tf.float32)])
        def __call__(self, x):
            new = tf.concat([self.state[:, 1:, :], x], axis=1)
            self.state.assign(new)
            return tf.nn.relu(tf.matmul(tf.reshape(new, [1, frames * width]), self.w))

    return _convert(Stream(), path, (1, 1, width), quantize_variables=quantize_variables)


def leaky_state_model(path: Path) -> Path:
    """A float state (the converter leaves it float, with QUANTIZE/DEQUANTIZE around it) updated as
    s = s/2 + x: every output depends on the whole history."""
    class Leaky(tf.Module):
        def __init__(self):
            self.s = tf.Variable(tf.zeros([1, 6]), trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([1, 6], tf.float32)])
        def __call__(self, x):
            self.s.assign(self.s * 0.5 + x)
            return self.s + 0.0

    return _convert(Leaky(), path, (1, 6), quantize_variables=False)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("stream")
    return {"frames": frame_buffer_model(d / "frames.tflite"), "leaky": leaky_state_model(d / "leaky.tflite")}


@pytest.mark.parametrize("name", ["frames", "leaky"])
def test_streams_bit_exact_over_consecutive_steps(name: str, models: dict[str, Path]) -> None:
    g = load(models[name])
    ops = [op.opcode for op in g.ops]
    # the dead-code pass keeps the state update, which reaches no output in its own step
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= set(ops), ops
    rep = verify(models[name], samples=60, seed=2, sanitize=True)
    assert rep.samples == 60 and rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def test_state_carries_over_and_reset_restores_it(models: dict[str, Path], tmp_path: Path) -> None:
    """The same input fed 6 times gives changing outputs (the state moves); with
    tinyq_model_reset() before each, every one is the first step's output."""
    from tinyq.targets.host import build_host, run_host
    from tinyq.targets.reference import run_reference
    from tinyq.workflows.compile import compile

    gen = compile(models["leaky"])
    assert gen.variable_bytes == 6 * 4 and "void tinyq_model_reset(void);" in gen.files["model.h"]
    gen.write(tmp_path)
    exe = build_host(tmp_path)
    x = np.random.default_rng(4).integers(-128, 128, size=(1, 1, 6), dtype=np.int8)
    xs = [np.repeat(x, 6, axis=0)]
    stream, _ = run_host(exe, gen.graph, xs)
    fresh, _ = run_host(exe, gen.graph, xs, reset_each=True)
    want, _ = run_reference(models["leaky"], xs, 1)
    assert [o[0].tolist() for o in stream] == [w[0].tolist() for w in want]
    assert len({o[0].tobytes() for o in stream}) > 1
    assert all(o[0].tobytes() == stream[0][0].tobytes() for o in fresh)


def test_variables_live_outside_the_arena(models: dict[str, Path]) -> None:
    from tinyq.workflows.compile import compile

    gen = compile(models["frames"])
    assert gen.variable_bytes == 12          # int8[1, 4, 3], quantized by the converter
    c = gen.files["model.c"]
    assert "static int8_t tq_var_0[12]" in c and "if (!tq_call_once_done)" in c


@pytest.mark.slow
def test_stream_deploys_bit_exact_step_by_step(models: dict[str, Path], tmp_path: Path) -> None:
    """On the emulated Cortex-M4 the firmware keeps the state between bench runs: 20 consecutive
    steps, each compared with TFLM's step (its interpreter runs the same sequence)."""
    from tinyq.workflows.deploy import DeployOptions, deploy

    rep = deploy(DeployOptions(model=models["frames"], emulate=True, samples=20, seed=3, out=tmp_path / "d",
                               quiet=True))
    assert rep["bit_exact"] and rep["samples"] == 20 and rep["mismatches"] == 0
    assert rep["reference"] == "TFLM"
    assert "ASSIGN_VARIABLE" in [layer["op"] for layer in rep["layers"]]


def svdf_model(src: Path, dst: Path, batches: int = 1, inputs: int = 6, units: int = 3, rank: int = 2,
               memory: int = 5, seed: int = 0) -> Path:
    """A one-op SVDF model (TF's converter writes SVDF only from graphs Keras cannot build) on the
    skeleton of converter-made `src`: int8 input and feature weights, int16 time weights and
    state (a variable tensor), int32 bias at the scale TFLM checks, int8 output."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    rng = np.random.default_rng(seed)
    filters = units * rank
    m = fbu.read_model(str(src))
    code = s.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = s.BuiltinOperator.SVDF, s.BuiltinOperator.SVDF, 3
    m.operatorCodes = [code]
    m.buffers = [s.BufferT()]
    tensors = []

    def tensor(shape, ttype, scale, zp, data=None, variable=False, name="t"):
        t = s.TensorT()
        t.shape, t.type, t.name, t.isVariable = list(shape), ttype, name, variable
        t.quantization = s.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [scale], [zp]
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            m.buffers.append(b)
            t.buffer = len(m.buffers) - 1
        tensors.append(t)
        return len(tensors) - 1

    T = s.TensorType
    s_in, s_wf, s_st, s_wt, s_out = 0.02, 0.01, 0.004, 0.00005, 0.003
    x = tensor([batches, inputs], T.INT8, s_in, 3, name="x")
    wf = tensor([filters, inputs], T.INT8, s_wf, 0, rng.integers(-127, 128, (filters, inputs), dtype=np.int8), name="wf")
    wt = tensor([filters, memory], T.INT16, s_wt, 0, rng.integers(-20000, 20000, (filters, memory), dtype=np.int16),
                name="wt")
    bias = tensor([units], T.INT32, s_st * s_wt, 0, rng.integers(-40000, 40000, units, dtype=np.int32), name="b")
    st = tensor([batches, memory * filters], T.INT16, s_st, 0, variable=True, name="state")
    out = tensor([batches, units], T.INT8, s_out, -5, name="y")
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [x, wf, wt, bias, st], [out]
    op.builtinOptionsType = s.BuiltinOptions.SVDFOptions
    op.builtinOptions = s.SVDFOptionsT()
    op.builtinOptions.rank = rank
    sub = m.subgraphs[0]
    sub.tensors, sub.operators, sub.inputs, sub.outputs = tensors, [op], [x], [out]
    m.subgraphs = [sub]
    fbu.write_model(m, str(dst))
    return dst


@pytest.mark.parametrize("batches, rank, memory", [(1, 1, 4), (1, 2, 5), (2, 3, 3)])
def test_svdf_state_bit_exact_over_consecutive_steps(batches: int, rank: int, memory: int, models: dict[str, Path],
                                                      tmp_path: Path) -> None:
    path = svdf_model(models["leaky"], tmp_path / "svdf.tflite", batches=batches, rank=rank, memory=memory)
    rep = verify(path, samples=60, seed=batches + rank, sanitize=True)
    assert rep.samples == 60 and rep.elements > 0 and rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


def _keras3_lstm_classifier(tmp_path: Path, cell: str = "LSTM") -> tuple[Path, Path]:
    """A Keras 3 recurrent classifier over 8 steps of 5 features, saved as .keras, and its
    calibration data. Its LSTM has a RELU cell activation: a standard one (tanh) would be rebuilt
    in tf_keras and fused (tests/test_lstm.py); TFLM's fused LSTM has no RELU, so this one is
    unrolled."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(1)
    layer = keras.layers.LSTM(12, activation="relu") if cell == "LSTM" else getattr(keras.layers, cell)(12)
    m = keras.Sequential([keras.Input(shape=(8, 5)), layer, keras.layers.Dense(4), keras.layers.Softmax()])
    path = tmp_path / f"{cell.lower()}.keras"
    m.save(path)
    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).uniform(-1, 1, (128, 8, 5)).astype(np.float32))
    return path, calib


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_keras3_recurrent_classifier_quantizes_unrolled_and_is_bit_exact(cell: str, tmp_path: Path, capsys) -> None:
    """`tinyq quantize` unrolls Keras 3's GRU and non-standard LSTM over the fixed time steps (the
    fused layer crashes TensorFlow's int8 converter) and says so: the model becomes ops tinyq
    compiles (SPLIT, UNPACK, FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD, SUB), bit-exact with TFLM."""
    from tinyq.cli import main

    path, calib = _keras3_lstm_classifier(tmp_path, cell)
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(path), "--calib", str(calib), "-o", str(out)]) == 0
    assert "unrolled over the fixed time steps" in capsys.readouterr().err
    ops = {op.opcode for op in load(out).ops}
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" not in ops and {"FULLY_CONNECTED", "LOGISTIC"} <= ops, ops
    rep = verify(out, samples=100, seed=6)
    assert rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


@pytest.mark.slow
def test_keras3_lstm_classifier_deploys_bit_exact(tmp_path: Path, capsys) -> None:
    import json

    from tinyq.cli import main

    path, calib = _keras3_lstm_classifier(tmp_path)
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(path), "--calib", str(calib), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["deploy", "--model", str(out), "--board", "nrf52840", "--emulate", "--samples", "10",
                 "--out", str(tmp_path / "dep"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bit_exact"] is True and rep["samples"] == 10 and rep["mismatches"] == 0


def test_keras3_bidirectional_is_refused_before_converting(tmp_path: Path, capsys) -> None:
    keras = pytest.importorskip("keras")
    from tinyq.cli import main

    m = keras.Sequential([keras.Input(shape=(6, 3)), keras.layers.Bidirectional(keras.layers.LSTM(4)),
                          keras.layers.Dense(2)])
    m.save(tmp_path / "bi.keras")
    np.save(tmp_path / "c.npy", np.zeros((4, 6, 3), np.float32))
    assert main(["quantize", str(tmp_path / "bi.keras"), "--calib", str(tmp_path / "c.npy"),
                 "-o", str(tmp_path / "o.tflite")]) == 2
    err = capsys.readouterr().err
    assert "Bidirectional" in err and "crash" in err and "Traceback" not in err
