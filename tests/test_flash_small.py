"""--flash small: what the smallest firmware leaves out (tinyq/ops/flash.py small_portable; the
harness built for size, firmware/common/tq_cold.h; TFLM's requantization out of line in the DSP
kernels, firmware/kernels/tq_dsp.h), and that it stays bit-exact."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import mlperf_path


def _compile(name: str, **kw):
    from tinyq.workflows.compile import compile
    return compile(mlperf_path(name), **kw)


def test_small_runs_a_tiny_layer_on_the_portable_kernel() -> None:
    """KWS's last fully connected layer (768 MACs) is the only user of the dsp8 fully connected
    kernel: --flash small leaves that kernel out and runs the layer with the portable one; auto
    keeps it on the DSP kernels. AD's fully connected layers do far more: they keep dsp8."""
    small = _compile("kws_ref_model", flash="small")
    plan = small.lowered.flash
    fc = next(op.index for op in small.graph.ops if op.opcode == "FULLY_CONNECTED")
    assert plan.portable_layers == {fc}
    assert [c.kernel for c in plan.portable] == ["fully_connected_dsp8.c"]
    assert "tq_fully_connected_s8(" in small.files["model.c"]
    assert "fully_connected_dsp8.c" not in small.lowered.sources
    text = "\n".join(plan.lines())
    assert "1 on the portable kernels" in text and "fully_connected_dsp8.c left out" in text
    auto = _compile("kws_ref_model", flash="auto")
    assert not auto.lowered.flash.portable and "tq_fully_connected_s8(" not in auto.files["model.c"]
    ad = _compile("ad01_int8", flash="small")
    assert not ad.lowered.flash.portable and "tq_fully_connected_dsp8_s8(" in ad.files["model.c"]


def test_small_keeps_the_dsp_kernel_past_the_mac_limit(monkeypatch) -> None:
    import tinyq.ops.flash as flash
    monkeypatch.setattr(flash, "SMALL_KERNEL_MACS", 767)     # KWS's fully connected layer: 768 MACs
    small = _compile("kws_ref_model", flash="small")
    assert not small.lowered.flash.portable and "tq_fully_connected_dsp8_s8(" in small.files["model.c"]


def test_small_bit_exact_on_the_host() -> None:
    from tinyq.workflows.verify import verify
    rep = verify(mlperf_path("kws_ref_model"), samples=5, seed=1, flash="small", sanitize=True)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.slow
def test_small_firmware_links_less(tmp_path) -> None:
    """The small build's firmware: the portable fully connected kernel, not a DSP one; no strlen
    or memcpy from libc (the harness keeps its loops, tq_cold.h); and smaller than the auto build."""
    from tinyq.boards import load_board
    from tinyq.targets.firmware import build_spec, emulation_board
    from tinyq.targets.gcc_build import build, tool
    board = emulation_board(load_board("nrf52840"))
    sizes = {}
    for policy in ("small", "auto"):
        gen = _compile("kws_ref_model", flash=policy)
        gen.write(tmp_path / policy / "model")
        image = build(build_spec(board), tmp_path / policy / "model", tmp_path / policy / "fw")
        names = set(subprocess.run([tool("nm"), str(image.elf)], capture_output=True, text=True,
                                   check=True).stdout.split())
        sizes[policy] = image.flash_bytes
        assert "strlen" not in names and "memcpy" not in names     # KWS's kernels call neither
        assert "tq_fully_connected_dsp8_s8" not in names or policy == "auto"
        assert ("tq_fully_connected_s8" in names) == (policy == "small")
    assert sizes["small"] < sizes["auto"]


# ---- TFLM's requantization, out of line in the DSP kernels (tq_rq_store4_exact) ----

def _dsp_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):
        h = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        h = L.DepthwiseConv2D(3, padding="same")(h)                    # 8 channels: blocks of 4
        h = L.DepthwiseConv2D((5, 3), padding="same", activation="relu6")(h)   # the rows path, padded
        h = L.DepthwiseConv2D(3, strides=2, dilation_rate=1)(L.Conv2D(6, 1)(h))  # 6: a tail block
        return L.Dense(7)(L.Flatten()(h))
    return body


@pytest.fixture(scope="module")
def dsp_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("small") / "dsp.tflite"
    return convert_int8(keras_model([(8, 8, 3)], _dsp_model(), seed=4), path, [(8, 8, 3)])


@pytest.fixture
def exact_everywhere(monkeypatch):
    """Every depthwise and fully connected layer's constants 'fail the proof': TFLM's arithmetic
    (rows of multiplier and shift, rq_exact = 1) wherever the DSP kernels requantize."""
    import tinyq.ops.depthwise_conv_2d as dw
    import tinyq.ops.fully_connected as fc

    def exact(w_rows, bias, mult, shift, zp):
        rows = np.zeros((len(mult), 3), np.int32)
        rows[:, 0], rows[:, 1] = mult, shift
        return rows, np.ones(len(mult), np.int64), 1
    monkeypatch.setattr(dw, "requant_for", exact)
    monkeypatch.setattr(fc, "requant_for", exact)


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "dsp8"])
def test_exact_requantization_bit_exact_on_the_host(dsp_model, exact_everywhere, kernels) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    calls = compile(dsp_model, kernels=kernels, patch="off").files["model.c"]
    assert calls.count(".rq_exact = 1") >= 4
    rep = verify(dsp_model, samples=30, seed=2, sanitize=True, kernels=kernels, patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_exact_requantization_bit_exact_in_the_emulator(dsp_model, exact_everywhere, tmp_path) -> None:
    """The same on the emulated Cortex-M4, where the DSP kernels' fast path is asm and the exact
    one the out-of-line C."""
    from tinyq.workflows.bench import run_emulated_bench
    for kernels in ("dsp", "dsp8"):
        rep = run_emulated_bench(dsp_model, "nrf52840", samples=6, seed=3, out=tmp_path / kernels,
                                 kernels=kernels, patch="off")
        assert rep["samples"] == 6 and rep["bit_exact"], (kernels, rep.get("mismatches"))


# ---- the kernel sources' compile-time switches (tinyq/ops/kernel_config.py) ----

def test_kernel_config_follows_the_layers() -> None:
    """KWS and VWW (3x3 depthwise only) leave the depthwise rows path out under every policy;
    --flash small also builds their softmax and pooling for size. ResNet has no per-pixel
    depthwise layer, so no depthwise switch."""
    for name in ("kws_ref_model", "vww_96_int8"):
        small = _compile(name, flash="small")
        assert small.lowered.kernel_config == {"TQ_DW_DSP_ROWS3": 0, "TQ_SIZE_SOFTMAX": 1, "TQ_SIZE_POOLING": 1}
        assert "#define TQ_SIZE_SOFTMAX 1" in small.files["tq_kernel_config.h"]
        assert _compile(name, flash="auto", kernels="dsp8").lowered.kernel_config == {"TQ_DW_DSP_ROWS3": 0}
    from tinyq.workflows.inspect import flash_choice
    lines = flash_choice(mlperf_path("kws_ref_model"), flash="small")["lines"]
    assert "kernel switches (tq_kernel_config.h):" in lines
    assert any(line.strip().startswith("TQ_SIZE_POOLING=1: pooling.c built for size") for line in lines)
    resnet = _compile("pretrainedResnet_quant", flash="small").lowered.kernel_config
    assert "TQ_DW_DSP_ROWS3" not in resnet and resnet["TQ_SIZE_POOLING"] == 1


def test_kernel_config_keeps_what_a_layer_needs(monkeypatch) -> None:
    """A pooling layer over more than SIZE_ELEMENTS keeps -O2 (KWS's reads 8,000)."""
    import tinyq.ops.kernel_config as kc
    monkeypatch.setattr(kc, "SIZE_ELEMENTS", 7_999)
    cfg = _compile("kws_ref_model", flash="small").lowered.kernel_config
    assert "TQ_SIZE_POOLING" not in cfg and cfg["TQ_SIZE_SOFTMAX"] == 1


@pytest.mark.tf
def test_rows_path_kept_for_a_tall_3_wide_filter_and_right_without_it(dsp_model, monkeypatch) -> None:
    """The (5, 3) depthwise layer needs the rows path: the switch stays off. Forced off, the
    generic tap walk computes it, still bit-exact (a wrong switch costs speed, not results)."""
    import tinyq.ops.kernel_config as kc
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    assert "TQ_DW_DSP_ROWS3" not in compile(dsp_model, kernels="dsp8", patch="off").lowered.kernel_config
    monkeypatch.setattr(kc, "_needs_rows3", lambda data: False)
    assert compile(dsp_model, kernels="dsp8", patch="off").lowered.kernel_config["TQ_DW_DSP_ROWS3"] == 0
    rep = verify(dsp_model, samples=20, seed=6, sanitize=True, kernels="dsp8", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
