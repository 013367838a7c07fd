"""Load a Keras (.keras/.h5) model or a SavedModel, and describe its input."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyq.errors import ModelError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class SourceModel:
    path: Path
    kind: str                       # "keras" | "savedmodel"
    input_shape: tuple[int, ...]    # without the batch dimension
    keras: Any = None               # the keras.Model, for kind == "keras"
    signature: Any = None           # the serving function, for kind == "savedmodel"
    module: Any = None              # the loaded SavedModel: keeps the signature's variables alive
    unrolled: bool = False          # its recurrent layers were unrolled for the int8 converter
    recurrent: str = ""             # how its recurrent layers convert: "", "tf_keras", "rebuilt", "unrolled"


def load_source(path: str | Path) -> SourceModel:
    """The model at `path`, loaded without TensorFlow's console noise."""
    from tinyq.workflows.quantize.quiet import quiet

    path = Path(path)
    if not path.exists():
        raise ModelError(f"model not found: {path}", "pass a .keras or .h5 file, or a SavedModel folder")
    with quiet():
        return _load(path)


def _load(path: Path) -> SourceModel:
    import tensorflow as tf  # heavy: only when quantizing
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ModelError(f"{path} is a folder but not a SavedModel (no saved_model.pb)")
        keras2 = _load_keras2_savedmodel(path)
        if keras2 is not None:
            return SourceModel(path, "keras", _shape(keras2.input_shape, path), keras=keras2)
        try:
            loaded = tf.saved_model.load(str(path))
            sig = loaded.signatures["serving_default"]
        except Exception as exc:
            raise ModelError(f"cannot load the SavedModel {path}: {exc.__class__.__name__}: {exc}") from None
        specs = list(sig.structured_input_signature[1].values())
        if len(specs) != 1:
            raise ModelError(f"{path}: tinyq quantizes single-input models; this one has {len(specs)} inputs")
        shape = _shape(specs[0].shape, path)
        return SourceModel(path, "savedmodel", shape, signature=sig, module=loaded)
    return _load_keras_file(path)


def _load_keras2_savedmodel(path: Path) -> Any:
    """A SavedModel written by Keras 2 (like MLPerf Tiny's KWS) loads as a Keras model with
    tf_keras; plain tf.saved_model.load fails on its optimizer state."""
    try:
        import tf_keras
    except ImportError:
        return None
    try:
        model = tf_keras.models.load_model(str(path), compile=False)
    except Exception:
        return None
    # a plain tf.Module SavedModel comes back as a generic object: use its serving signature instead
    if not isinstance(model, tf_keras.Model) or len(getattr(model, "inputs", None) or []) != 1:
        return None
    return model


def _load_tf_keras(path: Path) -> Any:
    try:
        import tf_keras
        return tf_keras.models.load_model(str(path), compile=False)
    except Exception:
        return None


def _load_keras_file(path: Path) -> SourceModel:
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise ModelError(f"{path}: unknown model format '{path.suffix}'", "pass a .keras or .h5 file, or a SavedModel folder")
    try:
        import keras
        model = keras.models.load_model(str(path), compile=False)
    except Exception as exc:
        # Keras 2 era .h5 files (e.g. MLPerf Tiny's VWW) may only load with tf_keras.
        model = _load_tf_keras(path) if path.suffix != ".keras" else None
        if model is None:
            hint = ("Keras does not load Lambda layers (arbitrary code) in safe mode: replace them with "
                    "built-in or registered custom layers" if "safe_mode" in str(exc) else
                    "is the file complete? it must be a Keras model saved with model.save(); custom layers "
                    "must be importable and registered (keras.saving.register_keras_serializable)")
            raise ModelError(f"cannot load {path}: {exc.__class__.__name__}: {str(exc)[:300]}", hint) from None
    if len(model.inputs) != 1:
        raise ModelError(f"{path}: tinyq quantizes single-input models; this one has {len(model.inputs)} inputs")
    if path.suffix != ".keras" and not type(model).__module__.startswith("tf_keras") and _has_lstm(model):
        # A Keras 2 .h5 with LSTM layers: tf_keras converts them to one fused LSTM op each (Keras 3
        # crashes the int8 converter and would be unrolled), so prefer it where it loads the file.
        keras2 = _load_tf_keras(path)
        if keras2 is not None and len(keras2.inputs) == 1 and keras2.input_shape == model.input_shape:
            model = keras2
    return SourceModel(path, "keras", _shape(model.input_shape, path), keras=model)


def all_layers(model: Any) -> list:
    """Every layer of a Keras model, nested models' layers included."""
    layers = []
    for layer in getattr(model, "layers", []):
        layers.append(layer)
        layers.extend(all_layers(layer))
    return layers


def _has_lstm(model: Any) -> bool:
    return any(type(layer).__name__ == "LSTM" for layer in all_layers(model))


def _shape(shape: Any, path: Path) -> tuple[int, ...]:
    """The input shape without the batch dimension; every other dimension must be known."""
    dims = list(shape)[1:]
    if any(d is None for d in dims):
        raise ModelError(f"{path}: the input shape {tuple(shape)} has unknown dimensions besides the batch",
                         "save the model with a fixed input size (e.g. keras.Input(shape=(96, 96, 3)))")
    return tuple(int(d) for d in dims)
