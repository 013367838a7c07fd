"""The MLPerf Tiny int8 models, compiled to C and run on the host, against TFLM bit for bit."""
from __future__ import annotations

import pytest

from tinyq.workflows.inspect import inspect_model
from tinyq.workflows.verify import verify

from conftest import MLPERF_INT8, mlperf_path

# MAC totals quoted for the MLPerf Tiny reference models.
EXPECTED_MACS = {"kws_ref_model": 2.66e6, "vww_96_int8": 7.49e6, "pretrainedResnet_quant": 12.5e6,
                 "ad01_int8": 0.264e6}


@pytest.mark.parametrize("name", MLPERF_INT8)
def test_inspect_mac_totals(name: str) -> None:
    info = inspect_model(mlperf_path(name))
    assert info["total_macs"] == pytest.approx(EXPECTED_MACS[name], rel=0.01)
    assert info["unsupported"] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", MLPERF_INT8)
def test_bit_exact_100_random_inputs(name: str) -> None:
    rep = verify(mlperf_path(name), samples=100, seed=1)
    assert rep.samples == 100
    assert rep.elements > 0
    assert rep.mismatches == 0, rep.to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("name", MLPERF_INT8)
def test_sanitized_exact_arena_and_layers(name: str) -> None:
    """ASan+UBSan with an arena of exactly the planned size; every intermediate tensor matches."""
    rep = verify(mlperf_path(name), samples=3, seed=2, sanitize=True, layers=True)
    assert rep.first_bad_layer is None, rep.first_bad_layer
    assert rep.mismatches == 0
    assert all(layer["mismatches"] == 0 for layer in rep.layers)


@pytest.mark.slow
@pytest.mark.parametrize("name", MLPERF_INT8)
def test_portable_kernels_bit_exact(name: str) -> None:
    """The plain-C kernels (int8 weights; what a Cortex-M0+ gets) stay exact beside the DSP ones."""
    rep = verify(mlperf_path(name), samples=20, seed=4, kernels="portable")
    assert rep.samples == 20 and rep.mismatches == 0, rep.to_dict()
