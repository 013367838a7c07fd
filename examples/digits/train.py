"""Train the example model: a small CNN on scikit-learn's handwritten digits (shipped with the
package, so it runs offline), upsampled to 16x16. Conv, depthwise conv, a residual add, pooling,
dense and softmax: the layer types a microcontroller model is made of.

    python examples/digits/train.py [OUT_DIR]

writes digits.keras, calib.npz (x: 200 training images) and eval.npz (x, y: the held-out images).
Seeded; about 20 s on 2 cores."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load_digits_16x16() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.astype(np.float32) / 16.0                    # 8x8, values 0..16
    x = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)[..., None]  # nearest-neighbour to 16x16x1
    return x, d.target.astype(np.int64)


def build_model():
    import keras
    from keras import layers as L

    inp = keras.Input(shape=(16, 16, 1))
    x = L.Conv2D(16, 3, padding="same", activation="relu")(inp)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    y = L.Conv2D(16, 1, activation="relu")(y)
    x = L.Add()([x, y])                                        # residual
    x = L.MaxPooling2D(2)(x)                                   # 8x8
    x = L.Conv2D(32, 3, padding="same", activation="relu")(x)  # 8x8x32
    x = L.AveragePooling2D(2)(x)                               # 4x4x32
    x = L.Flatten()(x)
    x = L.Dense(128, activation="relu")(x)                     # most of the weights live here
    out = L.Dense(10, activation="softmax")(x)
    return keras.Model(inp, out, name="digits_cnn")


def train(out_dir: Path, seed: int = 0) -> Path:
    import keras

    keras.utils.set_random_seed(seed)
    x, y = load_digits_16x16()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:n_train], y[:n_train], epochs=25, batch_size=32, verbose=0)
    _, acc = model.evaluate(x[n_train:], y[n_train:], verbose=0)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "digits.keras"
    model.save(path)
    np.savez(out_dir / "calib.npz", x=x[:200])
    np.savez(out_dir / "eval.npz", x=x[n_train:], y=y[n_train:])
    print(f"trained {path}: float32 test accuracy {100 * acc:.2f}% on {len(x) - n_train} held-out digits")
    return path


if __name__ == "__main__":
    train(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "build")
