"""Post-training quantization with TensorFlow's converter: int8, int16x8, float16, dynamic range, float32."""
from __future__ import annotations

import re
from typing import IO, Iterator

import numpy as np

from tinyq.errors import TinyqError
from tinyq.workflows.quantize.loader import SourceModel, all_layers
from tinyq.workflows.quantize.quiet import quiet
from tinyq.workflows.quantize.tflite_ops import float_ops, list_ops

MODES = ("int8", "int16x8", "float16", "dynamic", "float32")
INTEGER_MODES = ("int8", "int16x8")
# the model's input/output type per mode: the default first, then what the converter accepts
IO_TYPES = {"int8": ("int8", "float32"), "int16x8": ("int16", "float32"),
            "float16": ("float32",), "dynamic": ("float32",), "float32": ("float32",)}
MIN_CALIB = 100


class QuantizeError(TinyqError):
    """The converter could not produce the requested model."""


def _converter(src: SourceModel):
    """A converter for the model with its batch dimension fixed to 1, so that the .tflite has
    static shapes and no runtime shape arithmetic (SHAPE/STRIDED_SLICE/PACK before a RESHAPE)."""
    import tensorflow as tf

    if src.kind == "keras":
        # the model's own Keras flavour: Keras 3, or tf_keras for Keras 2 files
        if type(src.keras).__module__.startswith("tf_keras"):
            import tf_keras as keras
        else:
            import keras
        inp = keras.Input(batch_shape=(1, *src.input_shape))
        fixed = keras.Model(inp, src.keras(inp), name="q")   # short: the name prefixes every tensor
        return tf.lite.TFLiteConverter.from_keras_model(fixed)
    spec = tf.TensorSpec((1, *src.input_shape), tf.float32)
    sig = src.signature
    name = list(sig.structured_input_signature[1].keys())[0]
    fn = tf.function(lambda x: sig(**{name: x}))
    return tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function(spec)], src.module)


def check_io(mode: str, io: str | None) -> str:
    """The input/output type for `mode` (its default when `io` is None), or a clear refusal."""
    if mode not in MODES:
        raise QuantizeError(f"unknown mode '{mode}'", f"choose one of {', '.join(MODES)}")
    allowed = IO_TYPES[mode]
    if io is None:
        return allowed[0]
    if io not in allowed:
        why = {"int16x8": "TensorFlow's 16x8 converter takes int16 or float32 input/output, not int8",
               "int8": "full-integer int8 models take int8 or float32 input/output"}.get(
            mode, f"{mode} models keep float32 input/output")
        raise QuantizeError(f"--io {io} is not possible with --mode {mode}: {why}",
                            f"use --io {' or --io '.join(allowed)}")
    return io


def convert(src: SourceModel, mode: str = "int8", calib: np.ndarray | None = None,
            progress: bool = True, io: str | None = None) -> bytes:
    """The .tflite bytes of `src` in `mode`. int8 = full integer: int8 input and output,
    per-channel weights, int8 builtin ops only; int16x8 = int16 activations (and input/output),
    int8 weights, int64 biases; anything left in float is an error. `io` overrides the
    input/output type where the converter allows it (see IO_TYPES)."""
    io = check_io(mode, io)
    if mode in INTEGER_MODES and (calib is None or len(calib) == 0):
        raise QuantizeError("full-integer quantization needs calibration data",
                            "pass --calib DATA (.npy/.npz/images)")
    loaded = src.keras
    if mode in INTEGER_MODES:
        _check_recurrent(src, mode, calib)
    try:
        blob = _convert_once(src, mode, calib, progress, io)
        # Measured: the first conversion of an unrolled recurrent model in a process now and then
        # leaves one SPLIT in float (a cold, loaded run); converting again in the same process does not.
        attempts = 2 if src.unrolled else 0
        while mode in INTEGER_MODES and float_ops(blob) and attempts:
            attempts -= 1
            blob = _convert_once(src, mode, calib, progress, io)
    finally:
        if src.recurrent == "rebuilt":
            # the tf_keras copy is for this int8 conversion only: other modes (16x8 has no fused
            # LSTM) start again from the model as it was
            src.keras = loaded
    if mode in INTEGER_MODES:
        left = float_ops(blob)
        if left:
            raise QuantizeError(f"the model cannot be fully integer-quantized: {', '.join(left)} "
                                f"stay in float (no {mode} kernel in TensorFlow Lite)",
                                "replace those layers, or use --mode dynamic/float16 to keep them in float")
    return blob


def _convert_once(src: SourceModel, mode: str, calib: np.ndarray | None, progress: bool, io: str) -> bytes:
    import tensorflow as tf

    failure = None
    with quiet() as cap:
        try:
            conv = _converter(src)
            if mode != "float32":
                conv.optimizations = [tf.lite.Optimize.DEFAULT]
            if mode == "float16":
                conv.target_spec.supported_types = [tf.float16]
            if mode in INTEGER_MODES:
                conv.representative_dataset = lambda: _representative(calib, cap.console if progress else None)
                conv.target_spec.supported_ops = [
                    tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if mode == "int8"
                    else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
                io_type = {"int8": tf.int8, "int16": tf.int16, "float32": tf.float32}[io]
                conv.inference_input_type = io_type
                conv.inference_output_type = io_type
            blob = conv.convert()
        except Exception as exc:  # the converter raises several types; the op names are in the text
            failure = (exc, cap.text())
    if failure is not None:
        raise _conversion_error(mode, *failure)
    return blob


UNROLLABLE = ("LSTM", "GRU", "SimpleRNN")
NOT_CONVERTIBLE = ("Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "RNN")


def _check_recurrent(src: SourceModel, mode: str, calib: np.ndarray | None) -> None:
    """TensorFlow 2.21's int8 converter crashes the process (a segfault, no exception) on Keras 3's
    recurrent layers unless they are unrolled. LSTM, GRU and SimpleRNN are unrolled here (the
    input's time steps are fixed), so the model converts to FULLY_CONNECTED, ADD, MUL, LOGISTIC,
    TANH, SPLIT and UNPACK per step, which tinyq compiles; the other recurrent layers are refused
    before converting. tf_keras (Keras 2) models (the loader uses tf_keras for Keras 2 SavedModels
    and prefers it for .h5 files with LSTM layers) convert each LSTM to one fused
    UNIDIRECTIONAL_SEQUENCE_LSTM; so does, in int8, a Keras 3 model that is a chain of layers
    whose recurrent layers are all standard LSTMs, rebuilt in tf_keras with the same weights
    (kept only if it computes the same float outputs on the calibration data). Sets
    `src.recurrent` to which of these happened (`describe_recurrent` says it)."""
    if src.kind != "keras":
        return
    names = {type(layer).__name__ for layer in all_layers(src.keras)}
    if type(src.keras).__module__.startswith("tf_keras"):
        if "LSTM" in names and not src.recurrent:
            src.recurrent = "tf_keras"
        return
    refused = sorted(names & set(NOT_CONVERTIBLE))
    if refused:
        raise QuantizeError(
            f"{src.path.name} has Keras 3 recurrent layers ({', '.join(refused)}), which crash TensorFlow's int8 "
            "converter", "use LSTM, GRU or SimpleRNN layers (tinyq unrolls them over the fixed time steps)")
    copy = _tf_keras_copy(src.keras, calib) if mode == "int8" and names & set(UNROLLABLE) == {"LSTM"} else None
    if copy is not None:
        src.keras, src.recurrent = copy, "rebuilt"
    elif names & set(UNROLLABLE):
        src.keras, src.unrolled, src.recurrent = _unrolled(src.keras), True, "unrolled"


def describe_recurrent(src: SourceModel, blob: bytes) -> str:
    """How the model's recurrent layers were converted, for the user ("" without any)."""
    fused = sum(o.name == "UNIDIRECTIONAL_SEQUENCE_LSTM" for o in list_ops(blob))
    if src.recurrent == "unrolled":
        return ("recurrent layers: unrolled over the fixed time steps (Keras 3's crash TensorFlow's int8 converter; "
                "in int8, standard LSTMs (tanh, sigmoid) in a chain of layers are rebuilt in tf_keras and fused "
                "instead, and a tf_keras model's LSTMs are fused)")
    how = {"tf_keras": "a tf_keras model: TensorFlow's converter fuses Keras 2 LSTMs",
           "rebuilt": "the Keras 3 model rebuilt in tf_keras, Keras 2, with the same weights and float outputs: "
                      "TensorFlow's converter fuses Keras 2 LSTMs and crashes on Keras 3's"}.get(src.recurrent)
    return f"LSTM layers: {fused} fused UNIDIRECTIONAL_SEQUENCE_LSTM op(s) ({how})" if how else ""


def _tf_keras_copy(model, calib: np.ndarray | None):
    """A tf_keras Sequential copy of a Keras 3 model that is a chain of layers (a Sequential one, or
    a functional one without branches) whose LSTMs are standard (tanh, sigmoid: what TFLM runs;
    TF 2.21's converter crashes on a fused LSTM with other activations), same weights, or None
    where a layer has no tf_keras twin or the copy computes different float outputs (which is
    also how a functional model with branches is told apart)."""
    import inspect

    import tf_keras

    if calib is None or not len(calib):
        return None
    try:
        layers = [tf_keras.Input(shape=tuple(model.input_shape[1:]))]
        for layer in model.layers:
            if type(layer).__name__ == "InputLayer":
                continue
            cls = getattr(tf_keras.layers, type(layer).__name__, None)
            cfg = {k: v for k, v in layer.get_config().items() if k != "unroll"}   # fused, not unrolled
            if cls is None or (type(layer).__name__ == "LSTM" and
                               (cfg.get("activation"), cfg.get("recurrent_activation")) != ("tanh", "sigmoid")):
                return None
            # the arguments both versions share; initializers do not matter (the weights are copied)
            accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
            args = {k: v for k, v in cfg.items() if k in accepted and not k.endswith(
                ("_initializer", "_regularizer", "_constraint"))}
            layers.append(cls(name=cfg.get("name"), **args))
        copy = tf_keras.Sequential(layers)
        copy.set_weights(model.get_weights())
        x = np.asarray(calib[:16], np.float32)
        want, got = model(x).numpy(), copy(x).numpy()
    except Exception:  # any layer or argument tf_keras does not take: keep the Keras 3 path
        return None
    if want.shape != got.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-5 * float(np.abs(want).max())):
        return None
    return copy


def _unrolled(model):
    """A copy of the Keras 3 model with every LSTM / GRU / SimpleRNN unrolled, same weights."""
    import keras

    def clone(layer):
        cfg = layer.get_config()
        if type(layer).__name__ in UNROLLABLE:
            cfg["unroll"] = True
        return type(layer).from_config(cfg)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _conversion_error(mode: str, exc: Exception, log: str) -> QuantizeError:
    msg = str(exc)
    text = msg + "\n" + log
    ops = set(re.findall(r"'(?:tf|tfl)\.(\w+)' op", text))
    ops |= set(re.findall(r"[Qq]uantization (?:to 16x8-bit )?not yet supported for op: '?(\w+)'?", text))
    ops |= set(re.findall(r"failed to legalize operation '(?:tf|tfl)\.(\w+)'", text))
    what = f" (ops: {', '.join(sorted(ops))})" if ops else ""
    first = next((ln.strip() for ln in text.splitlines() if "error" in ln.lower()), msg.splitlines()[0] if msg else "")
    hint = ("TensorFlow has fewer 16x8 kernels than int8 ones: try --mode int8, or replace those layers"
            if mode == "int16x8" else
            "replace the unsupported layers, or try --mode dynamic/float16 to keep them in float")
    return QuantizeError(f"TensorFlow could not convert the model to {mode}{what}: {first[:300]}", hint)


def _representative(calib: np.ndarray, console: IO[str] | None) -> Iterator[list[np.ndarray]]:
    it: Iterator[int] | range = range(len(calib))
    if console is not None:
        from tqdm import tqdm
        # delay: a bar only when calibration takes more than a second
        it = tqdm(it, desc="calibrating", unit="sample", file=console, leave=False, delay=1.0)
    for i in it:
        yield [calib[i:i + 1].astype(np.float32)]
