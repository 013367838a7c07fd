"""QUANTIZE and DEQUANTIZE at a model's edges: uint8 I/O (camera models), the 16x8 float edges, and
every type pair TFLM's quantize kernel requantizes, against TFLM bit for bit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _convert(model, path: Path, shape: tuple[int, ...], io, *, int16: bool = False, low: float = 0.0) -> Path:
    from tfmodels import quantize_with

    return quantize_with(tf.lite.TFLiteConverter.from_keras_model(model), path, [(1, *shape)], low=low, int16=int16,
                         io=None if io is None else io.name)


def uint8_image_model(path: Path) -> Path:
    """A small uint8-I/O image classifier as camera models are exported (QUANTIZE uint8 -> int8
    in front, int8 -> uint8 behind)."""
    from tfmodels import keras_model

    m = keras_model([(12, 12, 3)], lambda x: L.Softmax()(L.Dense(5)(L.GlobalAveragePooling2D()(
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)))), seed=3)
    return _convert(m, path, (12, 12, 3), tf.uint8)


def test_uint8_image_model_is_bit_exact(tmp_path: Path) -> None:
    path = uint8_image_model(tmp_path / "u8.tflite")
    g = load(path)
    assert [g.t(t).dtype for t in g.inputs + g.outputs] == ["uint8", "uint8"]
    quants = [(g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype) for op in g.ops if op.opcode == "QUANTIZE"]
    assert quants == [("uint8", "int8"), ("int8", "uint8")]
    rep = verify(path, samples=100, seed=1, sanitize=True)
    assert rep.elements == 500 and rep.mismatches == 0, rep.to_dict()


def test_16x8_float_edges_are_bit_exact(tmp_path: Path) -> None:
    """float32 -> int16 QUANTIZE in front of a 16x8 model, int16 -> float32 DEQUANTIZE behind."""
    from tfmodels import keras_model

    m = keras_model([(5, 5, 3)], lambda x: L.Conv2D(4, 3)(x), seed=4)   # (int16 CONV_2D exists)
    path = _convert(m, tmp_path / "f16x8.tflite", (5, 5, 3), None, int16=True, low=-1.0)
    g = load(path)
    edges = [(op.opcode, g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype)
             for op in g.ops if op.opcode in ("QUANTIZE", "DEQUANTIZE")]
    assert edges == [("QUANTIZE", "float32", "int16"), ("DEQUANTIZE", "int16", "float32")]
    rep = verify(path, samples=100, seed=2)
    assert rep.mismatches == 0, rep.to_dict()


# A chain of QUANTIZE ops through every pair TFLM's quantize kernel accepts (each intermediate is a
# graph output, so every step is compared), with scales that make the multipliers round, then
# DEQUANTIZE of int16 and uint8 tensors.
CHAIN = [("float32", 0.0, 0), ("int8", 0.0173, -7), ("int16", 0.000419, 0), ("int16", 0.00113, 0),
         ("int8", 0.0241, 5), ("int32", 0.0009, 0), ("int16", 0.00077, 0), ("int32", 0.00031, 0),
         ("int8", 0.0187, -3), ("uint8", 0.0187, 125), ("int8", 0.0187, -3), ("int8", 0.0301, 11),
         ("int16", 0.0006, 0), ("int8", 0.017, 2), ("uint8", 0.013, 140), ("int8", 0.021, -9)]


def quantize_chain(src: Path, dst: Path, chain=CHAIN) -> Path:
    """`src` (a converter-made float-I/O model, for its QUANTIZE/DEQUANTIZE codes) rewritten as one
    QUANTIZE chain through `chain`'s (type, scale, zero point) tensors, plus DEQUANTIZE of the
    first int16 and uint8 tensors."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    codes = {max(c.builtinCode, c.deprecatedBuiltinCode): i for i, c in enumerate(m.operatorCodes)}
    q_code, dq_code = codes[s.BuiltinOperator.QUANTIZE], codes[s.BuiltinOperator.DEQUANTIZE]
    sub = m.subgraphs[0]
    types = {"float32": s.TensorType.FLOAT32, "int8": s.TensorType.INT8, "uint8": s.TensorType.UINT8,
             "int16": s.TensorType.INT16, "int32": s.TensorType.INT32}
    m.buffers = m.buffers[:1]
    tensors, ops = [], []

    def tensor(dtype: str, scale: float, zp: int, name: str) -> int:
        t = s.TensorT()
        t.shape, t.type, t.buffer, t.name = [1, 6, 5], types[dtype], 0, name
        if scale:
            t.quantization = s.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [scale], [zp]
        tensors.append(t)
        return len(tensors) - 1

    def op(code: int, a: int, b: int) -> None:
        o = s.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = code, [a], [b]
        ops.append(o)

    prev = tensor(*chain[0], "x")
    for k, spec in enumerate(chain[1:]):
        cur = tensor(*spec, f"q{k}_{spec[0]}")
        op(q_code, prev, cur)
        prev = cur
    outs = list(range(1, len(tensors)))
    for dtype in ("int16", "uint8"):
        src_t = next(i for i, c in enumerate(chain) if c[0] == dtype)
        f = tensor("float32", 0.0, 0, f"dq_{dtype}")
        op(dq_code, src_t, f)
        outs.append(f)
    sub.tensors, sub.operators, sub.inputs, sub.outputs = tensors, ops, [0], outs
    fbu.write_model(m, str(dst))
    return dst


def _float_io_model(path: Path) -> Path:
    from tfmodels import keras_model

    return _convert(keras_model([(5,)], lambda x: L.Dense(3)(x)), path, (5,), None, low=-1.0)


@pytest.fixture(scope="module")
def float_io(tmp_path_factory) -> Path:
    return _float_io_model(tmp_path_factory.mktemp("qio") / "f.tflite")


def test_every_quantize_pair_is_bit_exact(float_io: Path, tmp_path: Path) -> None:
    path = quantize_chain(float_io, tmp_path / "chain.tflite")
    g = load(path)
    pairs = {(g.t(op.inputs[0]).dtype, g.t(op.outputs[0]).dtype) for op in g.ops if op.opcode == "QUANTIZE"}
    assert pairs == {("float32", "int8"), ("int8", "int16"), ("int16", "int16"), ("int16", "int8"),
                     ("int8", "int32"), ("int32", "int16"), ("int16", "int32"), ("int32", "int8"),
                     ("int8", "uint8"), ("uint8", "int8"), ("int8", "int8")}
    # inputs spread beyond the first scale's range, so later steps saturate too
    xs = [np.random.default_rng(3).uniform(-3.0, 3.0, size=(100, 1, 6, 5)).astype(np.float32)]
    rep = verify(path, inputs=xs)
    assert rep.elements == 100 * 30 * (len(CHAIN) + 1) and rep.mismatches == 0, rep.to_dict()
    assert rep.reference == "TFLM"


def test_uint8_requantize_falls_back_to_litert_reference(float_io: Path, tmp_path: Path) -> None:
    """uint8 -> uint8 is TFLite's, not TFLM's: verify says it compared with LiteRT's reference
    kernels, and why."""
    chain = [("float32", 0.0, 0), ("int8", 0.02, 0), ("uint8", 0.02, 128), ("uint8", 0.013, 100),
             ("uint8", 0.031, 7), ("int8", 0.03, 0)]
    path = quantize_chain(float_io, tmp_path / "u8u8.tflite", chain + [("int16", 0.0004, 0)])
    rep = verify(path, samples=100, seed=4, layers=True)
    assert rep.reference == "LiteRT BUILTIN_REF" and "UINT8" in rep.reference_note
    assert rep.ok and rep.elements > 0, rep.to_dict()


@pytest.mark.parametrize("dtype", ["UINT32", "COMPLEX64", "STRING", "RESOURCE", "UINT16"])
def test_inspect_shows_types_tinyq_does_not_compile(dtype: str, float_io: Path, tmp_path: Path) -> None:
    """inspect lists a tensor type tinyq cannot compile; compile refuses it naming the tensor."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    from tinyq.errors import UnsupportedOpError
    from tinyq.workflows.compile import compile
    from tinyq.workflows.inspect import format_report, inspect_model

    m = fbu.read_model(str(float_io))
    sub = m.subgraphs[0]
    out = sub.tensors[sub.outputs[0]]
    out.type, out.quantization = getattr(s.TensorType, dtype), None
    path = tmp_path / f"odd_{dtype}.tflite"
    fbu.write_model(m, str(path))
    info = inspect_model(path)
    assert info["outputs"][0]["dtype"] == dtype.lower()
    assert any(f"type {dtype}" in u["reason"] for u in info["unsupported"]), info["unsupported"]
    assert dtype.lower() in format_report(info)
    with pytest.raises(UnsupportedOpError, match=f"has type {dtype}, which tinyq does not compile"):
        compile(path)


@pytest.mark.slow
def test_uint8_image_model_deploys_bit_exact(tmp_path: Path, capsys) -> None:
    """`tinyq deploy --emulate` of a uint8-I/O model, fed a uint8 --data file (camera pixels)."""
    import json

    from tinyq.cli import main

    path = uint8_image_model(tmp_path / "u8.tflite")
    pixels = np.random.default_rng(8).integers(0, 256, size=(12, 1, 12, 12, 3), dtype=np.uint8)
    np.save(tmp_path / "pixels.npy", pixels)
    capsys.readouterr()
    assert main(["deploy", "--model", str(path), "--board", "nrf52840", "--emulate", "--samples", "12",
                 "--data", str(tmp_path / "pixels.npy"), "--out", str(tmp_path / "dep"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bit_exact"] is True and rep["samples"] == 12 and rep["mismatches"] == 0
    assert [layer["op"] for layer in rep["layers"]][0] == "QUANTIZE"


@pytest.mark.slow
def test_float_input_16x8_model_deploys_with_float_data(tmp_path: Path, capsys) -> None:
    """A float-I/O 16x8 model (float32 -> int16 QUANTIZE in front, int16 -> float32 DEQUANTIZE
    behind) through `deploy --emulate`, fed a float32 --data file: floats over the serial link,
    bit-exact with TFLM."""
    import json

    from tinyq.cli import main

    from tfmodels import keras_model

    m = keras_model([(5, 5, 3)], lambda x: L.Conv2D(4, 3)(x), seed=4)
    path = _convert(m, tmp_path / "f16x8.tflite", (5, 5, 3), None, int16=True, low=-1.0)
    np.save(tmp_path / "x.npy", np.random.default_rng(2).uniform(-1, 1, (8, 1, 5, 5, 3)).astype(np.float32))
    capsys.readouterr()
    assert main(["deploy", "--model", str(path), "--board", "nrf52840", "--emulate", "--samples", "8",
                 "--data", str(tmp_path / "x.npy"), "--out", str(tmp_path / "dep"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bit_exact"] is True and rep["samples"] == 8
