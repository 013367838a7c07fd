"""Build small full-int8 .tflite models with TensorFlow, for op-by-op tests against TFLM.

Imported only by tests marked `tf`; TensorFlow is heavy, so it is imported lazily."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def convert_int8(model, path: str | Path, input_shapes: list[tuple[int, ...]], *,
                 per_channel: bool = True, samples: int = 32, seed: int = 0,
                 int8_io: bool = True, low: float = -1.0, high: float = 1.0, int16: bool = False) -> Path:
    """Full-integer quantize a Keras model (or tf.function-able callable) to `path`; with `int16`,
    in 16x8 mode (int16 activations and I/O, int8 weights, int64 biases).

    input_shapes exclude the batch dimension; the batch is whatever the Keras model declares
    (keras_model(batch=1) fixes it, batch=None leaves it unknown)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(samples):
            yield [rng.uniform(low, high, size=(1, *s)).astype(np.float32) for s in input_shapes]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    if int16:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    else:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        conv.inference_input_type = tf.int16 if int16 else tf.int8
        conv.inference_output_type = tf.int16 if int16 else tf.int8
    if not per_channel:
        conv._experimental_disable_per_channel = True
    path = Path(path)
    path.write_bytes(conv.convert())
    return path


def keras_model(inputs_shapes: list[tuple[int, ...]], body: Callable, seed: int = 0,
                batch: int | None = 1):
    """A functional Keras model from a body(inputs) -> output, with seeded random weights."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    # Named so that they sort in order: the converter orders a signature's inputs by name, and
    # Keras' automatic names (keras_tensor_99, keras_tensor_100) stop sorting in creation order as
    # the session's counter grows, which fed the representative data to the wrong inputs.
    ins = [tf.keras.Input(shape=s, batch_size=batch, name=f"input_{k:02d}") for k, s in enumerate(inputs_shapes)]
    out = body(ins if len(ins) > 1 else ins[0])
    return tf.keras.Model(ins if len(ins) > 1 else ins[0], out)


def convert_cases(cases: dict, out_dir: Path) -> dict[str, Path]:
    """Every case (name -> (input shapes, body, ...)) built as a Keras model and converted to full
    int8 once, seeded by its position in name order."""
    return {name: convert_int8(keras_model(case[0], case[1], seed=i), Path(out_dir) / f"{name}.tflite", case[0])
            for i, (name, case) in enumerate(sorted(cases.items()))}


def verify_case(path: Path, want_ops: set[str], samples: int, seed: int, sanitize: bool = False):
    """The converted model holds `want_ops` and is bit-exact with its reference; the report."""
    from tinyq.passes.pipeline import load
    from tinyq.workflows.verify import verify

    opcodes = {op.opcode for op in load(path).ops}
    assert want_ops <= opcodes, f"the converter produced {sorted(opcodes)}"
    rep = verify(path, samples=samples, seed=seed, sanitize=sanitize)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
    return rep


def quantize_with(conv, path: str | Path, input_shapes: list[tuple[int, ...]], *, samples: int = 16, seed: int = 0,
                  low: float = -1.0, high: float = 1.0, int16: bool = False, io: str | None = "int8") -> Path:
    """Full-integer quantize with an already made converter (from a SavedModel, a tf.function, a
    tf_keras model): a seeded uniform representative dataset of `input_shapes` (batch included),
    int8 (or 16x8 with `int16`) builtins, `io` the inference input/output type (None: float)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def rep():
        for _ in range(samples):
            yield [rng.uniform(low, high, size=s).astype(np.float32) for s in input_shapes]

    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16
        else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io is not None:
        conv.inference_input_type = conv.inference_output_type = getattr(tf, io)
    path = Path(path)
    path.write_bytes(conv.convert())
    return path


def _blazeface_like(tf, x):
    """BlazeFace-style: 5x5 depthwise blocks with residuals, max-pool shortcuts at stride 2."""
    L = tf.keras.layers

    def block(y, c_out: int, stride: int):
        z = L.Conv2D(c_out, 1)(L.DepthwiseConv2D(5, strides=stride, padding="same")(y))
        s = L.MaxPooling2D(2)(y) if stride == 2 else y
        if c_out > y.shape[-1]:
            s = L.Conv2D(c_out, 1)(s)
        return L.ReLU()(L.Add()([z, s]))

    y = L.Conv2D(24, 5, strides=2, padding="same", activation="relu")(x)
    for c, s in ((24, 1), (28, 1), (32, 2), (36, 1), (42, 1), (48, 2), (56, 1), (64, 1), (72, 1), (80, 1),
                 (88, 1), (96, 2), (96, 1), (96, 1)):
        y = block(y, c, s)
    return L.Flatten()(L.Conv2D(16, 1)(y))


def _mcunet_like(tf, x):
    """MCUNet-style backbone: inverted residual blocks with 3/5/7 kernels and expansion 3-4."""
    L = tf.keras.layers

    def ib(y, c_out: int, exp: int, k: int, stride: int):
        c_in = y.shape[-1]
        z = L.Conv2D(c_in * exp, 1, activation="relu6")(y) if exp > 1 else y
        z = L.Conv2D(c_out, 1)(L.DepthwiseConv2D(k, strides=stride, padding="same", activation="relu6")(z))
        return L.Add()([z, y]) if stride == 1 and c_in == c_out else z

    y = ib(L.Conv2D(16, 3, strides=2, padding="same", activation="relu6")(x), 8, 1, 3, 1)
    for c, e, k, s in ((16, 3, 7, 2), (16, 4, 3, 1), (24, 3, 5, 2), (24, 3, 3, 1), (24, 3, 5, 1), (40, 4, 7, 2),
                       (40, 3, 3, 1), (48, 4, 5, 1), (96, 3, 5, 2), (96, 3, 3, 1)):
        y = ib(y, c, e, k, s)
    return L.Dense(10)(L.GlobalAveragePooling2D()(y))


def image_model(name: str, path: str | Path) -> Path:
    """An int8 image model with random weights, for patch-based execution: "mbv2_<px>"
    (MobileNetV2 alpha 0.35, tf.keras.applications), "blaze_<px>" (BlazeFace-like detector),
    "mcunet_<px>" (MCUNet-like backbone); the file at `path`, built once."""
    import tensorflow as tf

    path = Path(path)
    if path.is_file():
        return path
    kind, px = name.rsplit("_", 1)
    shape = (int(px), int(px), 3)
    bodies = {
        "mbv2": lambda x: tf.keras.applications.MobileNetV2(input_tensor=x, alpha=0.35, weights=None, classes=10,
                                                            classifier_activation=None).output,
        "blaze": lambda x: _blazeface_like(tf, x),
        "mcunet": lambda x: _mcunet_like(tf, x),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    return convert_int8(keras_model([shape], bodies[kind], seed=1), path, [shape], samples=4)


def tflm_requant_for(w_rows, bias, mult, shift, zp):
    """A stand-in for the kernels' requant_for that fails every layer's proof: each keeps TFLM's
    requantization arithmetic (rq_exact), its rows {mult, shift}, factor 1."""
    rows = np.zeros((len(mult), 3), np.int32)
    rows[:, 0], rows[:, 1] = mult, shift
    return rows, np.ones(len(mult), np.int64), 1
