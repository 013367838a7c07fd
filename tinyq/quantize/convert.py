"""Post-training quantization with TensorFlow's converter: int8, float16, dynamic range, float32."""
from __future__ import annotations

import re
import sys
from typing import Iterator

import numpy as np

from tinyq.errors import TinyqError
from tinyq.quantize.loader import SourceModel

MODES = ("int8", "float16", "dynamic", "float32")
MIN_CALIB = 100


class QuantizeError(TinyqError):
    """The converter could not produce the requested model."""


def _converter(src: SourceModel):
    """A converter for the model with its batch dimension fixed to 1 (no runtime shape ops)."""
    import tensorflow as tf

    if src.kind == "keras":
        # the model's own Keras flavour: Keras 3, or tf_keras for Keras 2 SavedModels
        if type(src.keras).__module__.startswith("tf_keras"):
            import tf_keras as keras
        else:
            import keras
        inp = keras.Input(batch_shape=(1, *src.input_shape))
        fixed = keras.Model(inp, src.keras(inp))
        return tf.lite.TFLiteConverter.from_keras_model(fixed)
    spec = tf.TensorSpec((1, *src.input_shape), tf.float32)
    sig = src.signature
    name = list(sig.structured_input_signature[1].keys())[0]
    fn = tf.function(lambda x: sig(**{name: x}))
    return tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function(spec)])


def convert(src: SourceModel, mode: str = "int8", calib: np.ndarray | None = None, progress: bool = True) -> bytes:
    import tensorflow as tf

    if mode not in MODES:
        raise QuantizeError(f"unknown mode '{mode}'", f"choose one of {', '.join(MODES)}")
    conv = _converter(src)
    if mode in ("int8", "float16", "dynamic"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        conv.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        if calib is None or len(calib) == 0:
            raise QuantizeError("full-integer quantization needs calibration data", "pass --calib DATA (.npy/.npz/images)")
        conv.representative_dataset = lambda: _representative(calib, progress)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    try:
        return conv.convert()
    except Exception as exc:  # the converter raises several types, with the op names in the text
        msg = str(exc)
        ops = sorted(set(re.findall(r"'(?:tf|tfl)\.(\w+)'", msg)) | set(re.findall(r"op: '?(\w+)'?", msg)))
        what = f" (ops: {', '.join(ops)})" if ops else ""
        raise QuantizeError(f"TensorFlow could not convert the model to {mode}{what}: {msg.splitlines()[0][:300]}",
                            "replace the unsupported layers, or try --mode dynamic/float16 to keep them in float"
                            ) from None


def _representative(calib: np.ndarray, progress: bool) -> Iterator[list[np.ndarray]]:
    it = range(len(calib))
    if progress and len(calib) >= 20:
        from tqdm import tqdm
        it = tqdm(it, desc="calibrating", unit="sample", file=sys.stderr, leave=False)
    for i in it:
        yield [calib[i:i + 1].astype(np.float32)]
