"""float32 models TensorFlow converts without quantization, every float32 kernel, against LiteRT's
interpreter within verify's stated tolerance (FLOAT_TOLERANCE), sanitized."""
from __future__ import annotations

from typing import Callable

import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import FLOAT_TOLERANCE, HYBRID_TOLERANCE, verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _cat_conv(x):
    """x next to a 1x1 convolution of it: a tensor no fused activation can absorb."""
    return L.Concatenate()([x, L.Conv2D(3, 1)(x)])


# name -> (input shapes, body, opcodes the float model must contain)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, set[str]]] = {
    "conv": ([(13, 11, 3)], lambda x: L.Conv2D(5, 3, dilation_rate=2, padding="valid")(
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x)), {"CONV_2D"}),
    "depthwise": ([(11, 11, 4)], lambda x: L.DepthwiseConv2D(3, depth_multiplier=2, padding="valid")(
        L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)), {"DEPTHWISE_CONV_2D"}),
    "dense_softmax": ([(24,)], lambda x: L.Softmax()(L.Dense(10)(L.Dense(16, activation="relu")(x))),
                      {"FULLY_CONNECTED", "SOFTMAX"}),
    "add_sub_mul": ([(5, 5, 3), (1, 1, 3)], lambda xs: L.Multiply()([
        L.Add()([xs[0], L.Lambda(lambda t: t[0] - t[1])([xs[0], xs[1]])]),
        L.Lambda(lambda t: t * 0.5 + t)(xs[0])]), {"ADD", "SUB", "MUL"}),
    "pools_mean": ([(9, 9, 4)], lambda x: L.Concatenate()([
        L.GlobalAveragePooling2D()(L.AveragePooling2D(3, strides=2, padding="same")(x)),
        L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 3]))(L.MaxPooling2D(2)(x))]),
                   {"AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "CONCATENATION"}),
    "pad_concat": ([(5, 5, 2)], lambda x: L.Concatenate(axis=1)([
        L.ZeroPadding2D(((1, 2), (0, 1)))(x),
        L.Lambda(lambda t: tf.pad(t, [[0, 0], [0, 3], [0, 1], [0, 0]], constant_values=0.5))(x)]),
                   {"PAD", "PADV2", "CONCATENATION"}),
    "activations": ([(4, 4, 3)], lambda x: L.Concatenate()([
        L.ReLU()(_cat_conv(x)), L.ReLU(6.0)(_cat_conv(x)), L.LeakyReLU(negative_slope=0.1)(_cat_conv(x)),
        L.Activation("sigmoid")(_cat_conv(x)), L.Activation("tanh")(_cat_conv(x))]),
                    {"RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH"}),
}


def convert_float(model, path):
    """Convert a Keras model to a float32 .tflite (no quantization)."""
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_f32_within_tolerance_of_litert(case: str, tmp_path) -> None:
    from tfmodels import keras_model

    shapes, body, ops = CASES[case]
    path = convert_float(keras_model(shapes, body, seed=sum(map(ord, case))), tmp_path / f"{case}.tflite")
    assert ops <= {op.opcode for op in load(path).ops}
    rep = verify(path, samples=20, seed=3, layers=True, sanitize=True)
    assert rep.reference == "LiteRT" and rep.tolerance == FLOAT_TOLERANCE
    assert rep.elements > 0 and rep.first_bad_layer is None, rep.to_dict()
    assert rep.mismatches == 0 and rep.max_rel_err is not None and rep.max_rel_err <= FLOAT_TOLERANCE, rep.to_dict()
    assert rep.top1_agreement == 1.0


def test_float16_weights_stay_half_and_match_litert(tmp_path) -> None:
    """TensorFlow's float16 conversion: DEQUANTIZE(float16) folded away, conv/depthwise/dense weights
    kept as float16 constants (half the bytes), biases and the ADD's constant as float32."""
    from tinyq.workflows.compile import compile

    from tfmodels import keras_model

    model = keras_model([(8, 8, 3)], lambda x: L.Dense(6)(L.Flatten()(L.Lambda(lambda t: t + 0.25)(
        L.DepthwiseConv2D(3, padding="same")(L.Conv2D(8, 3, activation="relu")(x))))), seed=5)
    paths = {}
    for name, types in (("f32", None), ("f16", [tf.float16])):
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        if types:
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = types
        paths[name] = tmp_path / f"{name}.tflite"
        paths[name].write_bytes(conv.convert())
    g = load(paths["f16"])
    assert "DEQUANTIZE" in {op.opcode for op in load(paths["f16"], passes=False).ops}
    assert "DEQUANTIZE" not in {op.opcode for op in g.ops}
    weights = [g.t(op.inputs[1]) for op in g.ops if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert len(weights) == 3 and all(w.dtype == "float16" for w in weights)
    f16, f32 = compile(paths["f16"]), compile(paths["f32"])
    w_bytes = sum(w.num_elements for w in weights)
    assert f32.const_bytes - f16.const_bytes == 2 * w_bytes    # 2 bytes saved per weight
    rep = verify(paths["f16"], samples=20, seed=1, layers=True, sanitize=True)
    assert rep.reference == "LiteRT" and rep.mismatches == 0 and rep.first_bad_layer is None, rep.to_dict()


@pytest.mark.parametrize("asymmetric", [True, False])
def test_dynamic_range_matches_litert_hybrid_kernels(tmp_path, asymmetric: bool) -> None:
    """TensorFlow's dynamic-range conversion (int8 weights for the layers of >= 1024 weights,
    float activations) against LiteRT's hybrid kernels, per layer; the int8 weights stay int8."""
    from tinyq.workflows.compile import compile

    from tfmodels import keras_model

    # Per-tensor weights (asymmetric=False) give the per-tensor hybrid convolution, which quantizes
    # its input symmetrically. No depthwise layer then: LiteRT's hybrid depthwise indexes the weight
    # scales per channel even when the file has one (reads past the array), so it is no reference.
    dw = (lambda t: L.DepthwiseConv2D(3, padding="same")(t)) if asymmetric else (lambda t: t)
    model = keras_model([(8, 8, 8)], lambda x: L.Dense(40, activation="relu")(L.Flatten()(
        dw(L.Conv2D(128, 3, padding="same", activation="relu6")(x)))), seed=9)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if not asymmetric:
        conv._experimental_disable_per_channel = True
    path = tmp_path / "dyn.tflite"
    path.write_bytes(conv.convert())
    g = load(path)
    hybrid = [op for op in g.ops if len(op.inputs) > 1 and g.t(op.inputs[1]).dtype == "int8"]
    kinds = {"CONV_2D", "FULLY_CONNECTED"} | ({"DEPTHWISE_CONV_2D"} if asymmetric else set())
    assert {op.opcode for op in hybrid} == kinds
    assert all(len(g.t(op.inputs[1]).scale) > 1 for op in hybrid if op.opcode != "FULLY_CONNECTED") == asymmetric
    for kernels, name in (("portable", "{}_hybrid"), ("dsp", "{}_dsp_hybrid")):   # plain C, and SMLAD
        gen = compile(path, kernels=kernels)
        assert {layer.variant.name for layer in gen.lowered.layers if layer.op in hybrid} == {
            name.format(k.lower()) for k in kinds}
        rep = verify(path, samples=30, seed=2, layers=True, sanitize=True, kernels=kernels)
        assert rep.tolerance == HYBRID_TOLERANCE
        assert rep.reference == "LiteRT" and rep.mismatches == 0 and rep.first_bad_layer is None, rep.to_dict()
