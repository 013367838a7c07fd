"""The .tflite frontend: real models parse into the expected IR, bad files give clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from tinyq.errors import ModelError
from tinyq.frontend.tflite_reader import parse_tflite, read_tflite

from conftest import MLPERF_INT8, mlperf_path

EXPECTED_OPS = {
    "kws_ref_model": {"CONV_2D": 5, "DEPTHWISE_CONV_2D": 4, "AVERAGE_POOL_2D": 1, "RESHAPE": 1,
                      "FULLY_CONNECTED": 1, "SOFTMAX": 1},
    "ad01_int8": {"FULLY_CONNECTED": 10},
}


@pytest.mark.parametrize("name", MLPERF_INT8)
def test_mlperf_models_parse(name: str) -> None:
    g = read_tflite(mlperf_path(name))
    assert g.ops and g.inputs and g.outputs
    for t in g.inputs + g.outputs:
        assert g.t(t).dtype == "int8" and g.t(t).is_quantized
    for op in g.ops:
        for i in op.inputs:
            if i >= 0 and g.t(i).is_const:
                assert g.t(i).data.shape == g.t(i).shape
    if name in EXPECTED_OPS:
        counts: dict[str, int] = {}
        for op in g.ops:
            counts[op.opcode] = counts.get(op.opcode, 0) + 1
        assert counts == EXPECTED_OPS[name]


def test_per_channel_quantization_is_read() -> None:
    g = read_tflite(mlperf_path("kws_ref_model"))
    conv = next(op for op in g.ops if op.opcode == "CONV_2D")
    w = g.t(conv.inputs[1])
    assert w.per_channel and len(w.scale) == w.shape[0] and w.quantized_dimension == 0
    assert conv.options["padding"] in ("SAME", "VALID")


def test_not_a_flatbuffer() -> None:
    with pytest.raises(ModelError, match="not a TFLite flatbuffer"):
        parse_tflite(b"hello world, not a model", "junk")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ModelError, match="not found"):
        read_tflite(tmp_path / "nope.tflite")


def test_truncated_file_is_a_clear_error() -> None:
    data = mlperf_path("kws_ref_model").read_bytes()
    for cut in (16, 200, len(data) // 3, len(data) - 100):
        with pytest.raises(ModelError):
            parse_tflite(data[:cut], "cut")


def test_random_corruption_never_crashes_uncontrolled() -> None:
    """Flip bytes anywhere: the reader either returns a graph or raises ModelError, nothing else."""
    data = bytearray(mlperf_path("ad01_int8").read_bytes())
    rng = np.random.default_rng(1)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(60):
        buf = bytearray(data)
        for pos in rng.integers(8, 4096, size=8):  # the metadata lives at the front
            buf[pos] = int(rng.integers(0, 256))
        try:
            parse_tflite(bytes(buf), "fuzzed")
            outcomes["ok"] += 1
        except ModelError:
            outcomes["error"] += 1
    assert outcomes["ok"] + outcomes["error"] == 60
