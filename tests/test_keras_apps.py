"""Whole Keras architectures (MobileNetV1/V2, a ResNet block stack), quantized by TensorFlow and
compiled by tinyq, bit-exact against TFLM."""
from __future__ import annotations

import pytest

from tinyq.workflows.verify import verify

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _resnet_blocks(tf, x):
    y = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    for filters, stride in ((16, 1), (32, 2)):
        z = tf.keras.layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(y)
        z = tf.keras.layers.Conv2D(filters, 3, padding="same")(z)
        shortcut = y if stride == 1 else tf.keras.layers.Conv2D(filters, 1, strides=stride)(y)
        y = tf.keras.layers.Activation("relu")(tf.keras.layers.Add()([z, shortcut]))
    y = tf.keras.layers.GlobalAveragePooling2D()(y)
    return tf.keras.layers.Dense(10, activation="softmax")(y)


ARCHS = {
    "mobilenet_v1": ((48, 48, 3), lambda tf, x: tf.keras.applications.MobileNet(
        input_tensor=x, alpha=0.25, weights=None, classes=5, classifier_activation=None).output),
    "mobilenet_v2": ((48, 48, 3), lambda tf, x: tf.keras.applications.MobileNetV2(
        input_tensor=x, alpha=0.35, weights=None, classes=5, classifier_activation=None).output),
    "resnet_blocks": ((16, 16, 3), _resnet_blocks),
}


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_keras_architecture_bit_exact(arch: str, tmp_path) -> None:
    tf = pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model

    shape, body = ARCHS[arch]
    model = keras_model([shape], lambda x: body(tf, x), seed=3)
    path = convert_int8(model, tmp_path / f"{arch}.tflite", [shape], samples=16)
    rep = verify(path, samples=20, seed=4)
    assert rep.mismatches == 0, rep.to_dict()
