"""int16 activations for ADD, SUB, LEAKY_RELU, PAD, STRIDED_SLICE and QUANTIZE: the int16 kernels
are picked for int16 layers, and what TFLM (or tinyq) cannot run is refused with the reason.
Exactness itself is checked by tests/test_seanet.py (TFLM's golden outputs) and `tinyq verify`."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tinyq.frontend.tflite_reader import read_tflite
from tinyq.ir import Graph
from tinyq.ops.registry import Refusal, pick, prepare

from conftest import ROOT

SEANET = Path(os.environ.get("TINYQ_SEANET_DIR", ROOT.parent / "shared" / "models" / "tflm_integration" / "seanet"))


def _graph(name: str) -> Graph:
    path = SEANET / name.rstrip("0123456789") / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"the SEANet suite is not in {SEANET}")
    return read_tflite(path)


def _refusal(g: Graph) -> str:
    r = prepare(g.ops[0], g)
    assert isinstance(r, Refusal), r
    return r.reason


@pytest.mark.parametrize("name,func", [
    ("add0", "tq_add_s16"), ("sub0", "tq_sub_s16"), ("leaky_relu0", "tq_leaky_relu_s16"),
    ("pad0", "tq_pad"), ("strided_slice0", "tq_strided_slice_s16"),
    ("quantize0", "tq_requantize_s32_s16"), ("quantize1", "tq_requantize_s16_s32"),
])
def test_int16_layers_get_int16_kernels(name: str, func: str) -> None:
    from tinyq.workflows.compile import compile

    g = _graph(name)
    d = prepare(g.ops[0], g)
    assert not isinstance(d, Refusal), d
    assert pick(d, "dsp") is not None
    model_c = compile(SEANET / name.rstrip("0123456789") / f"{name}.tflite").files["model.c"]
    assert f"{func}(" in model_c


def test_add_params_for_int16_use_15_bits_of_headroom() -> None:
    g = _graph("add0")
    d = prepare(g.ops[0], g)
    assert d.dtype == "int16" and d.params["left_shift"] == 15
    assert (d.params["act_min"], d.params["act_max"]) == (-32768, 32767)


@pytest.mark.parametrize("name", ["add0", "sub0"])
def test_int16_add_sub_with_a_nonzero_zero_point_is_refused(name: str) -> None:
    g = _graph(name)
    g.t(g.ops[0].inputs[1]).zero_point = np.array([3])
    assert "zero point 3" in _refusal(g) and "int16" in _refusal(g)


def test_mixed_int8_int16_add_is_refused() -> None:
    g = _graph("add0")
    g.t(g.ops[0].inputs[1]).dtype = "int8"
    assert "one type" in _refusal(g)


def test_leaky_relu_int16_mixed_with_int8_is_refused() -> None:
    g = _graph("leaky_relu0")
    g.t(g.ops[0].outputs[0]).dtype = "int8"
    assert "int16" in _refusal(g)


def test_int16_pad_with_a_nonzero_zero_point_is_refused() -> None:
    g = _graph("pad0")
    g.t(g.ops[0].outputs[0]).zero_point = np.array([5])
    assert "zero point 5" in _refusal(g)


def test_pad_and_slice_refuse_a_type_change() -> None:
    for name in ("pad0", "strided_slice0"):
        g = _graph(name)
        g.t(g.ops[0].outputs[0]).dtype = "int8"
        assert "int16 -> int8" in _refusal(g)


def test_quantize_pairs_tflm_has_no_kernel_for_are_refused() -> None:
    g = _graph("quantize0")
    g.t(g.ops[0].inputs[0]).dtype = "float32"
    g.t(g.ops[0].inputs[0]).scale = None
    g.t(g.ops[0].outputs[0]).dtype = "int32"
    assert "float32 -> int32" in _refusal(g)
    g = _graph("quantize1")
    g.t(g.ops[0].inputs[0]).dtype = "int32"       # int32 -> int32: TFLM's Prepare rejects it
    assert "int32 -> int32" in _refusal(g)
