"""The example model: a small CNN on scikit-learn's handwritten digits (shipped inside the package,
so this runs offline), upsampled from 8x8 to 16x16. Conv, depthwise conv, a residual add, max and
average pooling, dense and softmax: the layer types a microcontroller model is made of.

    python examples/digits/train.py [OUT_DIR]          # default: examples/digits/

writes into OUT_DIR:
    digits.keras         the trained float model
    calib.npz            x: 200 training images (the representative data set for int8)
    eval.npz             x, y: the 397 held-out images and their labels
    digits_int8.tflite   the full-int8 model (`tinyq quantize digits.keras --calib calib.npz`)

From Python: `build(out_dir)` does all of it and returns the .tflite path; `train(out_dir)` stops
after the Keras model. Seeded; about 20 s on 2 cores.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
N_TRAIN = 1400
N_CALIB = 200


def load_digits_16x16() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits as float32 (N, 16, 16, 1) in [0, 1], and their labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.astype(np.float32) / 16.0                        # 8x8, values 0..16
    x = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)[..., None]  # nearest-neighbour to 16x16x1
    return x, d.target.astype(np.int64)


def build_model():
    """About 55k weights. An int8 .tflite carries ~9 KB that float32 does not (per-channel scales
    and int64 zero points, activation ranges), so int8 stays under 0.3x float32 only with enough
    weights. Short layer names: they end up, several times over, in the .tflite tensor names."""
    import keras
    from keras import layers as L

    inp = keras.Input(shape=(16, 16, 1), name="image")
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inp)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu", name="dw")(x)
    y = L.Conv2D(16, 1, activation="relu", name="pw")(y)
    x = L.Add(name="res")([x, y])                                          # residual
    x = L.MaxPooling2D(2, name="maxpool")(x)                               # 8x8x16
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.AveragePooling2D(2, name="avgpool")(x)                           # 4x4x32
    x = L.Flatten(name="flat")(x)
    x = L.Dense(96, activation="relu", name="fc")(x)                       # most of the weights
    out = L.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="digits")


def train(out_dir: Path = HERE, seed: int = 0, epochs: int = 30) -> Path:
    """Train, save digits.keras + calib.npz + eval.npz into out_dir; return the .keras path."""
    from tinyq.workflows.quantize.quiet import quiet

    x, y = load_digits_16x16()
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    with quiet():                                  # TensorFlow's start-up logs
        import keras

        keras.utils.set_random_seed(seed)
        model = build_model()
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x[:N_TRAIN], y[:N_TRAIN], epochs=epochs, batch_size=32, verbose=0)
        _, acc = model.evaluate(x[N_TRAIN:], y[N_TRAIN:], verbose=0)
        final = build_model()                      # the same weights without the optimizer state:
        final.set_weights(model.get_weights())     # a third of the file size
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "digits.keras"
    final.save(path)
    # compressed: the upsampled digits repeat a lot, so the committed files stay small
    np.savez_compressed(out_dir / "calib.npz", x=x[:N_CALIB])
    np.savez_compressed(out_dir / "eval.npz", x=x[N_TRAIN:], y=y[N_TRAIN:])
    print(f"trained {path}: float32 top-1 {100 * acc:.2f}% on {len(x) - N_TRAIN} held-out digits",
          file=sys.stderr)
    return path


def build(out_dir: Path = HERE, seed: int = 0) -> Path:
    """Train and quantize to full int8: returns out_dir/digits_int8.tflite."""
    from tinyq.workflows.quantize.calib import load_data
    from tinyq.workflows.quantize.convert import convert
    from tinyq.workflows.quantize.loader import load_source

    src = load_source(train(out_dir, seed))
    calib, _ = load_data(Path(out_dir) / "calib.npz", src.input_shape)
    tflite = Path(out_dir) / "digits_int8.tflite"
    tflite.write_bytes(convert(src, "int8", calib, progress=False))
    print(f"wrote {tflite}: {tflite.stat().st_size:,} bytes", file=sys.stderr)
    return tflite


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
