"""--flash small: what the smallest firmware leaves out (tinyq/ops/flash.py small_portable; the
harness built for size, firmware/common/tq_cold.h; TFLM's requantization out of line in the DSP
kernels, firmware/kernels/tq_dsp.h), and that it stays bit-exact."""
from __future__ import annotations

import subprocess
from pathlib import Path

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
    """KWS and VWW (3x3 depthwise only, every layer on the asm) leave the depthwise rows path and
    the C 3x3 paths out under every policy;
    --flash small also builds their softmax and pooling for size. ResNet has no per-pixel
    depthwise layer, so no depthwise switch."""
    # no layer has a fused ADD or TFLM's requantization; only VWW has constant channels, and
    # layers whose shifts spread too wide to pack (the 6-byte form)
    # and every depthwise layer is the dsp8 variant's, which keeps single taps (no tap pairs)
    lean = {"TQ_DW_DSP_ROWS3": 0, "TQ_DW_DSP_C3X3": 0, "TQ_CONV8_ADD": 0, "TQ_CONV8_EXACT": 0, "TQ_DW_DSP_EXACT": 0,
            "TQ_CONV_ADD_SUM16": 0, "TQ_CONV_ADD_SUM32": 0, "TQ_CONV_ADD_EXACT": 0, "TQ_DW_DSP_PAIRS": 0}
    kws_only = {"TQ_CONV8_CONSTANTS": 0, "TQ_CONV8_ROW6": 0, "TQ_CONV8_PK_SHIFT": 0}
    for name in ("kws_ref_model", "vww_96_int8"):
        small = _compile(name, flash="small")
        switches = {**lean, **(kws_only if name == "kws_ref_model" else {})}
        assert small.lowered.kernel_config == {**switches, "TQ_SIZE_SOFTMAX": 1, "TQ_SIZE_POOLING": 1}
        assert "#define TQ_SIZE_SOFTMAX 1" in small.files["tq_kernel_config.h"]
        # there the classifier keeps the pair kernel: per-tensor, one row
        auto = _compile(name, flash="auto", kernels="dsp8").lowered.kernel_config
        assert auto == {**switches, "TQ_FC8_ROWS": 0, "TQ_FC8_SLOW": 0, "TQ_FC8_DIRECT": 0}, auto
    from tinyq.workflows.inspect import flash_choice
    lines = flash_choice(mlperf_path("kws_ref_model"), flash="small")["lines"]
    assert "kernel switches (tq_kernel_config.h):" in lines
    assert any(line.strip().startswith("TQ_SIZE_POOLING=1: pooling.c built for size") for line in lines)
    resnet = _compile("pretrainedResnet_quant", flash="small").lowered.kernel_config
    assert "TQ_DW_DSP_ROWS3" not in resnet and resnet["TQ_SIZE_POOLING"] == 1
    assert "TQ_CONV8_ADD" not in resnet     # its residual ADDs are fused into convolutions
    # ... with int16 sum tables only (tinyq/ops/_fused_add.py)
    assert "TQ_CONV_ADD_SUM16" not in resnet and resnet["TQ_CONV_ADD_SUM32"] == resnet["TQ_CONV_ADD_EXACT"] == 0


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


@pytest.mark.tf
def test_c3x3_paths_kept_where_the_asm_does_not_apply_and_right_without_them(tmp_path: Path, monkeypatch) -> None:
    """A 3x3 depthwise layer of 6 channels (not a multiple of 4) keeps the C 3x3 paths; forced
    off, its pixels take the generic tap walk, still bit-exact on the emulated Cortex-M4 (the
    host build keeps the C paths whatever the switch: it has no asm)."""
    tf = pytest.importorskip("tensorflow")
    import tinyq.ops.kernel_config as kc
    from tinyq.workflows.bench import run_emulated_bench
    from tinyq.workflows.compile import compile

    from tfmodels import convert_int8, keras_model

    L = tf.keras.layers
    path = convert_int8(keras_model([(12, 10, 6)], lambda x: L.Conv2D(4, 1)(L.DepthwiseConv2D(3, padding="same")(x)),
                                    seed=7), tmp_path / "dw6.tflite", [(12, 10, 6)], samples=4)
    assert "TQ_DW_DSP_C3X3" not in compile(path, kernels="dsp", patch="off").lowered.kernel_config
    monkeypatch.setattr(kc, "_needs_c3x3", lambda layer: False)
    assert compile(path, kernels="dsp", patch="off").lowered.kernel_config["TQ_DW_DSP_C3X3"] == 0
    rep = run_emulated_bench(path, "nrf52840", samples=4, seed=2, out=tmp_path / "emu", kernels="dsp", patch="off")
    assert rep["samples"] == 4 and rep["bit_exact"], rep.get("mismatches")


@pytest.mark.tf
def test_exact_layers_keep_the_exact_paths(dsp_model, exact_everywhere) -> None:
    """A depthwise layer with rq_exact keeps the depthwise kernel's exact paths: the switch is read
    from the emitted parameters, the very ones the kernel runs."""
    from tinyq.workflows.compile import compile
    cfg = compile(dsp_model, kernels="dsp8", patch="off").lowered.kernel_config
    assert "TQ_DW_DSP_EXACT" not in cfg


# ---- compact requantization tables (tinyq/ops/_dsp_layout.py packed_requant) ----

def _rows(mult, rs, zp):
    mult, rs = np.asarray(mult, np.int64), np.asarray(rs, np.int64)
    return np.stack([mult, (1 << (rs - 1)) + (zp << rs), rs], axis=1).astype(np.int32)


def test_packed_words_hold_multiplier_and_shift() -> None:
    from tinyq.ops._dsp_layout import packed_requant
    rng = np.random.default_rng(7)
    mult = rng.integers(2**30, 2**31, 50)
    rs = rng.integers(6, 10, 50)
    rows = _rows(mult, rs, -5)
    rows[3] = (0, 2 * 17 + 1, 1)        # a constant channel: output 17, clamped to 10
    words, base, const = packed_requant(rows, np.full(50, 2), 0, -5, -128, 10)
    w = words.astype(np.int64) % 2**32
    normal = np.arange(50) != 3
    assert base == rs[normal].min() and const == {3: 10} and words[3] == 0
    assert ((w[normal] & (2**30 - 1)) | 2**30).tolist() == mult[normal].tolist()
    assert (base + (w[normal] >> 30)).tolist() == rs[normal].tolist()
    # not exact in 4 bytes: shifts spread over more than 4 values, TFLM's arithmetic, another factor
    assert packed_requant(_rows(mult[:2], [3, 7], 0), np.full(2, 2), 0, 0, -128, 127) is None
    assert packed_requant(rows, np.full(50, 2), 1, -5, -128, 127) is None
    assert packed_requant(rows, np.full(50, 4), 0, -5, -128, 127) is None


def test_mlperf_tables_are_packed() -> None:
    """--flash small: KWS's depthwise and pointwise layers have 4-byte words, no tq_rq rows; AD's
    per-tensor layers one row each; VWW's pointwise layers store no weights for their constant
    channels (all-zero weights), so its int8 weights take less than the model's."""
    import re
    kws = _compile("kws_ref_model", flash="small").files["model.c"]
    assert "tq_rq_" not in kws and "tq_scale_" not in kws and ".shift8 = 0" in kws and ".pk_base = " in kws
    ad = _compile("ad01_int8", flash="small")
    rq = [int(n) for n in re.findall(r"tq_rq_\d+\[(\d+)\]", ad.files["model.c"])]
    assert len(rq) == 10 and set(rq) == {3}
    assert ad.files["model.c"].count(".rq = (const tq_rq *)") == 10
    assert ad.lowered.kernel_config == {"TQ_FC8_ROWS": 0, "TQ_FC8_SLOW": 0}
    vww = _compile("vww_96_int8", flash="small")
    code = vww.files["model.c"]
    assert re.search(r"\.pk_flags = [13],", code)
    w8 = sum(c.nbytes for c in vww.lowered.emitter.consts if c.name.startswith("tq_w8_"))
    assert w8 < vww.graph.param_bytes - 100_000, (w8, vww.graph.param_bytes)


def test_vww_constant_channels_bit_exact_on_the_host() -> None:
    from tinyq.workflows.verify import verify
    rep = verify(mlperf_path("vww_96_int8"), samples=4, seed=2, flash="small")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


def _per_tensor_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):
        h = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        h = L.DepthwiseConv2D(3, padding="same")(h)
        h = L.Dense(12, activation="relu")(L.Flatten()(h))   # reads the largest activation: in place
        h = L.Dense(9)(h)                                      # the pair kernel, a leftover channel
        return L.Dense(5)(h)
    return body


@pytest.fixture(scope="module")
def per_tensor_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("pt") / "per_tensor.tflite"
    return convert_int8(keras_model([(6, 6, 3)], _per_tensor_model(), seed=9), path, [(6, 6, 3)], per_channel=False)


@pytest.mark.tf
def test_per_tensor_layers_get_one_row_and_stay_bit_exact(per_tensor_model) -> None:
    """Per-tensor weights: the depthwise layer one packed word, the fully connected layers one
    tq_rq row each (in .rq, none in either int8 kernel's stream).
    --kernels dsp8: --flash small would run the two small layers on the portable kernel."""
    import re

    from tinyq.workflows.verify import verify
    gen = _compile_path(per_tensor_model, kernels="dsp8")
    code = gen.files["model.c"]
    assert ".pk_one = 1" in code
    assert "tq_fully_connected_dsp8_s8(" in code and "tq_fully_connected_dsp8_direct_s8(" in code
    rq = [int(n) for n in re.findall(r"tq_rq_\d+\[(\d+)\]", code)]
    assert rq and set(rq) == {3}, rq
    assert len(re.findall(r"\.rq = \(const tq_rq \*\)tq_rq_\d+", code)) == code.count("tq_fully_connected_dsp8")
    assert gen.lowered.kernel_config["TQ_FC8_ROWS"] == 0
    rep = verify(per_tensor_model, samples=30, seed=4, sanitize=True, kernels="dsp8")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


def _compile_path(path, **kw):
    from tinyq.workflows.compile import compile
    return compile(path, **kw)


@pytest.mark.tf
@pytest.mark.slow
def test_per_tensor_layers_bit_exact_in_the_emulator(per_tensor_model, tmp_path) -> None:
    """The same on the emulated Cortex-M4: the pair kernel's one-row asm, the packed rows."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(per_tensor_model, "nrf52840", samples=8, seed=5, out=tmp_path, kernels="dsp8")
    assert rep["samples"] == 8 and rep["bit_exact"], rep.get("mismatches")


@pytest.mark.slow
def test_vww_constant_channels_bit_exact_in_the_emulator(tmp_path) -> None:
    """VWW's packed pointwise layers in asm: runs of constant channels between computed ones."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(mlperf_path("vww_96_int8"), "nrf52840", samples=3, seed=6, out=tmp_path,
                             flash="small")
    assert rep["samples"] == 3 and rep["bit_exact"], rep.get("mismatches")


def test_small_patches_only_a_model_that_does_not_fit() -> None:
    """--patch auto under --flash small: ResNet fits without patches, so it runs whole (the patch
    loop's tables and calls would cost about 2 KB of flash); under --flash auto it patches to save
    RAM."""
    small = _compile("pretrainedResnet_quant", flash="small")
    assert small.patches is not None and not small.patches.stages and "--flash small" in small.patches.reason
    auto = _compile("pretrainedResnet_quant", flash="auto")
    assert auto.patches is not None and auto.patches.stages and auto.arena_bytes < small.arena_bytes
