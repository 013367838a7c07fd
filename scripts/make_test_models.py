#!/usr/bin/env python3
"""Build the small corner-case int8 models committed in tests/models/.

Each model is a few kilobytes, built with TensorFlow/Keras from seeded weights and a seeded
representative dataset, so re-running this script gives the same bytes (as far as TensorFlow's
converter is deterministic). The files are committed so that tests/test_committed_models.py can
check every kernel against TFLM without TensorFlow.

    .venv/bin/python scripts/make_test_models.py [--out tests/models] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from tfmodels import convert_int8, keras_model  # noqa: E402


def _layers():
    import tensorflow as tf
    return tf, tf.keras.layers


def _bias():
    """Non-zero biases (Keras' default is zeros, which would leave the bias path untested)."""
    import tensorflow as tf
    return tf.keras.initializers.RandomUniform(-0.3, 0.3)


def _const(shape, seed, low=-0.5, high=0.5):
    import tensorflow as tf
    return tf.constant(np.random.default_rng(seed).uniform(low, high, shape), tf.float32)


# Every model: name -> (input shapes without batch, body(inputs) -> output, convert kwargs).
# A body gets one tensor for a single input, a list for several.

def conv(filters, kernel, **kw):
    def body(x):
        tf, L = _layers()
        if kw.get("use_bias", True):
            kw.setdefault("bias_initializer", _bias())
        return L.Conv2D(filters, kernel, **kw)(x)
    return body


def residual(x):
    tf, L = _layers()
    return L.Add()([L.Conv2D(x.shape[-1], 3, padding="same", bias_initializer=_bias())(x), x])


def two_convs_shortcut(x):
    tf, L = _layers()
    y = L.Conv2D(8, 3, padding="same", activation="relu", bias_initializer=_bias())(x)
    y = L.Conv2D(8, 3, padding="same", bias_initializer=_bias())(y)
    return L.Add()([y, x])


def dw(kernel, **kw):
    def body(x):
        tf, L = _layers()
        return L.DepthwiseConv2D(kernel, bias_initializer=_bias(), **kw)(x)
    return body


def dense(units, use_bias=True, activation=None):
    def body(x):
        tf, L = _layers()
        extra = {"bias_initializer": _bias()} if use_bias else {}
        return L.Dense(units, use_bias=use_bias, activation=activation, **extra)(x)
    return body


def layer(make):
    def body(x):
        tf, L = _layers()
        return make(tf, L)(x)
    return body


def add_const(x):
    tf, L = _layers()
    c = _const((x.shape[-1],), 7, -1.0, 1.0)
    return L.Lambda(lambda t: t + c)(x)


def binary(kind):
    def body(xs):
        tf, L = _layers()
        a, b = xs
        return {"mul": L.Multiply(), "sub": L.Subtract()}[kind]([a, b])
    return body


def concat(xs):
    tf, L = _layers()
    return L.Concatenate(axis=-1)(xs)


def reshape_softmax(x):
    tf, L = _layers()
    return L.Softmax()(L.Reshape((int(np.prod(x.shape[1:])),))(x))


def mean_hw(x):
    tf, L = _layers()
    return L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(x)


def pad(x):
    tf, L = _layers()
    return L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 2], [2, 1], [0, 0]]))(x)


def mixed(x):
    tf, L = _layers()
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", bias_initializer=_bias())(x)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu", bias_initializer=_bias())(y)
    y = L.MaxPooling2D(2)(y)
    y = L.Flatten()(y)
    y = L.Dense(10, bias_initializer=_bias())(y)
    return L.Softmax()(y)


MODELS: dict[str, tuple[list[tuple[int, ...]], object, dict]] = {
    # CONV_2D
    "conv1x1_c16": ([(8, 8, 16)], conv(8, 1), {}),
    "conv1x1_c6": ([(8, 8, 6)], conv(5, 1), {}),
    "conv3x3_same_c3": ([(9, 9, 3)], conv(8, 3, padding="same"), {}),
    "conv3x3_s2_valid": ([(11, 11, 4)], conv(6, 3, strides=2, padding="valid"), {}),
    "conv3x3_dil2_same": ([(12, 10, 4)], conv(6, 3, dilation_rate=2, padding="same"), {}),
    "conv5x1_c7": ([(10, 6, 7)], conv(5, (5, 1), padding="same"), {}),
    "conv3x3_per_tensor": ([(8, 8, 4)], conv(8, 3, padding="same"), {"per_channel": False}),
    "conv3x3_nobias_relu6": ([(8, 8, 4)], conv(8, 3, padding="same", use_bias=False,
                                               activation="relu6"), {}),
    "conv3x3_residual_add": ([(8, 8, 8)], residual, {}),
    "conv2_shortcut_add": ([(8, 8, 8)], two_convs_shortcut, {}),
    # DEPTHWISE_CONV_2D
    "dw3x3_s1_same_c8": ([(10, 10, 8)], dw(3, padding="same"), {}),
    "dw3x3_s2_same_c20": ([(11, 11, 20)], dw(3, strides=2, padding="same"), {}),
    "dw3x3_mult2": ([(9, 9, 4)], dw(3, depth_multiplier=2, padding="valid"), {}),
    "dw5x5_dil2_same": ([(14, 14, 6)], dw(5, dilation_rate=2, padding="same"), {}),
    # FULLY_CONNECTED
    "fc_in10_out7": ([(10,)], dense(7), {}),
    "fc_in10_out7_nobias": ([(10,)], dense(7, use_bias=False), {}),
    "fc_in64_out16": ([(64,)], dense(16), {}),
    "fc_in64_out16_nobias": ([(64,)], dense(16, use_bias=False), {}),
    "fc_batch3_in12_out5": ([(3, 12)], dense(5), {}),
    # pooling
    "avgpool2x2_s2": ([(8, 8, 6)], layer(lambda tf, L: L.AveragePooling2D(2)), {}),
    "avgpool_global_7x7": ([(7, 7, 8)], layer(lambda tf, L: L.AveragePooling2D(7)), {}),
    "maxpool3x3_s2_same": ([(9, 9, 5)], layer(lambda tf, L: L.MaxPooling2D(3, 2, padding="same")), {}),
    # elementwise and shape ops
    "add_broadcast_const": ([(6, 6, 5)], add_const, {}),
    "mul": ([(6, 6, 4), (6, 6, 4)], binary("mul"), {}),
    "sub": ([(6, 6, 4), (6, 6, 4)], binary("sub"), {}),
    "concat_channels": ([(6, 6, 3), (6, 6, 5)], concat, {}),
    "reshape_softmax": ([(4, 4, 2)], reshape_softmax, {}),
    "logistic": ([(4, 4, 4)], layer(lambda tf, L: L.Activation("sigmoid")), {"low": -4.0, "high": 4.0}),
    "tanh": ([(4, 4, 4)], layer(lambda tf, L: L.Activation("tanh")), {"low": -3.0, "high": 3.0}),
    "mean_hw": ([(6, 5, 4)], mean_hw, {}),
    "pad": ([(5, 5, 3)], pad, {}),
    # a bit of everything
    "mixed_conv_dw_pool_fc_softmax": ([(16, 16, 3)], mixed, {}),
}


def op_names(path: Path) -> list[str]:
    """The builtin op of every operator in the model, in order (straight from the flatbuffer)."""
    from ai_edge_litert import schema_py_generated as s
    m = s.Model.GetRootAsModel(path.read_bytes(), 0)
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    sub = m.Subgraphs(0)
    res = []
    for i in range(sub.OperatorsLength()):
        oc = m.OperatorCodes(sub.Operators(i).OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        res.append(names.get(code, str(code)))
    return res


def build(name: str, out: Path, seed: int = 0) -> Path:
    shapes, body, kw = MODELS[name]
    with contextlib.redirect_stdout(sys.stderr):  # TensorFlow's chatter; stdout lists the files
        model = keras_model(shapes, body, seed=seed, batch=1)
        return convert_int8(model, out / f"{name}.tflite", shapes, seed=seed, **kw)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "models")
    ap.add_argument("--only", nargs="*", help="build only these models")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown models: {unknown}; known: {list(MODELS)}")
    total = 0
    for name in names:
        path = build(name, args.out)
        data = path.read_bytes()
        total += len(data)
        print(f"{path}  {len(data):6d} B  sha256:{hashlib.sha256(data).hexdigest()[:12]}  "
              f"{' '.join(op_names(path))}", flush=True)
    print(f"wrote {len(names)} models, {total} bytes, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
