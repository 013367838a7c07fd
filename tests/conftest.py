"""Shared fixtures: where the MLPerf Tiny models are, and skipping cleanly without them."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MLPERF_DIR = Path(os.environ.get("TINYQ_MLPERF_DIR", ROOT.parent / "shared" / "models" / "mlperf_tiny"))
MLPERF_INT8 = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so tests can import tfmodels


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `tf` build models with TensorFlow: skip them, saying so, where it is not
    installed (the core install has no TensorFlow; `pip install 'tinyq[quantize]'` adds it)."""
    import importlib.util
    if importlib.util.find_spec("tensorflow") is not None:
        return
    skip = pytest.mark.skip(reason="needs TensorFlow: pip install 'tinyq[quantize]'")
    for item in items:
        if "tf" in item.keywords:
            item.add_marker(skip)


def mlperf_path(name: str) -> Path:
    """Path of an MLPerf Tiny model from ../shared, or skip the test saying why."""
    path = MLPERF_DIR / (name if name.endswith((".tflite", ".h5")) or "." in name else f"{name}.tflite")
    if not path.exists():
        pytest.skip(f"MLPerf Tiny model {path.name} not found in {MLPERF_DIR} "
                    "(the shared models live in ../shared/models/mlperf_tiny; set TINYQ_MLPERF_DIR)")
    return path
