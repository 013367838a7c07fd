"""Calibration and evaluation data: .npy, .npz (x [, y]) or a folder of images."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


class DataError(TinyqError):
    """Calibration or evaluation data that does not fit the model."""


def load_data(path: str | Path, input_shape: tuple[int, ...], labels: bool = False
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """float32 samples shaped (N, *input_shape), and labels when asked for and present."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data not found: {path}", "pass a .npy/.npz file or a folder of images")
    y = None
    if path.is_dir():
        x = _images(path, input_shape)
    elif path.suffix == ".npy":
        x = np.load(path, allow_pickle=False)
    elif path.suffix == ".npz":
        z = np.load(path, allow_pickle=False)
        key = "x" if "x" in z else z.files[0]
        x = z[key]
        y = z["y"] if "y" in z else None
    else:
        raise DataError(f"{path}: unknown data format '{path.suffix}'", "use .npy, .npz (arrays x and y) or an image folder")
    if x.dtype.kind not in "fiu":
        raise DataError(f"{path}: data must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float32)
    if x.ndim == len(input_shape):          # a single sample
        x = x[None]
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise DataError(f"{path}: samples have shape {tuple(x.shape[1:])}, the model expects {tuple(input_shape)}",
                        "reshape or resize the data to the model's input")
    if len(x) == 0:
        raise DataError(f"{path}: the data set is empty")
    if labels and y is None:
        raise DataError(f"{path}: no labels (an .npz with arrays 'x' and 'y' is needed for accuracy)")
    return x, y


def _images(folder: Path, input_shape: tuple[int, ...]) -> np.ndarray:
    from PIL import Image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"{folder}: no images found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    h, w = input_shape[0], input_shape[1]
    channels = input_shape[2] if len(input_shape) > 2 else 1
    out = []
    for f in files:
        img = Image.open(f).convert("RGB" if channels == 3 else "L").resize((w, h))
        arr = np.asarray(img, dtype=np.float32) / 255.0
        out.append(arr.reshape(input_shape))
    return np.stack(out)
