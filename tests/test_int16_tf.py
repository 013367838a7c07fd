"""16x8 models (int16 activations, int8 weights, int64 biases) that TensorFlow's converter builds
itself, for every op the int8 suite covers, against TFLM bit for bit; and what TensorFlow or TFLM
cannot run in 16x8 is refused with the reason."""
from __future__ import annotations

import numpy as np
import pytest

from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers

from test_ops_tf import CASES  # noqa: E402  (the int8 suite's models, converted here in 16x8)

# TensorFlow's converter itself refuses these in 16x8 (no int16 HARD_SWISH kernel; per-tensor
# depthwise weights clash with its 16x8 quantized dimension).
NOT_CONVERTIBLE = {"hard_swish", "dw_per_tensor"}
# TFLM refuses these in 16x8, so tinyq does too, with TFLM's reason.
REFUSED = {"padv2_value": "constant_values types"}
# Not compiled yet (strict: the test fails once they are, so the entry must go).
PENDING = {"float_io": "DEQUANTIZE int16 -> float32"}

EXTRA: dict[str, tuple[list[tuple[int, ...]], object, dict]] = {
    "softmax_wide": ([(3, 40)], lambda x: L.Softmax()(L.Dense(40)(x)), {"low": -4.0, "high": 4.0}),
    "softmax_beta": ([(12,)], lambda x: L.Lambda(lambda t: tf.nn.softmax(2.5 * t))(L.Dense(7)(x)), {}),
    "dw_mult4_s2_dilated": ([(11, 9, 2)], lambda x: L.DepthwiseConv2D(3, depth_multiplier=4, strides=1,
                                                                       dilation_rate=(2, 1), padding="same")(x), {}),
    "dense_batch3": ([(3, 20)], lambda x: L.Dense(6, activation="relu")(x), {}),
    "mul_broadcast_channel": ([(4, 4, 5), (1, 1, 5)], lambda xs: L.Multiply()(xs), {}),
    "concat3_mixed_ranges": ([(4, 4, 2)], lambda x: L.Concatenate()([x, 3.0 * x, L.Conv2D(3, 1)(x)]), {}),
    "maxpool_valid_s1": ([(7, 7, 3)], lambda x: L.MaxPooling2D(3, strides=1)(x), {}),
    "mean_axes12": ([(5, 6, 4)], lambda x: L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2]))(x), {}),
}

ALL = {**{k: v for k, v in CASES.items() if k not in NOT_CONVERTIBLE}, **EXTRA}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ops16")


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=PENDING[c]))
                                  if c in PENDING else c for c in sorted(ALL)])
def test_op_16x8_bit_exact(case: str, model_dir) -> None:
    from tinyq.errors import UnsupportedOpError

    from tfmodels import convert_int8, keras_model

    shapes, body, opts = ALL[case]
    path = convert_int8(keras_model(shapes, body, seed=hash(case) % 1000), model_dir / f"{case}.tflite",
                        shapes, int16=True, **opts)
    if case in REFUSED:
        with pytest.raises(UnsupportedOpError, match=REFUSED[case]):
            verify(path, samples=1)
        return
    rep = verify(path, samples=100, seed=7, sanitize=case in ("dw_mult2", "softmax_wide", "concat_channels"))
    assert rep.elements > 0
    assert rep.mismatches == 0, rep.to_dict()


@pytest.mark.parametrize("act,bound", [("sigmoid", 1.0), ("sigmoid", 8.0), ("tanh", 1.0), ("tanh", 8.0),
                                       ("tanh", 16.0), ("sigmoid", 100.0)])
def test_int16_logistic_tanh_every_input(act: str, bound: float, model_dir) -> None:
    """All 65,536 int16 inputs, for general and power-of-two input scales (TFLM's two paths)."""
    from tfmodels import convert_int8, keras_model

    path = convert_int8(keras_model([(65536,)], lambda x: L.Activation(act)(x)),
                        model_dir / f"{act}_{bound:g}.tflite", [(65536,)], int16=True, low=-bound, high=bound,
                        samples=4)
    x = np.arange(-32768, 32768, dtype=np.int16).reshape(1, 1, 65536)
    rep = verify(path, inputs=[x])
    assert rep.elements == 65536 and rep.mismatches == 0, rep.to_dict()
