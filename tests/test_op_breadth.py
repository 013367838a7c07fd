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
    "prelu_full": ([(3, 6)], lambda x: L.PReLU(alpha_initializer=_uniform(0.0, 0.5))(x), {"PRELU"}),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from tfmodels import convert_int8, keras_model

    d = tmp_path_factory.mktemp("breadth")
    return {name: convert_int8(keras_model(shapes, body, seed=i), d / f"{name}.tflite", shapes)
            for i, (name, (shapes, body, _)) in enumerate(sorted(CASES.items()))}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bit_exact(case: str, models: dict[str, Path]) -> None:
    path = models[case]
    opcodes = {op.opcode for op in load(path).ops}
    assert CASES[case][2] <= opcodes, f"the converter produced {sorted(opcodes)}"
    rep = verify(path, samples=100, seed=5, sanitize=case in ("resize_bilinear_half_pixel", "sum_axes_keep"))
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
    assert rep.reference == "TFLM", rep.reference_note
