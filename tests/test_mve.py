"""The `mve` kernel family (Helium: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED): which layers
take it, its algorithm bit-exact on the host (plain C), and its intrinsics bit-exact on the
emulated Cortex-M55 (QEMU mps3-an547 implements MVE). KWS on the M55 (auto: mve) is in
test_emulated_cores.py."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tinyq
from tinyq.ops import mve

from conftest import ROOT

MODELS = ROOT / "tests" / "models"
# Every path of the three kernels: 1x1 and 3x3 windows, SAME borders, stride 2, dilation 2,
# output channels not a multiple of 4 (conv5x1_c7: 7), inputs not a multiple of 16, batches.
CONV = ["conv1x1_c16", "conv1x1_c6", "conv3x3_same_c3", "conv3x3_s2_valid", "conv3x3_dil2_same", "conv5x1_c7",
        "conv3x3_per_tensor"]
DEPTHWISE = ["dw3x3_s1_same_c8", "dw3x3_s2_same_c20", "dw5x5_dil2_same"]
FC = ["fc_in64_out16", "fc_in10_out7", "fc_batch3_in12_out5"]


@pytest.fixture
def every_conv(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the MVE kernels take the layers the lowering leaves to the DSP ones where those are
    faster (convolutions with runs shorter than a vector, depthwise layers wider than 8
    channels), so every path of them runs: borders, dilation, tails."""
    monkeypatch.setattr(mve, "MIN_RUN", 1)
    monkeypatch.setattr(mve, "MAX_DW_CHANNELS", 1 << 15)


def _variants(model: str) -> list[str]:
    return [layer.variant.name for layer in tinyq.compile(MODELS / f"{model}.tflite", board="mps3_an547").lowered.layers]


def test_which_layers_take_mve() -> None:
    """auto on the M55 is mve; a layer without an MVE kernel that applies keeps the DSP one."""
    assert tinyq.compile(MODELS / "conv1x1_c16.tflite", board="mps3_an547").kernels == "mve"
    assert _variants("conv1x1_c16") == ["conv_2d_mve"]
    assert _variants("conv3x3_same_c3") == ["conv_2d_dsp"]            # filter rows of 9 bytes
    assert _variants("conv3x3_residual_add") == ["conv_2d_dsp"]       # a fused ADD: the DSP tables
    assert _variants("dw3x3_s1_same_c8") == ["depthwise_conv_2d_mve"]     # 8 channels
    assert _variants("dw3x3_s2_same_c20") == ["depthwise_conv_2d_dsp"]    # 20: the DSP assembly
    assert _variants("dw3x3_mult2") == ["depthwise_conv_2d_dsp_mult_blocks"]  # depth multiplier 2: the DSP kernel
    assert _variants("fc_in10_out7") == ["fully_connected_mve"]
    assert tinyq.compile(MODELS / "conv1x1_c16.tflite", board="mps3_an547", kernels="dsp").kernels == "dsp"


@pytest.mark.usefixtures("every_conv")
@pytest.mark.parametrize("model", CONV + DEPTHWISE + FC)
def test_mve_algorithm_bit_exact_on_host(model: str) -> None:
    assert any("mve" in v for v in _variants(model))
    rep = tinyq.verify(MODELS / f"{model}.tflite", samples=10, seed=2, kernels="mve")
    assert rep.ok, rep.to_dict()


NEEDS_QEMU = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and arm-none-eabi-gcc (scripts/setup.sh)")


@pytest.mark.slow
@NEEDS_QEMU
@pytest.mark.usefixtures("every_conv")
@pytest.mark.parametrize("model", CONV + DEPTHWISE + FC)
def test_mve_bit_exact_on_the_m55(model: str, tmp_path: Path) -> None:
    from tinyq.workflows.bench import run_emulated_bench

    rep = run_emulated_bench(MODELS / f"{model}.tflite", board="mps3_an547", samples=3, seed=4, out=tmp_path,
                             timeout=120, kernels="mve").to_dict()
    assert rep["bit_exact"] and rep["mismatches"] == 0, rep
    assert "mve" in (tmp_path / "model" / "model.c").read_text()
