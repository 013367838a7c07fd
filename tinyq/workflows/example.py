"""The bundled example model: trained on scikit-learn's digits and quantized to int8 on first use."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tinyq.errors import TinyqError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digits"


def example_model(build_dir: Path | None = None) -> Path:
    """Path of examples/digits/digits_int8.tflite (committed), or of build_dir/digits_int8.tflite,
    trained and quantized there by examples/digits/train.py's build() if missing."""
    build = build_dir or EXAMPLE
    tflite = build / "digits_int8.tflite"
    if tflite.is_file():
        return tflite
    script = EXAMPLE / "train.py"
    if not script.is_file():
        raise TinyqError("the example model is not available in this installation",
                         "pass --model MODEL.tflite, or run from a tinyq checkout")
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        raise TinyqError("building the example model needs TensorFlow", "pip install 'tinyq[quantize]'") from None
    print(f"building the example model in {build} (train on scikit-learn digits, quantize to int8)",
          file=sys.stderr)
    spec = importlib.util.spec_from_file_location("tinyq_example_digits", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(build)
