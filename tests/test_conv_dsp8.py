"""The "dsp8" CONV_2D kernel (firmware/kernels/conv_2d_dsp8.c: int8 weights in flash, 4 output
pixels per pass over each channel's weights), the dsp8 DEPTHWISE_CONV_2D (depthwise_conv_2d_dsp8.c,
int8 weights widened into scratch once per call) and the flash policy that chooses, per layer, between
it and the int16-widened "dsp" kernel (tinyq/ops/flash.py). Bit-exact with TFLM on the host (the
DSP instructions in C) and on the emulated Cortex-M4 (the asm loop)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import mlperf_path


# Every path of the kernel: a 3x3x3 first layer (rows padded to whole groups), 1x1 over 7 channels
# (gathered) and over 12 (read in place, an odd number of groups), 3x3 stride 2 over 8 (rows
# widened in place; 25 pixels: a last tile of 1), 5x1, a residual ADD fused into a convolution,
# dilation 2, output channels not a multiple of 4, RELU and RELU6 ranges.
def _conv_body(x):
    import tensorflow as tf
    L = tf.keras.layers
    h = L.Conv2D(7, 3, padding="same", activation="relu")(x)
    h = L.Conv2D(12, 1)(h)
    h = L.Conv2D(8, 1, activation="relu")(h)
    a = L.Conv2D(8, 3, strides=2, padding="same")(h)
    b = L.Conv2D(8, (5, 1), padding="same", activation="relu6")(a)
    h = L.Conv2D(16, 1)(L.Add()([a, b]))
    return L.Conv2D(6, 3, dilation_rate=2, padding="same")(h)


# A keyword spotter's first layer: one input channel, depth multiplier 8, run as a convolution.
def _dw_body(x):
    import tensorflow as tf
    return tf.keras.layers.DepthwiseConv2D((5, 3), strides=2, depth_multiplier=8, padding="same")(x)


# Depthwise, multiplier 1: 3x3 stride 2 over 20 channels (a last block of 4 short: the tail
# path; borders through 9 tap pointers, interior by strides), 5x5 dilated (any-filter path),
# 3x1 (3-tall rows), RELU6.
def _dwm1_body(x):
    import tensorflow as tf
    L = tf.keras.layers
    h = L.DepthwiseConv2D(3, strides=2, padding="same")(x)
    h = L.DepthwiseConv2D(5, dilation_rate=2, padding="same", activation="relu6")(h)
    return L.DepthwiseConv2D((3, 1), padding="same")(h)


# Two identical channels (a 1x1 convolution with equal filters) into weights that nearly cancel
# (1, -0.999): the output range is far below input scale x weight scale, the multipliers exceed 1,
# and the layer keeps TFLM's requantization (rq_exact).
def _exact_body(x):
    import numpy as np
    import tensorflow as tf
    L = tf.keras.layers
    same = L.Conv2D(2, 1, use_bias=False, kernel_initializer=tf.keras.initializers.Constant(1.0))(x)
    w = np.stack([np.ones(4), -0.999 * np.ones(4)])[None, None].astype(np.float32)   # [1, 1, 2, 4]
    return L.Conv2D(4, 1, kernel_initializer=tf.keras.initializers.Constant(w))(same)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("dsp8")
    return {"convs": convert_int8(keras_model([(9, 9, 3)], _conv_body, seed=21), out / "convs.tflite", [(9, 9, 3)]),
            "dw_mult": convert_int8(keras_model([(21, 10, 1)], _dw_body, seed=22), out / "dw.tflite", [(21, 10, 1)]),
            "dw": convert_int8(keras_model([(11, 11, 20)], _dwm1_body, seed=23), out / "dwm1.tflite", [(11, 11, 20)]),
            "exact": convert_int8(keras_model([(6, 6, 1)], _exact_body, seed=24), out / "exact.tflite", [(6, 6, 1)])}


@pytest.mark.tf
@pytest.mark.parametrize("name", ["convs", "dw_mult", "dw", "exact"])
def test_bit_exact_on_the_host(models, name) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    gen = compile(models[name], kernels="dsp8")
    calls = gen.files["model.c"]
    kernel = "tq_depthwise_conv_2d_dsp" if name == "dw" else "tq_conv_2d_dsp"
    assert f"{kernel}8_s8" in calls and f"{kernel}_s8" not in calls
    if name == "convs":
        assert any(o.opcode == "CONV_2D" and [e.opcode for e in o.epilogue] == ["ADD"] for o in gen.graph.ops)
    if name == "exact":
        assert ".rq_exact = 1" in calls
    rep = verify(models[name], samples=60, seed=3, sanitize=True, kernels="dsp8")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_bit_exact_in_the_emulator(models, tmp_path) -> None:
    """The asm inner loops, the tail tile, the fused ADD and the depthwise paths on the emulated
    Cortex-M4."""
    from tinyq.workflows.bench import run_emulated_bench
    for name, path in models.items():
        rep = run_emulated_bench(path, "nrf52840", samples=8, seed=5, out=tmp_path / name, kernels="dsp8")
        assert rep["samples"] == 8 and rep["bit_exact"], (name, rep.get("mismatches"))


def test_weights_stay_int8_in_the_taps_order() -> None:
    """Each channel's taps as the model has them (no reordering: inputs and weights are widened by
    the same SXTB16 pair); over 3 channels in the column staging's (kx, ky, ic) order, the 27 taps
    padded by one zero to whole groups (conv_2d_dsp_cols.h), over 5 each filter row of 3x3x5
    padded by one zero."""
    from tinyq.ir import Graph, Op, Tensor
    from tinyq.ops.conv_2d import dsp8_weights
    from tinyq.ops.registry import prepare
    rng = np.random.default_rng(0)

    def weights(in_c: int) -> tuple[np.ndarray, np.ndarray]:
        w = rng.integers(-127, 128, (5, 3, 3, in_c)).astype(np.int8)
        ts = [Tensor(0, "x", (1, 6, 6, in_c), "int8", scale=np.array([0.02]), zero_point=np.array([1])),
              Tensor(1, "w", (5, 3, 3, in_c), "int8", data=w, scale=np.full(5, 0.01),
                     zero_point=np.zeros(5, np.int64)),
              Tensor(2, "y", (1, 6, 6, 5), "int8", scale=np.array([0.05]), zero_point=np.array([0]))]
        op = Op(0, "CONV_2D", [0, 1], [2], {"padding": "SAME", "stride_w": 1, "stride_h": 1, "dilation_w_factor": 1,
                                           "dilation_h_factor": 1, "fused_activation_function": "NONE"})
        return w, dsp8_weights(prepare(op, Graph(ts, [op], [0], [2])))
    w, got = weights(3)
    assert got.dtype == np.int8 and got.shape == (5, 28)              # 27 taps + 1 spare: 7 groups
    for c in range(5):
        assert got[c].tolist() == w[c].transpose(1, 0, 2).reshape(-1).tolist() + [0]
    w, got = weights(5)
    assert got.dtype == np.int8 and got.shape == (5, 48)              # 3 rows of 15 taps + 1 spare: 12 groups
    for c in range(5):
        want = np.concatenate([np.append(r, [0]) for r in w[c].reshape(3, 15)])
        assert got[c].tolist() == want.tolist()


def test_depthwise_weights_per_block() -> None:
    """Per block of 4 channels and tap, the 4 weights in channel order (the kernel widens them into
    the dsp layout w[c] w[c+2] w[c+1] w[c+3]), zeros past the last channel."""
    from tinyq.ops.depthwise_conv_2d import dsp8_weights
    taps = np.arange(2 * 6).reshape(2, 6).astype(np.int8)          # 2 taps, 6 channels
    w = dsp8_weights(taps).reshape(2, 2, 4)                          # [block, tap, 4]
    assert w[0, 0].tolist() == [0, 1, 2, 3] and w[0, 1].tolist() == [6, 7, 8, 9]
    assert w[1, 0].tolist() == [4, 5, 0, 0] and w[1, 1].tolist() == [10, 11, 0, 0]


# ---- the flash policy ----

def _compile(name: str, **kw):
    from tinyq.workflows.compile import compile
    return compile(mlperf_path(name), **kw)


def test_small_fast_and_auto_choose_differently() -> None:
    """VWW: small keeps every convolution int8, fast widens all of them (no board), auto widens the
    layers that save the most per byte and stops at the budget."""
    small, fast, auto = (_compile("vww_96_int8", flash=f) for f in ("small", "fast", "auto"))
    assert not small.lowered.flash.widened and "tq_conv_2d_dsp_s8" not in small.files["model.c"]
    assert fast.lowered.flash.widened == {c.index for c in fast.lowered.flash.layers}
    assert "tq_conv_2d_dsp8_s8" not in fast.files["model.c"]
    plan = auto.lowered.flash
    assert 0 < len(plan.widened) < len(plan.layers)
    assert small.const_bytes < auto.const_bytes < fast.const_bytes
    assert plan.bytes <= plan.limit == mlperf_path("vww_96_int8").stat().st_size + 48 * 1024
    # greedy by instructions per byte: a kept layer that would have fitted saves less per byte
    room = plan.limit - plan.bytes
    worst_widened = min(c.per_byte for c in plan.layers if c.widened)
    assert all(c.per_byte <= worst_widened for c in plan.layers if not c.widened and c.bytes_added <= room)
    assert any("pass the limit" in c.reason for c in plan.layers if not c.widened)


def test_auto_stays_within_an_explicit_budget_and_the_board() -> None:
    from tinyq.boards import load_board
    base = _compile("ad01_int8", flash="small").lowered.flash.small_bytes
    for extra in (0, 120_000):    # (AD's layers that would gain from int16 weights take 81 KB each)
        plan = _compile("ad01_int8", flash="auto", flash_budget=base + extra).lowered.flash
        assert plan.bytes <= base + extra
        assert (len(plan.widened) == 0) == (extra == 0)
    board = load_board("nrf52840")
    tight = replace(board, flash_size=board.flash_reserved + base + 50_000)
    plan = _compile("ad01_int8", board=tight, flash="fast").lowered.flash
    assert plan.limit == tight.flash_budget and plan.bytes <= plan.limit
    assert 0 < len(plan.widened) < len(plan.layers)


def test_the_choice_is_explained() -> None:
    from tinyq.workflows.inspect import format_report, inspect_model
    info = inspect_model(mlperf_path("kws_ref_model"), board="nrf52840", flash="auto")
    text = format_report(info)
    assert "flash policy auto" in text and "CONV_2D 1x25x5x64" in text
    assert {x["index"] for x in info["flash"]["layers"]} == set(range(9)) | {11}   # conv, depthwise, FC


def test_bad_flash_options_are_refused_with_the_reason() -> None:
    from tinyq.errors import TinyqError
    with pytest.raises(TinyqError, match="--flash must be one of"):
        _compile("kws_ref_model", flash="tiny")
    with pytest.raises(TinyqError, match="--flash-budget is the auto policy's"):
        _compile("kws_ref_model", flash="small", flash_budget=100_000)
    with pytest.raises(TinyqError, match="positive number of bytes"):
        _compile("kws_ref_model", flash_budget=0)


def test_mlperf_auto_choice_bit_exact_on_the_host() -> None:
    """VWW's default build mixes both kernels (and int8 fully connected)."""
    from tinyq.workflows.verify import verify
    rep = verify(mlperf_path("vww_96_int8"), samples=10, seed=2)
    assert rep.mismatches == 0 and rep.ok, rep


def test_plan_command_prints_the_choice(capsys) -> None:
    from tinyq.cli import main
    path = str(mlperf_path("kws_ref_model"))
    assert main(["plan", path, "--flash-budget", "60K"]) == 0
    out = capsys.readouterr().out
    assert "flash policy auto" in out and "within 61,440 B (--flash-budget)" in out
    assert main(["plan", path, "--flash", "small"]) == 0
    assert "0 of 10 layers widened" in capsys.readouterr().out


def test_flash_policy_values_the_ring_kernel() -> None:
    """A 3x3 depthwise layer whose dsp variant is the ring kernel saves, by widening, the ring's
    gain over the per-pixel kernel besides the dsp8-to-dsp difference; one where the ring does
    not fit (no room in RAM: the op is the whole graph) only the latter."""
    from tinyq.ir import Graph, Op, Tensor
    from tinyq.ops.depthwise_conv_2d import ring_over_per_pixel
    from tinyq.ops.flash import COST, features, saved_instructions
    from tinyq.ops.registry import pick, prepare

    rng = np.random.default_rng(0)

    def layer(room: bool):
        ts = [Tensor(0, "x", (1, 12, 12, 64), "int8", scale=np.array([0.02]), zero_point=np.array([3])),
              Tensor(1, "w", (1, 3, 3, 64), "int8", data=rng.integers(-127, 128, (1, 3, 3, 64)).astype(np.int8),
                     scale=np.full(64, 0.01), zero_point=np.zeros(64, np.int64), quantized_dimension=3),
              Tensor(2, "b", (64,), "int32", data=np.arange(64).astype(np.int32)),
              Tensor(3, "y", (1, 12, 12, 64), "int8", scale=np.array([0.05]), zero_point=np.array([-2]))]
        if room:   # another activation of the model, larger than this op and its ring together
            ts.append(Tensor(4, "big", (1, 48, 48, 16), "int8", scale=np.array([0.1]), zero_point=np.array([0])))
        op = Op(0, "DEPTHWISE_CONV_2D", [0, 1, 2], [3],
                {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
                 "dilation_w_factor": 1, "dilation_h_factor": 1, "fused_activation_function": "NONE"})
        return prepare(op, Graph(ts, [op], [0], [3]))

    plain, ring = layer(False), layer(True)
    assert pick(plain, "dsp").name == "depthwise_conv_2d_dsp" and ring_over_per_pixel(plain) is None
    assert pick(ring, "dsp").name == "depthwise_conv_2d_dsp_rows"
    base = sum(c * x for c, x in zip(COST["DEPTHWISE_CONV_2D"], features(plain)[1]))
    gain = ring_over_per_pixel(ring)
    assert gain is not None and gain > 0.25 * ring.macs()          # the ring's estimate: ~1.4 per MAC fewer
    assert saved_instructions(plain) == int(base) and saved_instructions(ring) == int(base + gain)
