"""Pooling, ADD/SUB/MUL (with broadcasting), SOFTMAX, MEAN and the reshape family, in models
TensorFlow quantizes itself, against TFLM bit for bit."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _const(shape: tuple[int, ...], seed: int) -> "tf.Tensor":
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32))


def _lam(fn: Callable) -> Callable:
    return lambda x: L.Lambda(fn)(x)


# name -> (input shapes, body, opcodes that must appear in the converted model)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, set[str]]] = {
    "avgpool_valid_2": ([(8, 8, 4)], lambda x: L.AveragePooling2D(2)(x), {"AVERAGE_POOL_2D"}),
    "avgpool_same_s2": ([(9, 9, 3)], lambda x: L.AveragePooling2D(3, strides=2, padding="same")(x),
                        {"AVERAGE_POOL_2D"}),
    "avgpool_valid_rect": ([(10, 9, 3)], lambda x: L.AveragePooling2D((3, 2), strides=(2, 3))(x),
                           {"AVERAGE_POOL_2D"}),
    "avgpool_relu": ([(8, 8, 3)], lambda x: L.ReLU()(L.AveragePooling2D(2)(L.Conv2D(4, 1)(x))),
                     {"AVERAGE_POOL_2D"}),
    "maxpool_same_s2": ([(9, 9, 3)], lambda x: L.MaxPooling2D(3, strides=2, padding="same")(x),
                        {"MAX_POOL_2D"}),
    "maxpool_valid_rect": ([(8, 7, 4)], lambda x: L.MaxPooling2D((2, 3), strides=(1, 2))(x), {"MAX_POOL_2D"}),
    "maxpool_same_s1": ([(5, 6, 2)], lambda x: L.MaxPooling2D(2, strides=1, padding="same")(x), {"MAX_POOL_2D"}),
    "maxpool_relu6": ([(8, 8, 3)], lambda x: L.ReLU(6.0)(L.MaxPooling2D(2)(L.Conv2D(4, 1)(x * 8.0))),
                      {"MAX_POOL_2D"}),
    "gap": ([(5, 5, 8)], lambda x: L.GlobalAveragePooling2D()(L.Conv2D(8, 3)(x)), {"MEAN"}),
    "gap_keepdims": ([(6, 4, 8)], lambda x: L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(8, 3)(x)),
                     {"MEAN"}),
    "mean_axis1": ([(4, 5, 6)], _lam(lambda t: tf.reduce_mean(t, axis=1)), {"MEAN"}),
    "mean_axis3_keep": ([(4, 4, 6)], _lam(lambda t: tf.reduce_mean(t, axis=3, keepdims=True)), {"MEAN"}),
    "mean_axes_1_3": ([(4, 5, 6)], _lam(lambda t: tf.reduce_mean(t, axis=[1, 3])), {"MEAN"}),
    "mean_axes_2_3_keep": ([(3, 5, 7)], _lam(lambda t: tf.reduce_mean(t, axis=[-1, 2], keepdims=True)),
                           {"MEAN"}),
    # (not conv + conv: the residual-fusion pass would fold that ADD into the CONV_2D)
    "mean_all_spatial_channels": ([(4, 5, 6)], _lam(lambda t: tf.reduce_mean(t, axis=[1, 2, 3])), {"MEAN"}),
    "mean_rank3": ([(6, 7)], _lam(lambda t: tf.reduce_mean(t, axis=1)), {"MEAN"}),
    "add_branches_relu": ([(6, 6, 4)], lambda x: L.ReLU()(L.Add()([L.DepthwiseConv2D(3, padding="same")(x),
                                                                   L.MaxPooling2D(3, 1, "same")(x)])),
                          {"ADD"}),
    "add_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Add()(xs), {"ADD"}),
    "add_bcast_channel": ([(5, 5, 3), (1, 1, 3)], _lam(lambda t: t[0] + t[1]), {"ADD"}),
    "add_bcast_first": ([(1, 1, 3), (4, 5, 3)], _lam(lambda t: t[0] + t[1]), {"ADD"}),
    "add_const_channel": ([(4, 4, 5)], _lam(lambda t: t + _const((5,), 1)), {"ADD"}),
    "add_scalar": ([(4, 4, 3)], _lam(lambda t: t + 0.75), {"ADD"}),
    "add_2d_bcast": ([(12,)], lambda x: L.Lambda(lambda t: t[0] + t[1])([L.Dense(6)(x), L.Dense(1)(x)]),
                     {"ADD"}),
    "sub_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Subtract()(xs), {"SUB"}),
    "sub_bcast_spatial": ([(4, 6, 3), (4, 6, 1)], _lam(lambda t: t[0] - t[1]), {"SUB"}),
    "sub_relu": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.ReLU()(L.Subtract()(xs)), {"SUB"}),
    "mul_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Multiply()(xs), {"MUL"}),
    "mul_bcast_spatial": ([(4, 6, 3), (4, 6, 1)], _lam(lambda t: t[0] * t[1]), {"MUL"}),
    "mul_bcast_channel": ([(4, 6, 3), (1, 1, 3)], _lam(lambda t: t[0] * t[1]), {"MUL"}),
    "mul_scalar": ([(4, 4, 3)], _lam(lambda t: t * -1.5), {"MUL"}),
    "mul_const_channel_relu": ([(4, 4, 5)], lambda x: L.ReLU()(L.Lambda(lambda t: t * _const((5,), 3))(x)),
                               {"MUL"}),
    "softmax_dense": ([(16,)], lambda x: L.Softmax()(L.Dense(10)(x)), {"SOFTMAX"}),
    "softmax_4d": ([(3, 4, 5)], lambda x: L.Softmax()(L.Conv2D(7, 1)(x)), {"SOFTMAX"}),
    # a wide input range: many differences fall below diff_min and give exactly -128
    "softmax_wide": ([(16,)], lambda x: L.Softmax()(L.Lambda(lambda t: t * 40.0)(L.Dense(12)(x))),
                     {"SOFTMAX"}),
    "flatten_dense": ([(4, 4, 3)], lambda x: L.Dense(5)(L.Flatten()(L.Conv2D(2, 1)(x))), {"RESHAPE"}),
    "reshape_add": ([(4, 6, 2)], lambda x: L.Add()([L.Reshape((6, 4, 2))(x), L.Conv2D(2, 1)(L.Reshape((6, 4, 2))(x))]),
                    {"RESHAPE"}),
}

SANITIZED = {"add_bcast_first", "mean_axes_1_3", "softmax_4d"}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Every case converted once for the module."""
    from tfmodels import convert_cases

    return convert_cases(CASES, tmp_path_factory.mktemp("elementwise"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bit_exact(case: str, models: dict[str, Path]) -> None:
    from tfmodels import verify_case

    verify_case(models[case], CASES[case][2], 24, 3, sanitize=case in SANITIZED)


def _same_quant_mean(src: Path, dst: Path) -> Path:
    """A copy of `src` whose MEAN output carries its input's quantization: TFLM then takes a
    different code path (plain integer mean), which Keras models never produce themselves."""
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    sub = m.subgraphs[0]
    mean_code = [i for i, c in enumerate(m.operatorCodes)
                 if max(c.builtinCode, c.deprecatedBuiltinCode) == 40]  # BuiltinOperator.MEAN
    op = next(o for o in sub.operators if o.opcodeIndex in mean_code)
    qi, qo = sub.tensors[op.inputs[0]].quantization, sub.tensors[op.outputs[0]].quantization
    qo.scale, qo.zeroPoint = list(qi.scale), list(qi.zeroPoint)
    fbu.write_model(m, str(dst))
    return dst


@pytest.mark.parametrize("case", ["gap", "mean_axes_1_3"])
def test_mean_same_quantization(case: str, models: dict[str, Path], tmp_path: Path) -> None:
    path = _same_quant_mean(models[case], tmp_path / f"{case}_same.tflite")
    g = load(path)
    mean = next(op for op in g.ops if op.opcode == "MEAN")
    assert g.t(mean.inputs[0]).qscale == g.t(mean.outputs[0]).qscale
    rep = verify(path, samples=24, seed=5)
    assert rep.mismatches == 0, rep.to_dict()


def _with_softmax_beta(src: Path, dst: Path, beta: float) -> Path:
    """A copy of `src` with SOFTMAX's beta changed (the converter folds Keras' scaling into the
    producer, so TensorFlow never writes beta != 1 itself)."""
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.read_model(str(src))
    codes = [i for i, c in enumerate(m.operatorCodes)
             if max(c.builtinCode, c.deprecatedBuiltinCode) == 25]  # BuiltinOperator.SOFTMAX
    op = next(o for o in m.subgraphs[0].operators if o.opcodeIndex in codes)
    op.builtinOptions.beta = beta
    fbu.write_model(m, str(dst))
    return dst


@pytest.mark.parametrize("beta", [0.37, 2.5, 60.0])
def test_softmax_beta(beta: float, models: dict[str, Path], tmp_path: Path) -> None:
    path = _with_softmax_beta(models["softmax_dense"], tmp_path / "softmax_beta.tflite", beta)
    g = load(path)
    assert next(op for op in g.ops if op.opcode == "SOFTMAX").options["beta"] == pytest.approx(beta)
    rep = verify(path, samples=24, seed=9)
    assert rep.mismatches == 0, rep.to_dict()


def test_add_declares_in_place(models: dict[str, Path]) -> None:
    """ADD offers both same-shape inputs to the arena planner; a broadcast input is not offered."""
    from tinyq.ops.registry import load_all

    spec = load_all()["ADD"]

    def pairs(g):
        op = next(op for op in g.ops if op.opcode == "ADD")
        return op, [(o.input, o.output, o.delta) for o in spec.prepare(op, g).overlaps()]

    op, got = pairs(load(models["add_two_inputs"]))
    assert got == [(op.inputs[0], op.outputs[0], 0), (op.inputs[1], op.outputs[0], 0)]
    op, got = pairs(load(models["add_bcast_channel"]))
    assert got == [(op.inputs[0], op.outputs[0], 0)]
