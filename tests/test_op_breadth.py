"""TFLM's int8 operator set beyond the convolutional core (RESIZE_BILINEAR, the reductions,
PRELU, LOG_SOFTMAX, the element-wise math, comparisons, ...), in models TensorFlow quantizes
itself, against TFLM bit for bit (LiteRT's reference kernels where TFLM has no kernel)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _lam(fn: Callable) -> Callable:
    return lambda x: L.Lambda(fn)(x)


def _bilinear(size, **kw) -> Callable:
    return _lam(lambda t: tf.compat.v1.image.resize_bilinear(t, size, **kw))


def _uniform(lo: float, hi: float):
    return tf.keras.initializers.RandomUniform(lo, hi)


# name -> (input shapes, body, opcodes that must appear)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, set[str]]] = {
    "resize_bilinear_up": ([(5, 4, 3)], _bilinear((11, 7)), {"RESIZE_BILINEAR"}),
    "resize_bilinear_half_pixel": ([(4, 6, 2)], _lam(lambda t: tf.image.resize(t, (9, 13))), {"RESIZE_BILINEAR"}),
    "resize_bilinear_align": ([(5, 5, 3)], _bilinear((9, 12), align_corners=True), {"RESIZE_BILINEAR"}),
    "resize_bilinear_down": ([(9, 8, 2)], _lam(lambda t: tf.image.resize(t, (4, 3))), {"RESIZE_BILINEAR"}),
    "upsampling_bilinear": ([(4, 4, 3)], lambda x: L.UpSampling2D(2, interpolation="bilinear")(L.Conv2D(4, 1)(x)),
                            {"RESIZE_BILINEAR"}),
    "reduce_max": ([(4, 5, 6)], _lam(lambda t: tf.reduce_max(t, axis=[1, 2])), {"REDUCE_MAX"}),
    "reduce_max_keep": ([(4, 5, 6)], _lam(lambda t: tf.reduce_max(t, axis=-1, keepdims=True)), {"REDUCE_MAX"}),
    "reduce_min": ([(3, 7)], _lam(lambda t: tf.reduce_min(t, axis=1)), {"REDUCE_MIN"}),
    "sum_axis": ([(4, 5, 6)], _lam(lambda t: tf.reduce_sum(t, axis=2)), {"SUM"}),
    "sum_axes_keep": ([(4, 5, 6)], _lam(lambda t: tf.reduce_sum(t, axis=[1, 3], keepdims=True)), {"SUM"}),
    "prelu_channel": ([(5, 5, 4)], lambda x: L.PReLU(shared_axes=[1, 2], alpha_initializer=_uniform(-0.5, 0.9))(
        L.Conv2D(4, 3)(x)), {"PRELU"}),
    "log_softmax": ([(10,)], _lam(lambda t: tf.nn.log_softmax(t * 3.0)), {"LOG_SOFTMAX"}),
    "log_softmax_wide": ([(3, 7)], _lam(lambda t: tf.nn.log_softmax(t * 20.0)), {"LOG_SOFTMAX"}),
    "log_softmax_narrow": ([(12,)], _lam(lambda t: tf.nn.log_softmax(t * 0.1)), {"LOG_SOFTMAX"}),
    "greater_select": ([(4, 6)], _lam(lambda t: tf.where(t > 0.1, t, t * -0.5)), {"GREATER", "SELECT"}),
    "less_equal_select_bcast": ([(3, 4, 5), (1, 5)], _lam(lambda t: tf.where(tf.less_equal(t[0], t[1]), t[0], t[1] * 2.0)),
                                {"LESS_EQUAL", "SELECT_V2"}),
    "equal_not_equal": ([(4, 5), (4, 5)], _lam(lambda t: tf.where(tf.equal(t[0], t[1]), t[0], t[1])
                                                 + t[1]), {"EQUAL"}),
    "greater_equal_less": ([(6,), (6,)], _lam(lambda t: tf.where(tf.greater_equal(t[0], t[1]), t[0], t[1])
                                               + tf.where(tf.less(t[0], 0.3), t[1], t[0])), {"GREATER_EQUAL", "LESS"}),
    "arg_max_i64": ([(5, 7)], _lam(lambda t: tf.argmax(t * 2.0, axis=-1)), {"ARG_MAX"}),
    "arg_min_i32": ([(5, 7)], _lam(lambda t: tf.argmin(t * 2.0, axis=1, output_type=tf.int32)), {"ARG_MIN"}),
    "gather_runtime_index": ([(4, 6)], _lam(lambda t: tf.gather(t * 2.0, tf.argmax(t[0], output_type=tf.int32), axis=1)),
                             {"GATHER", "ARG_MAX"}),
    "abs": ([(12,)], lambda x: L.Lambda(lambda t: tf.abs(t))(L.Dense(8)(x)), {"ABS"}),
    "rsqrt": ([(4, 5)], _lam(lambda t: tf.math.rsqrt(tf.nn.relu(t) + 0.05)), {"RSQRT"}),
    "cast_bool": ([(4, 5)], _lam(lambda t: tf.cast(t > 0.2, tf.float32) * 0.5 + t), {"CAST"}),
    "squared_difference": ([(4, 5), (4, 5)], _lam(lambda t: tf.math.squared_difference(t[0], t[1] * 1.7)),
                           {"SQUARED_DIFFERENCE"}),
    "squared_difference_bcast": ([(3, 4, 5), (5,)], _lam(lambda t: tf.math.squared_difference(t[0] * 0.6, t[1])),
                                 {"SQUARED_DIFFERENCE"}),
    "logical": ([(4, 6), (4, 6)], _lam(lambda t: tf.where(tf.logical_or(
        tf.logical_and(t[0] > 0.0, t[1] < 0.2), tf.logical_not(tf.logical_and(t[1] > -0.3, t[0] < 0.5))), t[0], t[1])),
                {"LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"}),
    "reduce_all": ([(4, 6)], _lam(lambda t: tf.where(tf.reduce_all(t > -0.8, axis=1, keepdims=True), t, t * 0.5)),
                   {"REDUCE_ALL"}),
    "div": ([(4, 5), (4, 5)], _lam(lambda t: t[0] / (tf.nn.relu(t[1]) + 0.5)), {"DIV"}),
    "div_bcast": ([(3, 4, 5), (5,)], _lam(lambda t: t[0] / (t[1] * t[1] + 0.3)), {"DIV"}),
    "l2_normalization": ([(3, 10)], lambda x: L.Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(L.Dense(10)(x)),
                         {"L2_NORMALIZATION"}),
    "batch_matmul": ([(3, 4, 5), (3, 5, 6)], _lam(lambda t: tf.matmul(t[0], t[1])), {"BATCH_MATMUL"}),
    # (transpose_a / transpose_b: TF's own calibration of the converted model fails)
    "batch_matmul_bcast": ([(2, 3, 4, 5), (5, 6)], _lam(lambda t: tf.matmul(t[0], t[1])), {"BATCH_MATMUL"}),
    "prelu_full": ([(3, 6)], lambda x: L.PReLU(alpha_initializer=_uniform(0.0, 0.5))(x), {"PRELU"}),
}


# where TFLM has no kernel: its ARG_MAX has no int64 output, it has no SELECT (only SELECT_V2)
LITERT_ONLY = {case: "LiteRT BUILTIN_REF"
               for case in ("arg_max_i64", "greater_select", "equal_not_equal", "logical", "greater_equal_less")}
SANITIZED = {"resize_bilinear_half_pixel", "sum_axes_keep", "less_equal_select_bcast", "gather_runtime_index", "cast_bool"}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from tfmodels import convert_cases

    return convert_cases(CASES, tmp_path_factory.mktemp("breadth"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bit_exact(case: str, models: dict[str, Path]) -> None:
    from tfmodels import verify_case

    rep = verify_case(models[case], CASES[case][2], 100, 5, sanitize=case in SANITIZED)
    assert rep.reference == LITERT_ONLY.get(case, "TFLM"), rep.reference_note


def int8_island(src: Path, dst: Path, opcode: str) -> Path:
    """`src` with its float `opcode` run on the int8 tensors around it: each input a DEQUANTIZE
    feeds is replaced by that DEQUANTIZE's int8 input, an output a QUANTIZE reads by that
    QUANTIZE's int8 output (the converter keeps some ops TFLM runs in int8 in float: ELU, NEG,
    NOT_EQUAL, ADD_N). The DEQUANTIZEs left without readers are dead code."""
    from tensorflow.lite.python import schema_py_generated as s
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    sub = m.subgraphs[0]
    code = {i: max(c.builtinCode, c.deprecatedBuiltinCode) for i, c in enumerate(m.operatorCodes)}
    B = s.BuiltinOperator
    op = next(o for o in sub.operators if code[o.opcodeIndex] == getattr(B, opcode))
    deq = {int(o.outputs[0]): int(o.inputs[0]) for o in sub.operators if code[o.opcodeIndex] == B.DEQUANTIZE}
    op.inputs = [deq.get(int(t), int(t)) for t in op.inputs]
    q = [o for o in sub.operators if code[o.opcodeIndex] == B.QUANTIZE and list(o.inputs) == [op.outputs[0]]]
    if q:
        op.outputs = list(q[0].outputs)
        sub.operators = [o for o in sub.operators if o is not q[0]]
    fbu.write_model(m, str(dst))
    return dst


@pytest.mark.parametrize("opcode, body", [  # (TFLM has no integer NEG: LiteRT's reference checks it)
    ("ELU", lambda x: L.ELU()(L.Dense(8)(x))),
    # (NEG alone: LiteRT's reference FULLY_CONNECTED rounds differently from TFLM's at rare ties)
    ("NEG", lambda x: L.Lambda(lambda t: -t)(x)),
    ("CUMSUM", lambda x: L.Lambda(lambda t: tf.math.cumsum(t, axis=1))(L.Dense(8)(x))),
    ("CUMSUM", lambda x: L.Lambda(lambda t: tf.math.cumsum(tf.reshape(t, [1, 4, 3]), axis=1, exclusive=True,
                                                           reverse=True))(x)),
    ("ADD_N", lambda x: L.Lambda(lambda t: tf.math.add_n(tf.split(t, 3, axis=-1)))(x)),
    ("NOT_EQUAL", lambda x: L.Lambda(lambda t: tf.cast(tf.not_equal(t, t[:, ::-1]), tf.float32))(L.Dense(8)(x))),
])
def test_int8_kernels_the_converter_leaves_in_float(opcode: str, body: Callable, tmp_path: Path) -> None:
    from tfmodels import convert_int8, keras_model

    src = convert_int8(keras_model([(12,)], body, seed=3), tmp_path / "f.tflite", [(12,)])
    path = int8_island(src, tmp_path / f"{opcode}.tflite", opcode)
    g = load(path)
    op = next(o for o in g.ops if o.opcode == opcode)
    assert g.t(op.inputs[0]).dtype == "int8"
    rep = verify(path, samples=100, seed=6)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
    assert rep.reference == ("LiteRT BUILTIN_REF" if opcode == "NEG" else "TFLM"), rep.reference_note


@pytest.mark.parametrize("adj_x, adj_y", [(True, False), (False, True), (True, True)])
def test_batch_matmul_adjoints(adj_x: bool, adj_y: bool, models: dict[str, Path], tmp_path: Path) -> None:
    """adj_x / adj_y on the converted model (TF's calibration of a transposed matmul fails): the
    operand shapes swapped to match, the quantization as the converter chose it."""
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(models["batch_matmul"]))
    sub = m.subgraphs[0]
    op = next(o for o in sub.operators if o.builtinOptions is not None and hasattr(o.builtinOptions, "adjX"))
    op.builtinOptions.adjX, op.builtinOptions.adjY = adj_x, adj_y
    for k, flag in ((0, adj_x), (1, adj_y)):
        t = sub.tensors[op.inputs[k]]
        if flag:
            t.shape = [*t.shape[:-2], t.shape[-1], t.shape[-2]]
            if t.shapeSignature is not None:
                t.shapeSignature = list(t.shape)
    path = tmp_path / "adj.tflite"
    fbu.write_model(m, str(path))
    rep = verify(path, samples=100, seed=8)
    assert rep.elements > 0 and rep.mismatches == 0 and rep.reference == "TFLM", rep.to_dict()


@pytest.mark.slow
def test_new_kernels_deploy_bit_exact_on_the_emulator(tmp_path: Path) -> None:
    """A detection-head-like model through the new kernels (RESIZE_BILINEAR, SPLIT, PRELU,
    REDUCE_MAX, SQUARED_DIFFERENCE, LOG_SOFTMAX, GATHER, ARG_MAX), built for the Cortex-M4 and run
    in QEMU, bit-exact with TFLM."""
    from tinyq.workflows.deploy import DeployOptions, deploy

    from tfmodels import convert_int8, keras_model

    def body(x):
        y = L.Conv2D(6, 3, padding="same")(x)
        y = L.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (10, 10)))(y)
        a, b = L.Lambda(lambda t: tf.split(t, 2, axis=-1))(y)
        a = L.PReLU(shared_axes=[1, 2])(a)
        z = L.Lambda(lambda t: tf.reduce_max(t[0], axis=[1, 2]) + tf.reduce_mean(tf.math.squared_difference(t[0], t[1]),
                                                                                 axis=[1, 2]))([a, b])
        z = L.Dense(5)(z)
        return L.Lambda(lambda t: tf.nn.log_softmax(t) + tf.gather(t, tf.argmax(t, axis=-1, output_type=tf.int32),
                                                                    axis=1))(z)

    path = convert_int8(keras_model([(5, 5, 3)], body, seed=11), tmp_path / "head.tflite", [(5, 5, 3)])
    ops = {op.opcode for op in load(path).ops}
    assert {"RESIZE_BILINEAR", "SPLIT", "PRELU", "REDUCE_MAX", "SQUARED_DIFFERENCE", "LOG_SOFTMAX"} <= ops, ops
    rep = deploy(DeployOptions(model=path, emulate=True, samples=20, seed=2, out=tmp_path / "d", quiet=True))
    assert rep["bit_exact"] and rep["samples"] == 20, rep.to_dict()


# int16 kernels, in models the converter quantizes 16x8 (int16 activations): (body, opcodes whose
# int16 instance must appear). (The converter has no 16x8 comparisons, so tinyq has none either.)
INT16_CASES: dict[str, tuple[Callable, set[str]]] = {
    "sum": (_lam(lambda t: tf.reduce_sum(t, axis=-1)), {"SUM"}),
    "squared_difference": (_lam(lambda t: tf.math.squared_difference(t, t[:, ::-1, :])), {"SQUARED_DIFFERENCE"}),
    "abs": (_lam(lambda t: tf.abs(t)), {"ABS"}),
}


@pytest.mark.parametrize("case", sorted(INT16_CASES))
def test_int16_kernels_bit_exact(case: str, tmp_path: Path) -> None:

    from tfmodels import keras_model, quantize_with

    body, want = INT16_CASES[case]
    path = quantize_with(tf.lite.TFLiteConverter.from_keras_model(keras_model([(4, 6)], body, seed=2)),
                         tmp_path / f"{case}16.tflite", [(1, 4, 6)], int16=True, io=None)
    g = load(path)
    found = {op.opcode for op in g.ops if op.inputs and g.t(op.inputs[0]).dtype == "int16"}
    assert want <= found, f"int16 ops in the converted model: {sorted(found)}"
    rep_ = verify(path, samples=100, seed=3)
    assert rep_.elements > 0 and rep_.mismatches == 0, rep_.to_dict()
