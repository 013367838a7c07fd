"""The MLPerf Tiny float32 models: compiled with the float32 kernels, on the host against LiteRT
within verify's tolerance, and one on the emulated nRF52840 (Cortex-M4F, hard float)."""
from __future__ import annotations

import pytest

from tinyq.workflows.verify import FLOAT_TOLERANCE, verify

from conftest import mlperf_path

FLOAT_MODELS = ["ad01_fp32", "pretrainedResnet", "vww_96_float"]


@pytest.mark.parametrize("name", FLOAT_MODELS)
def test_float32_within_tolerance_of_litert(name: str) -> None:
    rep = verify(mlperf_path(name), samples=3, seed=4)
    assert rep.reference == "LiteRT" and rep.tolerance == FLOAT_TOLERANCE
    assert rep.elements > 0 and rep.mismatches == 0 and rep.top1_agreement == 1.0, rep.to_dict()


def test_kws_float32_file_with_int8_weights_runs_its_hybrid_layers() -> None:
    """kws_ref_model_float32.tflite mixes int8 convolution weights into a float model: tinyq
    compiles those as dynamic-range layers, checked against LiteRT's hybrid kernels."""
    from tinyq.workflows.compile import compile

    path = mlperf_path("kws_ref_model_float32")
    assert any(layer.variant.name == "conv_2d_dsp_hybrid" for layer in compile(path).lowered.layers)
    rep = verify(path, samples=5, seed=4)
    assert rep.reference == "LiteRT" and rep.mismatches == 0 and rep.top1_agreement == 1.0, rep.to_dict()


@pytest.mark.slow
def test_float32_resnet_on_the_emulated_m4f() -> None:
    from tinyq.workflows.bench import run_emulated_bench

    rep = run_emulated_bench(mlperf_path("pretrainedResnet"), board="nrf52840", samples=2).to_dict()
    assert rep["reference"] == "LiteRT" and rep["bit_exact"] and rep["max_rel_err"] <= FLOAT_TOLERANCE
    assert rep["flash_bytes"] < rep["flash_budget"] and rep["instructions"] > rep["macs"]
