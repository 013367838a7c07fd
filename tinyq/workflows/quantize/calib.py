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
    elif path.suffix in (".npy", ".npz"):
        try:
            z = np.load(path, allow_pickle=False)
            if path.suffix == ".npy":
                x = z
            else:
                if not z.files:
                    raise DataError(f"{path}: the archive holds no arrays", "save it with np.savez(path, x=..., y=...)")
                x = z["x" if "x" in z.files else z.files[0]]
                y = z["y"] if "y" in z.files else None
        except DataError:
            raise
        except Exception as exc:   # truncated file, pickled objects, not numpy at all
            raise DataError(f"cannot read {path}: {exc.__class__.__name__}: {str(exc)[:200]}",
                            "save the data with numpy.save / numpy.savez (numeric arrays, no objects)") from None
    else:
        raise DataError(f"{path}: unknown data format '{path.suffix}'", "use .npy, .npz (arrays x and y) or an image folder")
    if x.dtype.kind not in "fiu":
        raise DataError(f"{path}: data must be numeric, got dtype {x.dtype}")
    if x.size == 0:
        raise DataError(f"{path}: the data set is empty (shape {x.shape})", "it needs at least one sample")
    x = x.astype(np.float32)
    if x.ndim == len(input_shape):          # a single sample
        x = x[None]
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise DataError(f"{path}: samples have shape {tuple(x.shape[1:])}, the model expects {tuple(input_shape)}",
                        "reshape or resize the data to the model's input (first axis = samples)")
    if not np.isfinite(x).all():
        raise DataError(f"{path}: the data contains NaN or infinite values")
    if y is not None and len(y) != len(x):
        raise DataError(f"{path}: {len(x)} samples but {len(y)} labels")
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
    if len(input_shape) not in (2, 3) or channels not in (1, 3):
        raise DataError(f"{folder}: the model's input {tuple(input_shape)} is not an image (H, W, 1 or 3)",
                        "pass the data as a .npy/.npz array instead")
    from tqdm import tqdm

    out = []
    for f in tqdm(files, desc="reading images", unit="image", leave=False, delay=1.0):
        try:
            img = Image.open(f).convert("RGB" if channels == 3 else "L").resize((w, h), Image.BILINEAR)
        except Exception as exc:   # PIL raises several types for truncated or non-image files
            raise DataError(f"cannot read the image {f}: {exc}") from None
        # pixels scaled to [0, 1]; a model trained on another range needs a .npy/.npz instead
        arr = np.asarray(img, dtype=np.float32) / 255.0
        out.append(arr.reshape(input_shape))
    return np.stack(out)
