"""16x8 CONV_2D and TRANSPOSE_CONV (int16 activations, int8 weights, int64 bias), and int8
TRANSPOSE_CONV, against TFLM bit for bit in models TensorFlow quantizes itself: the corners the
SEANet suite (all VALID, no activation, no padding taps) does not reach."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def _convert(layer, shape: tuple[int, ...], path: Path, int16: bool) -> Path:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    inp = tf.keras.Input(shape=shape, batch_size=1)
    model = tf.keras.Model(inp, layer(inp))
    rng = np.random.default_rng(0)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rng.standard_normal((1, *shape)).astype(np.float32)] for _ in range(30))
    ops = tf.lite.OpsSet
    conv.target_spec.supported_ops = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16
                                      else ops.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int16 if int16 else tf.int8
    path.write_bytes(conv.convert())
    return path


CASES = {
    # SAME padding (padding taps), stride 2, fused RELU
    "conv16_same_relu": (lambda L: L.Conv2D(6, 3, strides=2, padding="same", activation="relu",
                                            bias_initializer="random_normal"), (7, 9, 5), True),
    # dilation, and 300 input channels: filter rows longer than the kernel's 256-product int32 runs
    "conv16_dilated_deep": (lambda L: L.Conv2D(4, 3, dilation_rate=2, padding="same",
                                               bias_initializer="random_normal"), (8, 8, 300), True),
    "tconv16_same": (lambda L: L.Conv2DTranspose(6, 3, strides=2, padding="same",
                                                 bias_initializer="random_normal"), (5, 6, 4), True),
    "tconv8_same": (lambda L: L.Conv2DTranspose(6, 3, strides=2, padding="same",
                                                bias_initializer="random_normal"), (5, 6, 4), False),
    "tconv8_valid": (lambda L: L.Conv2DTranspose(6, (3, 4), strides=(1, 2), padding="valid"), (3, 5, 8), False),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    tf = pytest.importorskip("tensorflow")
    d = tmp_path_factory.mktemp("int16_conv")
    return {name: _convert(make(tf.keras.layers), shape, d / f"{name}.tflite", int16)
            for name, (make, shape, int16) in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_bit_exact_with_tflm(models, name: str) -> None:
    from tinyq.passes.pipeline import load
    from tinyq.workflows.verify import verify

    g = load(models[name])
    assert [op.opcode for op in g.ops] == ["TRANSPOSE_CONV" if name.startswith("tconv") else "CONV_2D"]
    report = verify(models[name], samples=20, sanitize=True)
    assert report.mismatches == 0, report


def test_int16_conv_keeps_the_int8_variants_off(models) -> None:
    from tinyq.ops.lower import lower
    from tinyq.passes.pipeline import load

    for fam, name, src in (("dsp", "conv_2d_dsp_s16", "s16_dsp.c"), ("dsp8", "conv_2d_dsp_s16", "s16_dsp.c"),
                           ("portable", "conv_2d_portable_s16", "conv_2d_s16.c")):
        low = lower(load(models["conv16_same_relu"]), fam)
        assert [layer.variant.name for layer in low.layers] == [name]
        assert src in low.sources and "conv_2d.c" not in low.sources and "conv_2d_dsp.c" not in low.sources
