#!/usr/bin/env python
"""Whole models of architectures tinyq was not tuned on, on the emulated Cortex-M4: instructions
per inference, MACs per instruction, bit-exactness with TFLM, arena, and the layers that take the
most instructions. The MLPerf Tiny four say how fast the tuned paths are; these say how fast a new
user's model is.

The models are built here with TensorFlow (seeded random weights, batch-norm statistics drawn at
random so that it is not the identity, full int8): a YOLO-like detector (LEAKY_RELU, concat,
upsampling), a dilated causal 1-D TCN, a pre-activation ResNet (batch norm left as MUL/ADD), an
EfficientNet-like net (swish, squeeze-and-excite), a MobileNetV3-like net (hard-swish, 5x5
depthwise), a keyword-spotting CNN (10x4, 3x1, 1x3, a depth multiplier 2) and a UNet (transpose
convolutions, skip concat and add).

    python benchmarks/unseen_models.py [--models yolo tcn ...] [--samples 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _architectures(tf):
    L = tf.keras.layers

    def yolo(x):
        def cbl(x, c, k=3, s=1):
            x = L.Conv2D(c, k, strides=s, padding="same", use_bias=False)(x)
            return L.LeakyReLU(0.1)(L.BatchNormalization()(x))
        x = cbl(x, 8, 3, 2)
        x = cbl(x, 16, 3, 2)
        a = cbl(x, 32, 3, 2)
        x = cbl(cbl(L.MaxPooling2D(2)(a), 64), 32, 1)
        x = cbl(L.Concatenate()([L.UpSampling2D(2)(x), a]), 32)
        return L.Conv2D(18, 1)(x)

    def tcn(x):
        for d, c in ((1, 32), (2, 32), (4, 48), (8, 48)):
            y = L.Conv1D(c, 3, dilation_rate=d, padding="causal", activation="relu")(x)
            x = y if x.shape[-1] != c else L.Add()([x, y])
        return L.Dense(12)(L.GlobalAveragePooling1D()(x))

    def preact(x):
        x = L.Conv2D(16, 3, padding="same")(x)
        for c in (16, 32):
            y = L.Conv2D(c, 3, padding="same")(L.ReLU()(L.BatchNormalization()(x)))
            y = L.Conv2D(c, 3, padding="same")(L.ReLU()(L.BatchNormalization()(y)))
            if x.shape[-1] != c:
                x = L.Conv2D(c, 1)(x)
            x = L.MaxPooling2D(2)(L.Add()([x, y]))
        return L.Dense(10)(L.GlobalAveragePooling2D()(x))

    def effnet(x):
        x = L.Conv2D(16, 3, strides=2, padding="same", activation="swish")(x)
        for c, s in ((24, 2), (32, 2), (48, 1)):
            e = L.Conv2D(c * 4, 1, activation="swish")(x)
            e = L.DepthwiseConv2D(3, strides=s, padding="same", activation="swish")(e)
            se = L.GlobalAveragePooling2D(keepdims=True)(e)
            se = L.Conv2D(c * 4, 1, activation="sigmoid")(L.Conv2D(8, 1, activation="swish")(se))
            x = L.Conv2D(c, 1)(L.Multiply()([e, se]))
        return L.Dense(10)(L.GlobalAveragePooling2D()(x))

    def mbv3(x):
        def hs(t):
            return L.Activation("hard_swish")(t)
        x = hs(L.Conv2D(16, 3, strides=2, padding="same")(x))
        for c, s in ((16, 2), (24, 2), (40, 2)):
            e = hs(L.DepthwiseConv2D(5, strides=s, padding="same")(hs(L.Conv2D(c * 3, 1)(x))))
            x = L.Conv2D(c, 1)(e)
        return L.Dense(10)(L.GlobalAveragePooling2D()(x))

    def kwscnn(x):
        x = L.Conv2D(32, (10, 4), strides=(2, 1), padding="same", activation="relu")(x)
        x = L.Conv2D(32, (3, 1), padding="same", activation="relu")(x)
        x = L.MaxPooling2D((2, 1))(L.Conv2D(32, (1, 3), padding="same", activation="relu")(x))
        x = L.SeparableConv2D(64, 3, padding="same", activation="relu")(x)
        x = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu")(x)
        return L.Dense(12)(L.Flatten()(x))

    def unet(x):
        a = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        b = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(a)
        c = L.Conv2D(32, 3, strides=2, padding="same", activation="relu")(b)
        u = L.Conv2DTranspose(16, 2, strides=2, padding="same", activation="relu")(c)
        u = L.Conv2D(16, 3, padding="same", activation="relu")(L.Concatenate()([u, b]))
        u = L.Conv2DTranspose(8, 2, strides=2, padding="same", activation="relu")(u)
        return L.Conv2D(2, 1)(L.Add()([u, a]))

    return {"yolo": ((96, 96, 3), yolo), "tcn": ((128, 16), tcn), "preact": ((32, 32, 3), preact),
            "effnet": ((64, 64, 3), effnet), "mbv3": ((96, 96, 3), mbv3), "kwscnn": ((49, 10, 1), kwscnn),
            "unet": ((64, 64, 1), unet)}


def build(name: str, out: Path) -> Path:
    import numpy as np
    import tensorflow as tf

    from tfmodels import convert_int8, keras_model

    arch = _architectures(tf)
    shape, body = arch[name]
    seed = sorted(arch).index(name)
    m = keras_model([shape], body, seed=seed)
    rng = np.random.default_rng(seed)
    for layer in m.layers:      # batch-norm statistics that are not the identity
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            w = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, w[0].shape), rng.uniform(-0.2, 0.2, w[1].shape),
                               rng.uniform(-0.2, 0.2, w[2].shape), rng.uniform(0.5, 1.5, w[3].shape)])
    with contextlib.redirect_stdout(io.StringIO()):
        return convert_int8(m, out / f"{name}.tflite", [shape])


def main(argv: list[str] | None = None) -> int:
    import tensorflow as tf
    from patch_models import big_m4

    from tinyq.workflows.deploy import DeployOptions, deploy

    names = sorted(_architectures(tf))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=names, choices=names)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--keep", help="keep the models and builds here")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tinyq-unseen-"))
    work.mkdir(parents=True, exist_ok=True)
    exact = True
    print("| model | MACs | instructions | MACs/instr | bit-exact | arena B | top layers (share, MACs/instr) |")
    print("|---|---:|---:|---:|:-:|---:|---|")
    for name in args.models:
        path = build(name, work)
        rep = deploy(DeployOptions(model=path, board=str(big_m4(work / name)), emulate=True, samples=args.samples,
                                   out=work / name, quiet=True, inputs="device")).to_dict()
        tot = rep["instructions"]
        exact &= bool(rep["bit_exact"])
        top = sorted(rep["layers"], key=lambda x: -x["instructions"])[:3]
        tops = "; ".join(f"{x['label']} {100 * x['instructions'] / tot:.0f}% {x['macs_per_instruction']}" for x in top)
        print(f"| {name} | {rep['macs']:,} | {tot:,} | {rep['macs'] / tot:.3f} | {'yes' if rep['bit_exact'] else 'NO'} "
              f"| {rep['arena_bytes']:,} | {tops} |", flush=True)
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
