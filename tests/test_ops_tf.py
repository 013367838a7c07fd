"""Every supported op, in models TensorFlow quantizes itself, against TFLM bit for bit."""
from __future__ import annotations

from typing import Callable

import pytest

from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


# name -> (input shapes, body, convert options)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, dict]] = {
    "conv_same_s1": ([(9, 9, 3)], lambda x: L.Conv2D(8, 3, padding="same")(x), {}),
    "conv_same_s2_odd": ([(9, 7, 3)], lambda x: L.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x), {}),
    "conv_valid_s2": ([(10, 10, 4)], lambda x: L.Conv2D(5, (3, 2), strides=(2, 1), padding="valid")(x), {}),
    "conv_dilated": ([(12, 12, 3)], lambda x: L.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu6")(x), {}),
    "conv_1x1_no_bias": ([(6, 6, 8)], lambda x: L.Conv2D(16, 1, use_bias=False)(x), {}),
    "conv_per_tensor": ([(8, 8, 3)], lambda x: L.Conv2D(8, 3, padding="same")(x), {"per_channel": False}),
    "dw_same_s1": ([(9, 9, 4)], lambda x: L.DepthwiseConv2D(3, padding="same")(x), {}),
    "dw_s2_relu6": ([(11, 11, 8)], lambda x: L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x), {}),
    "dw_mult2": ([(8, 8, 3)], lambda x: L.DepthwiseConv2D(3, depth_multiplier=2, padding="valid")(x), {}),
    "dw_one_channel_mult8_s2": ([(20, 16, 1)], lambda x: L.DepthwiseConv2D(5, strides=2, depth_multiplier=8,
                                                                           padding="same")(x), {}),
    "dw_dilated": ([(12, 12, 4)], lambda x: L.DepthwiseConv2D(3, dilation_rate=2, padding="same")(x), {}),
    "dw_per_tensor": ([(8, 8, 4)], lambda x: L.DepthwiseConv2D(3, padding="same")(x), {"per_channel": False}),
    "separable": ([(10, 10, 4)], lambda x: L.SeparableConv2D(8, 3, padding="same", activation="relu")(x), {}),
    "avgpool_valid": ([(8, 8, 4)], lambda x: L.AveragePooling2D(2)(x), {}),
    "avgpool_same_s2": ([(9, 9, 3)], lambda x: L.AveragePooling2D(3, strides=2, padding="same")(x), {}),
    "maxpool_same": ([(9, 9, 3)], lambda x: L.MaxPooling2D(3, strides=2, padding="same")(x), {}),
    "maxpool_then_relu": ([(8, 8, 8)], lambda x: L.ReLU(6.0)(L.MaxPooling2D(2)(L.Conv2D(8, 1)(x))),
                          {"low": -8.0, "high": 8.0}),
    "dense_relu": ([(24,)], lambda x: L.Dense(10, activation="relu")(x), {}),
    "dense_per_tensor": ([(24,)], lambda x: L.Dense(10)(x), {"per_channel": False}),
    "softmax": ([(16,)], lambda x: L.Softmax()(L.Dense(10)(x)), {}),
    "add_branches": ([(6, 6, 4)], lambda x: L.Add()([L.Conv2D(4, 1)(x), L.Conv2D(4, 3, padding="same")(x)]), {}),
    "add_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Add()(xs), {}),
    "sub_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Subtract()(xs), {}),
    "mul_two_inputs": ([(5, 5, 3), (5, 5, 3)], lambda xs: L.Multiply()(xs), {}),
    "add_broadcast_channel": ([(5, 5, 3), (1, 1, 3)], lambda xs: L.Lambda(lambda t: t[0] + t[1])(xs), {}),
    "mul_broadcast_spatial": ([(4, 6, 3), (4, 6, 1)], lambda xs: L.Lambda(lambda t: t[0] * t[1])(xs), {}),
    "pad_then_conv": ([(6, 6, 3)], lambda x: L.Conv2D(4, 3)(L.ZeroPadding2D(((1, 2), (0, 1)))(x)), {}),
    "padv2_value": ([(5, 5, 2)], lambda x: L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 1], [2, 0], [0, 0]],
                                                                 constant_values=0.5))(x), {}),
    "concat_channels": ([(6, 6, 3)], lambda x: L.Concatenate()([L.Conv2D(4, 1)(x), L.Conv2D(2, 3, padding="same")(x)]), {}),
    "concat_axis1": ([(4, 6, 3), (2, 6, 3)], lambda xs: L.Concatenate(axis=1)(xs), {}),
    "relu_standalone": ([(4, 4, 3)], lambda x: L.ReLU()(L.Concatenate()([x, L.Conv2D(3, 1)(x)])), {}),
    "relu6_standalone": ([(4, 4, 3)], lambda x: L.ReLU(6.0)(L.Concatenate()([x, L.Conv2D(3, 1)(x)])), {}),
    "leaky_relu": ([(5, 5, 3)], lambda x: L.LeakyReLU(negative_slope=0.1)(L.Conv2D(4, 3)(x)), {}),
    "sigmoid": ([(12,)], lambda x: L.Activation("sigmoid")(L.Dense(8)(x)), {}),
    "tanh": ([(12,)], lambda x: L.Activation("tanh")(L.Dense(8)(x)), {}),
    "hard_swish": ([(6, 6, 3)], lambda x: L.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) / 6.0)(L.Conv2D(4, 1)(x)),
                   {"low": -6.0, "high": 6.0}),
    # the DSP family's table variants (made at generation time)
    "sigmoid_table": ([(8, 8, 8)], lambda x: L.Activation("sigmoid")(L.Conv2D(8, 1)(x)), {"low": -4.0, "high": 4.0}),
    "tanh_table": ([(8, 8, 8)], lambda x: L.Activation("tanh")(L.Conv2D(8, 1)(x)), {"low": -3.0, "high": 3.0}),
    "hard_swish_table": ([(8, 8, 8)], lambda x: L.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) / 6.0)(L.Conv2D(8, 1)(x)),
                         {"low": -6.0, "high": 6.0}),
    "gap_mean": ([(5, 5, 8)], lambda x: L.GlobalAveragePooling2D()(L.Conv2D(8, 3)(x)), {}),
    "gap_mean_keepdims": ([(5, 5, 8)], lambda x: L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(8, 3)(x)), {}),
    "mean_axis3": ([(4, 4, 6)], lambda x: L.Lambda(lambda t: tf.reduce_mean(t, axis=3))(x), {}),
    "float_io": ([(10,)], lambda x: L.Dense(4, activation="relu")(x), {"int8_io": False}),
    "flatten_dense": ([(4, 4, 3)], lambda x: L.Dense(5)(L.Flatten()(L.Conv2D(2, 1)(x))), {}),
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ops")


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_bit_exact(case: str, model_dir) -> None:
    from tfmodels import convert_int8, keras_model

    shapes, body, opts = CASES[case]
    path = convert_int8(keras_model(shapes, body, seed=hash(case) % 1000), model_dir / f"{case}.tflite",
                        shapes, **opts)
    rep = verify(path, samples=100, seed=7, sanitize=case in ("conv_same_s2_odd", "dw_mult2", "add_broadcast_channel"))
    assert rep.elements > 0
    assert rep.mismatches == 0, rep.to_dict()
