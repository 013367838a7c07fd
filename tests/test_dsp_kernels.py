"""The Cortex-M4 DSP kernels (firmware/kernels/*_dsp.c): their generation-time arithmetic, their
corner cases against TFLM on the host (where their instructions are written in C) and in the
emulator (where they are the real SMLAD/SXTB16/SMMLAR), and the portable kernels beside them."""
from __future__ import annotations

import numpy as np
import pytest

from tinyq.ops._dsp_layout import depthwise_weights, matmul_weights, requant_plan, residual_add_tables
from tinyq.quant import tflm_requantize


def _fast(row: np.ndarray, acc: int) -> int:
    """tq_rq_fast in Python: c + round(a * b / 2^32), sign fix, arithmetic shift."""
    mult, add, rs = (int(v) for v in row[:3])
    t = add + ((acc * mult + 2**31) >> 32)
    t = (t + 2**31) % 2**32 - 2**31
    return (t + (-1 if t - add < 0 else 0)) >> rs


def test_fast_requantization_equals_tflm_over_the_whole_bound() -> None:
    """For every channel the plan accepts, the fast form on the pre-scaled accumulator is TFLM's
    MultiplyByQuantizedMultiplier + zero point, at random points and at the bound's edges."""
    rng = np.random.default_rng(0)
    mult = rng.integers(2**30, 2**31 - 1, 64)
    shift = rng.integers(-12, 0, 64)       # right shifts; a left shift leaves rs = 0: exact path
    bound = rng.integers(1, 2**20, 64)
    rows, factor, exact = requant_plan(mult, shift, -5, bound, np.full(64, 127))
    assert exact == 0 and (factor >= 2).all()
    for c in range(64):
        accs = [int(a) for a in rng.integers(-bound[c], bound[c] + 1, 200)] + [int(bound[c]), -int(bound[c]), 0, -1]
        for acc in accs:
            assert _fast(rows[c], acc * int(factor[c])) == tflm_requantize(acc, int(mult[c]), int(shift[c])) - 5


def test_requantization_plan_falls_back_when_it_cannot_prove_exactness() -> None:
    mult, shift = np.array([1518500250, 1518500250]), np.array([-3, 0])   # right shift 0: no fast form
    rows, factor, exact = requant_plan(mult, shift, 3, np.array([1000, 1000]), np.array([100, 100]))
    assert exact == 1 and (factor == 1).all()
    assert rows[:, 0].tolist() == mult.tolist() and rows[:, 1].tolist() == shift.tolist()


def test_dead_channels_become_constants() -> None:
    """A channel with all-zero weights outputs requant(bias) whatever the input (VWW has 963 of
    them, with biases near 2^30 and shifts of -31 that defeat the fast form)."""
    mult, shift = np.array([1320764593]), np.array([-27])
    rows, _, exact = requant_plan(mult, shift, -128, np.array([1073741760]), np.array([0]), {0: 1073741760})
    assert exact == 0
    want = tflm_requantize(1073741760, 1320764593, -27) - 128
    assert all(_fast(rows[0], acc) == want for acc in (0, 12345, -2**30, 2**31 - 1))


def test_weight_layouts_pair_what_sxtb16_pairs() -> None:
    """Groups of 4 values v0 v1 v2 v3 are stored v0 v2 v1 v3, blocks of 4 channels interleaved."""
    w = np.arange(2 * 5, dtype=np.int64).reshape(2, 5)         # 2 channels, K = 5 -> 2 groups
    words, groups = matmul_weights(w)
    assert groups == 2
    h = words.view(np.int16).reshape(1, groups, 4, 4)            # [block, group, channel, 4]
    assert h[0, 0, 0].tolist() == [0, 2, 1, 3] and h[0, 0, 1].tolist() == [5, 7, 6, 8]
    assert h[0, 1, 0].tolist() == [4, 0, 0, 0] and h[0, :, 2:].max() == 0   # padding is zero
    d = depthwise_weights(np.arange(2 * 6, dtype=np.int64).reshape(2, 6))   # 2 taps, 6 channels
    hd = d.view(np.int16).reshape(2, 2, 4)                                    # [block, tap, 4]
    assert hd[0, 0].tolist() == [0, 2, 1, 3] and hd[0, 1].tolist() == [6, 8, 7, 9]
    assert hd[1, 0].tolist() == [4, 0, 5, 0]


def test_residual_add_tables_reproduce_tflm_add() -> None:
    f = {"in1_offset": 3, "in2_offset": -7, "in1_mult": 1518500250, "in1_shift": 0, "in2_mult": 1073741824,
         "in2_shift": -1, "out_mult": 1932735283, "out_shift": -19, "out_offset": -2, "left_shift": 20}
    conv_lut, res_lut, row, exact = residual_add_tables(f, conv_first=True)
    assert exact == 0
    rng = np.random.default_rng(1)
    for a, b in rng.integers(-128, 128, (300, 2)).tolist():
        s1 = tflm_requantize((a + 3) << 20, f["in1_mult"], 0)
        s2 = tflm_requantize((b - 7) << 20, f["in2_mult"], -1)
        want = tflm_requantize(s1 + s2, f["out_mult"], -19) - 2
        assert _fast(row, int(conv_lut[a + 128]) + int(res_lut[b + 128])) == want


# One model through every corner of the DSP kernels: an odd number of tap groups (3x3x3 = 27),
# output channels not a multiple of 4, depthwise over 7 channels with stride 2 and dilation 2,
# 1x1 convolutions read in place (8 channels: 2 groups; 16: 4 groups, the 4-group loop) and
# gathered (7), 3x3 rows widened in place (8 channels), a residual ADD fused into a convolution,
# an average pool over 12 channels (SXTAB16 sums) with clipped edge windows, fully connected
# layers over 108 and 10 inputs with 10 and 6 outputs.
def _corner_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):
        h = L.Conv2D(7, 3, padding="same", activation="relu")(x)
        h = L.DepthwiseConv2D(3, strides=2, padding="same")(h)
        h = L.DepthwiseConv2D(3, dilation_rate=2, padding="same", activation="relu6")(h)
        a = L.Conv2D(8, 1)(h)
        b = L.Conv2D(8, 3, padding="same")(a)
        h = L.Conv2D(16, 1, activation="relu")(L.Add()([a, b]))
        h = L.Conv2D(12, 1, activation="relu")(h)
        h = L.AveragePooling2D(2, padding="same")(h)        # 5x5 -> 3x3, edge windows of 2 and 1 taps
        h = L.Dense(10, activation="relu")(L.Flatten()(h))
        return L.Dense(6)(h)
    return body


@pytest.fixture(scope="module")
def corner_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dsp") / "corners.tflite"
    return convert_int8(keras_model([(9, 9, 3)], _corner_model(), seed=11), path, [(9, 9, 3)])


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "portable"])
def test_corner_model_bit_exact_on_the_host(corner_model, kernels) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    # (flash fast: every layer on its int16-weight kernel, the FC one included, which the auto
    # policy no longer picks where the int8 kernel is as fast)
    gen = compile(corner_model, kernels=kernels, flash="fast")
    calls = gen.files["model.c"]
    assert ("tq_conv_2d_dsp_s8" in calls) == (kernels == "dsp")
    assert ("tq_depthwise_conv_2d_dsp_s8" in calls) == (kernels == "dsp")
    assert ("tq_fully_connected_dsp_s8" in calls) == (kernels == "dsp")
    assert any(o.opcode == "CONV_2D" and [e.opcode for e in o.epilogue] == ["ADD"] for o in gen.graph.ops)
    rep = verify(corner_model, samples=100, seed=3, sanitize=True, kernels=kernels, flash="fast")
    assert rep.elements == 600 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_corner_model_bit_exact_in_the_emulator(corner_model, tmp_path) -> None:
    """The same model on the emulated Cortex-M4, where the asm paths run."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(corner_model, "nrf52840", samples=10, seed=5, out=tmp_path)
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


def _taps_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):
        h = L.DepthwiseConv2D(5, strides=2, padding="same", activation="relu")(x)      # 16x16 -> 8x8
        h = L.DepthwiseConv2D(7, padding="same")(h)
        h = L.DepthwiseConv2D((1, 5), padding="same", activation="relu6")(h)
        h = L.DepthwiseConv2D((9, 1), padding="same")(h)
        h = L.DepthwiseConv2D(5, dilation_rate=2, padding="same", activation="relu")(h)
        h = L.DepthwiseConv2D(3, padding="valid")(L.Conv2D(12, 1)(h))                  # 6x6x12
        h = L.DepthwiseConv2D(5, padding="valid", activation="relu")(L.Conv2D(6, 1)(h))  # 6 channels: C tail
        return L.Dense(5)(L.Flatten()(h))
    return body


def _mult_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):
        h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu")(x)           # 8 -> 16
        h = L.DepthwiseConv2D(5, strides=2, depth_multiplier=4, padding="same")(L.Conv2D(5, 1)(h))  # 5 -> 20
        h = L.DepthwiseConv2D((3, 1), depth_multiplier=8, padding="same", activation="relu6")(L.Conv2D(3, 1)(h))
        h = L.DepthwiseConv2D(3, depth_multiplier=3, padding="valid")(L.Conv2D(4, 1)(h))            # C path
        return L.Dense(5)(L.Flatten()(h))
    return body


@pytest.fixture(scope="module")
def taps_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dsp") / "taps.tflite"
    return convert_int8(keras_model([(16, 16, 8)], _taps_model(), seed=12), path, [(16, 16, 8)])


@pytest.mark.tf
def test_depthwise_taps_run_bit_exact_on_the_host(taps_model) -> None:
    """Depthwise filters other than 3x3 (5x5 stride 2, 7x7, 1x5, 9x1, dilated 5x5, valid 5x5 over
    6 channels) on the DSP kernel: tq_dw_taps_run's offsets tables (interior and border pixels),
    the C tail for 6 channels."""
    from tinyq.ops.depthwise_conv_2d import dsp_scratch
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    gen = compile(taps_model, kernels="dsp")
    # (the 1-D ones and the 3x3 may take the ring kernel instead)
    per_pixel = [lay for lay in gen.lowered.layers if lay.variant.name == "depthwise_conv_2d_dsp"]
    assert {(lay.data.win.k_h, lay.data.win.k_w, lay.data.win.in_c) for lay in per_pixel} >= {(5, 5, 8), (7, 7, 8),
                                                                                              (5, 5, 6)}
    assert all(dsp_scratch(lay.data) >= 8 * lay.data.win.k_h * lay.data.win.k_w for lay in per_pixel)
    rep = verify(taps_model, samples=50, seed=4, sanitize=True, kernels="dsp")
    assert rep.elements == 250 and rep.mismatches == 0, rep.to_dict()


@pytest.fixture(scope="module")
def mult_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dsp") / "mult.tflite"
    return convert_int8(keras_model([(10, 10, 8)], _mult_model(), seed=13), path, [(10, 10, 8)])


@pytest.mark.tf
def test_depthwise_multiplier_blocks_bit_exact_on_the_host(mult_model, monkeypatch) -> None:
    """Multipliers 2, 4, 8 (asm on the device) and 3 (C) with output channels a multiple of 4 take
    the blocked kernel, padding and all (the ring kernel, which takes some of them where its
    scratch fits, kept out)."""
    import tinyq.ops.depthwise_conv_2d as dw
    from tinyq.workflows.compile import compile
    monkeypatch.setattr(dw, "RING_SCRATCH_LIMIT", 0)
    from tinyq.workflows.verify import verify
    gen = compile(mult_model, kernels="dsp")
    mults = sorted(lay.data.depth_mult for lay in gen.lowered.layers
                   if lay.variant.name == "depthwise_conv_2d_dsp_mult_blocks")
    assert mults == [2, 3, 4, 8]
    rep = verify(mult_model, samples=50, seed=4, sanitize=True, kernels="dsp")
    assert rep.elements == 250 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("which", ["taps", "mult"])
def test_depthwise_taps_run_bit_exact_in_the_emulator(which, taps_model, mult_model, tmp_path, monkeypatch) -> None:
    """The same layers on the emulated Cortex-M4, where tq_dw_run.h's loops are asm."""
    import tinyq.ops.depthwise_conv_2d as dw
    from tinyq.workflows.bench import run_emulated_bench
    monkeypatch.setattr(dw, "RING_SCRATCH_LIMIT", 0)
    model = taps_model if which == "taps" else mult_model
    rep = run_emulated_bench(model, "nrf52840", samples=10, seed=6, out=tmp_path)
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


def test_board_picks_the_kernels() -> None:
    from tinyq.boards import load_board
    from tinyq.errors import TinyqError
    from tinyq.ops.lower import resolve_family
    assert resolve_family("auto", load_board("nrf52840").dsp) == "dsp"
    assert resolve_family("auto", load_board("rpipico").dsp) == "portable"
    assert resolve_family("dsp", load_board("rpipico").dsp) == "dsp"
    assert resolve_family("auto", None) == "dsp"      # the host check runs the DSP algorithm
    with pytest.raises(TinyqError, match="kernels must be"):
        resolve_family("fast", None)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vww_96_int8", "pretrainedResnet_quant"])
def test_mlperf_dsp_kernels_bit_exact_in_the_emulator(name, tmp_path) -> None:
    """The two MLPerf models the emulated deploy tests leave out (KWS and AD run there): 3x3x3
    rows padded to whole groups, 8-channel depthwise, residual ADDs fused into convolutions."""
    from tinyq.workflows.bench import run_emulated_bench

    from conftest import mlperf_path
    rep = run_emulated_bench(mlperf_path(name), "nrf52840", samples=10, seed=8, out=tmp_path)
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


def test_one_channel_depthwise_with_a_multiplier_runs_as_a_convolution() -> None:
    """DEPTHWISE_CONV_2D with 1 input channel and multiplier M is a CONV_2D with M filters: the
    DSP family lowers it with the ring kernel (int8: one plane, a ring of a few hundred bytes,
    within the RAM slack though the op is the whole graph), else (dilated, int16) with the
    convolution kernel, never the portable loop."""
    import numpy as np

    from tinyq.ir import Graph, Op, Tensor
    from tinyq.ops.registry import pick, prepare

    for dtype, bias_t, dil, want in (("int8", "int32", 1, "depthwise_conv_2d_dsp_rows"),
                                     ("int8", "int32", 2, "depthwise_conv_2d_dsp_as_conv"),
                                     ("int16", "int64", 1, "depthwise_conv_2d_dsp_as_conv_s16")):
        rng = np.random.default_rng(0)
        ts = [Tensor(0, "x", (1, 9, 9, 1), dtype, scale=np.array([0.02]), zero_point=np.array([0])),
              Tensor(1, "w", (1, 3, 3, 4), "int8", data=rng.integers(-127, 128, (1, 3, 3, 4)).astype(np.int8),
                     scale=np.full(4, 0.01), zero_point=np.zeros(4, np.int64), quantized_dimension=3),
              Tensor(2, "b", (4,), bias_t, data=np.arange(4).astype(bias_t)),
              Tensor(3, "y", (1, 9, 9, 4), dtype, scale=np.array([0.05]), zero_point=np.array([0]))]
        op = Op(0, "DEPTHWISE_CONV_2D", [0, 1, 2], [3],
                {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 4,
                 "dilation_w_factor": dil, "dilation_h_factor": dil, "fused_activation_function": "NONE"})
        g = Graph(ts, [op], [0], [3], name="dw1")
        d = prepare(op, g)
        assert pick(d, "dsp").name == want, d
        assert pick(d, "portable").name.startswith("depthwise_conv_2d_portable")


def test_int8_elementwise_activations_become_tables_on_the_dsp_family() -> None:
    """LEAKY_RELU / RELU / RELU6 (int8) are 256-entry tables built from their own arithmetic for
    the DSP family (bit-exactness: tests/test_ops_tf.py), the requantizing kernels elsewhere."""
    import numpy as np

    from tinyq.ir import Graph, Op, Tensor
    from tinyq.ops._unary import lut_table
    from tinyq.ops.leaky_relu import leaky_relu_s8
    from tinyq.ops.registry import pick, prepare

    ts = [Tensor(0, "x", (1, 64), "int8", scale=np.array([0.05]), zero_point=np.array([3])),
          Tensor(1, "y", (1, 64), "int8", scale=np.array([0.04]), zero_point=np.array([-7]))]
    for opcode, opts in (("LEAKY_RELU", {"alpha": 0.1}), ("RELU", {}), ("RELU6", {})):
        op = Op(0, opcode, [0], [1], opts)
        d = prepare(op, Graph(ts, [op], [0], [1]))
        assert pick(d, "dsp").name == f"{opcode.lower()}_lut"
        assert not pick(d, "portable").name.endswith("_lut")
    d = prepare(Op(0, "LEAKY_RELU", [0], [1], {"alpha": 0.1}), Graph(ts, [op], [0], [1]))
    t = lut_table(lambda x: leaky_relu_s8(d.params, x))
    # index (uint8)x: entry 0 is x = 0, entry 255 is x = -1, entry 128 is x = -128
    assert t[0] == leaky_relu_s8(d.params, 0) and t[255] == leaky_relu_s8(d.params, -1)
    assert t[128] == leaky_relu_s8(d.params, -128) and t[127] == leaky_relu_s8(d.params, 127)


# The ring kernel (depthwise_conv_2d_rows.c, variant dsp_rows): every path of it. A: 6 channels
# (a block of 4 and 2 one by one), odd widths over an odd padding (pairs across words), 3x3 stride
# 1 over 11 (quads, a pair, a single) and stride 2 with multiplier 2 (asm, odd last output), 5x5 (unrolled C), 4x3 strides (3, 2)
# VALID with multiplier 3 (generic C). B: 9x1 over an image one pixel wide (run transposed as
# 1x9), 1x5 VALID and 1x3 over a row. C: one input channel, 5x5 stride 2, multiplier 8.
# D: 16 channels, 3x3 stride 1 over 42 (quads and a pair) and stride 2 over 21 (asm). E: CONV_2D with one
# input channel, 3x3 stride 1 and 2, as depthwise layers of multiplier out_c (its 5x5 takes the
# convolution's column staging instead). Each model starts
# with a wide 1x1 convolution: its output, the largest activation, leaves room for the rings.
def _rows_bodies():
    import tensorflow as tf
    L = tf.keras.layers

    def wide(x, n, back):
        return L.Conv2D(back, 1)(L.Conv2D(n, 1)(x))

    def a(x):
        h = L.DepthwiseConv2D(3, padding="same")(wide(x, 64, 6))
        h = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", activation="relu6")(h)
        h = L.DepthwiseConv2D(5, padding="same")(h)
        return L.DepthwiseConv2D((4, 3), strides=(3, 2), depth_multiplier=3, padding="valid")(h)

    def b(x):
        h = L.DepthwiseConv2D((9, 1), padding="same", activation="relu")(wide(x, 128, 8))
        h = L.Reshape((1, 30, 8))(h)
        h = L.DepthwiseConv2D((1, 5), padding="valid")(h)
        return L.DepthwiseConv2D((1, 3), padding="same")(h)

    def c(x):
        return L.DepthwiseConv2D(5, strides=2, depth_multiplier=8, padding="same")(wide(x, 64, 1))

    def d(x):   # (wide enough that the stride-2 ring beats the per-pixel kernel)
        h = L.DepthwiseConv2D(3, padding="same")(wide(x, 96, 16))
        return L.DepthwiseConv2D(3, strides=2, padding="same")(h)
    def e(x):   # convolutions over one channel, run on the ring as depthwise layers
        h = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        h = L.Conv2D(6, 5, padding="same")(L.Conv2D(1, 1)(h))
        return L.Conv2D(5, 3, strides=2, padding="same")(L.Conv2D(1, 1)(h))
    return {"a": ((12, 11, 6), a, 4), "b": ((30, 1, 8), b, 3), "c": ((21, 10, 1), c, 1), "d": ((12, 42, 8), d, 2),
            "e": ((20, 17, 1), e, 2)}


@pytest.fixture(scope="module")
def rows_models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("rows")
    return {name: (convert_int8(keras_model([shape], body, seed=31 + i), out / f"{name}.tflite", [shape]), n)
            for i, (name, (shape, body, n)) in enumerate(_rows_bodies().items())}


@pytest.mark.tf
@pytest.mark.parametrize("name", ["a", "b", "c", "d", "e"])
def test_ring_kernel_bit_exact_on_the_host(rows_models, name) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    path, n_dw = rows_models[name]
    # (without patches: with them, compile keeps the per-pixel kernels where they make the
    # smaller arena, tinyq/workflows/compile.py _weigh_scratch)
    calls = compile(path, kernels="dsp", patch="off").files["model.c"]
    assert calls.count("tq_depthwise_conv_2d_rows_s8(") == n_dw      # every depthwise layer
    rep = verify(path, samples=40, seed=4, sanitize=True, kernels="dsp", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_ring_kernel_with_tflm_requantization(rows_models, monkeypatch) -> None:
    """Layers whose constants fail the fast requantization's proof keep TFLM's arithmetic (rows
    of multiplier and shift, unscaled weights): forced here on every layer of A and C."""
    import tinyq.ops.depthwise_conv_2d as dw
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    def exact(w_rows, bias, mult, shift, zp):
        rows = np.zeros((len(mult), 3), np.int32)
        rows[:, 0], rows[:, 1] = mult, shift
        return rows, np.ones(len(mult), np.int64), 1
    monkeypatch.setattr(dw, "requant_for", exact)
    for name in ("a", "c"):
        path, n_dw = rows_models[name]
        calls = compile(path, kernels="dsp", patch="off").files["model.c"]
        assert calls.count(".rq_exact = 1") == n_dw
        rep = verify(path, samples=20, seed=5, sanitize=True, kernels="dsp", patch="off")
        assert rep.elements > 0 and rep.mismatches == 0, (name, rep.to_dict())


@pytest.mark.tf
@pytest.mark.slow
def test_ring_kernel_bit_exact_in_the_emulator(rows_models, tmp_path) -> None:
    """The asm (3x3 rows, widening) on the emulated Cortex-M4."""
    from tinyq.workflows.bench import run_emulated_bench
    for name, (path, _) in rows_models.items():
        rep = run_emulated_bench(path, "nrf52840", samples=6, seed=6, out=tmp_path / name, patch="off")
        assert rep["samples"] == 6 and rep["bit_exact"], (name, rep.get("mismatches"))
        assert any(("DEPTHWISE" if name != "e" else "CONV_2D") in layer["op"] for layer in rep["layers"])


@pytest.mark.tf
@pytest.mark.slow
def test_ring_kernel_over_groups_of_channels(rows_models, monkeypatch, tmp_path) -> None:
    """The ring run over groups of 4 input channels in turn (multiplier 1; A's 6 channels as 4 + 2,
    D's 16 as 4 x 4), every group over the whole image: bit-exact on the host with sanitizers and
    in the emulator, with the arena overlap the layer declares."""
    import tinyq.ops.depthwise_conv_2d as dw
    from tinyq.workflows.bench import run_emulated_bench
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    real = dw.ring_group
    monkeypatch.setattr(dw, "ring_group", lambda d: min(real(d), 4) if d.depth_mult == 1 else real(d))
    for name in ("a", "d"):
        path, n_dw = rows_models[name]
        code = compile(path, kernels="dsp", patch="off").files["model.c"]
        assert code.count("tq_depthwise_conv_2d_rows_s8(") == n_dw and ".group = 4" in code
        rep = verify(path, samples=20, seed=8, sanitize=True, kernels="dsp", patch="off")
        assert rep.elements > 0 and rep.mismatches == 0, (name, rep.to_dict())
        em = run_emulated_bench(path, "nrf52840", samples=4, seed=9, out=tmp_path / name, patch="off")
        assert em["bit_exact"], (name, em.get("mismatches"))


def _staged_rings(gen) -> list[bool]:
    """Per grouped ring layer of a compiled model: whether the plan puts its output over its input
    but not a whole number of pixels from it (the kernel then makes every row in scratch)."""
    import re
    out = []
    for layer in gen.lowered.layers:
        group = re.search(r"\.group = (\d+)", "".join(layer.code.params))
        i, o = layer.op.inputs[0], layer.op.outputs[0]
        c = gen.graph.t(i).shape[-1]
        if layer.variant.name == "depthwise_conv_2d_dsp_rows" and group and int(group.group(1)) < c:
            gap = gen.tensor_offset(o) - gen.tensor_offset(i)
            out.append(gap < gen.graph.t(i).nbytes and -gap < gen.graph.t(o).nbytes and gap % c != 0)
    return out


@pytest.mark.tf
@pytest.mark.slow
def test_ring_groups_where_the_arena_overlaps_unaligned(tmp_path, monkeypatch) -> None:
    """Groups of channels over an output the arena placed a fraction of a pixel from its input
    (a MobileNetV3-like block: 5x5 stride 2 over 72 channels, then 3x3 stride 1): each output row
    made group by group in scratch, then copied; bit-exact on the host and in the emulator."""
    import tensorflow as tf

    import tinyq.ops.depthwise_conv_2d as dw
    from tinyq.workflows.bench import run_emulated_bench
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model
    L = tf.keras.layers

    def body(x):
        x = L.Conv2D(24, 3, strides=2, padding="same")(x)
        e = L.DepthwiseConv2D(5, strides=2, padding="same")(L.Conv2D(72, 1)(x))
        e = L.DepthwiseConv2D(3, padding="same")(L.Conv2D(40, 1)(e))
        return L.Conv2D(8, 1)(e)
    path = convert_int8(keras_model([(48, 48, 3)], body, seed=3), tmp_path / "m.tflite", [(48, 48, 3)])
    real = dw.ring_group
    monkeypatch.setattr(dw, "ring_group", lambda d: min(real(d), 4) if d.depth_mult == 1 else real(d))
    monkeypatch.setattr(dw, "_ring3x3_gain", lambda d: 1.0)
    gen = compile(path, kernels="dsp", patch="off")
    staged = _staged_rings(gen)
    assert any(staged), f"no grouped ring over an unaligned overlap in this plan ({staged}): change the model"
    rep = verify(path, samples=10, seed=2, sanitize=True, kernels="dsp", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
    em = run_emulated_bench(path, "nrf52840", samples=3, seed=3, out=tmp_path / "em", patch="off")
    assert em["bit_exact"], em.get("mismatches")


def test_ring_weight_layouts() -> None:
    """Per output channel and filter row, pairs (w[2j], w[2j+1]), an odd last weight with 0; a
    kh x 1 filter over a one-pixel-wide image as one row; 3x3 as the asm's 11-word blocks."""
    from tinyq.ops._window import Window
    from tinyq.ops.depthwise_conv_2d import ring_blocks3x3, ring_weights
    w = np.arange(1, 3 * 3 * 2 + 1, dtype=np.int64).reshape(3, 3, 2)          # [kh, kw, C]
    win = Window(1, 5, 5, 2, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1)
    h = ring_weights(w, win).view(np.int16).reshape(2, 3, 4)                   # [C, row, 4]
    assert h[0, 0].tolist() == [w[0, 0, 0], w[0, 1, 0], w[0, 2, 0], 0] and h[1, 2, 2] == w[2, 2, 1]
    # per row (w0, w1), (w1, w2)
    b1 = ring_blocks3x3(ring_weights(w, win), np.array([7, 8]), np.arange(6).reshape(2, 3)).reshape(2, 11)[1]
    assert b1[:5].tolist() == [8, 8, 3, 4, 5]
    hb = b1[5:].astype(np.int32).view(np.int16).reshape(3, 4)
    assert hb.tolist() == [[w[r, 0, 1], w[r, 1, 1], w[r, 1, 1], w[r, 2, 1]] for r in range(3)]
    tall = Window(1, 9, 1, 2, 9, 1, 2, 9, 1, 1, 1, 1, 1, 4, 0)               # 9x1 over [9, 1]
    t = np.arange(1, 9 * 2 + 1, dtype=np.int64).reshape(9, 1, 2)
    ht = ring_weights(t, tall).view(np.int16).reshape(2, 1, 10)
    assert ht[0, 0].tolist() == t[:, 0, 0].tolist() + [0]


def test_compile_weighs_the_ring_scratch_against_the_arena(monkeypatch) -> None:
    """VWW's depthwise layers could run the ring of all channels only with ~25% more arena: compile
    plans both and keeps the smaller one within RAM_FOR_SPEED (15%); with a looser bound, the
    ring. Rings over groups of channels (the default) cost little RAM: compile keeps them all."""
    import tinyq.ops.depthwise_conv_2d as dw
    import tinyq.workflows.compile as wc
    from tinyq.ops.lower import lower
    from tinyq.ops.registry import ROOMY
    from tinyq.passes.pipeline import load

    from conftest import mlperf_path

    path = mlperf_path("vww_96_int8")
    def rings(layers) -> int:
        return sum(layer.variant.name == "depthwise_conv_2d_dsp_rows" for layer in layers)

    grouped = wc.compile(path)
    assert rings(grouped.lowered.layers) == rings(lower(load(path), "dsp", None, room=ROOMY).layers) > 0
    assert all(layer.variant.scratch(layer.data) <= dw.RING_GROUP_BYTES for layer in grouped.lowered.layers
               if layer.variant.name == "depthwise_conv_2d_dsp_rows")
    monkeypatch.setattr(dw, "RING_GROUP_BYTES", ROOMY)        # every ring holds all its channels
    roomy = lower(load(path), "dsp", None, room=ROOMY)
    # (without patches: with them the roomy plan takes a patch stage, which the weighing never
    # keeps, and the test would not see the bound)
    tight = wc.compile(path, patch="off")
    assert rings(roomy.layers) > rings(tight.lowered.layers)
    assert "depthwise_conv_2d_dsp" in {layer.variant.name for layer in tight.lowered.layers}
    monkeypatch.setattr(wc, "RAM_FOR_SPEED", 1.0)
    loose = wc.compile(path, patch="off")
    assert rings(loose.lowered.layers) == rings(roomy.layers)
    assert grouped.arena_bytes < loose.arena_bytes and tight.arena_bytes < loose.arena_bytes <= 2 * tight.arena_bytes


# The DSP CONV_2D's runs and tails (conv_2d_dsp.c fast_run, issue 14): first layers over 1-3
# channels (rows padded to whole groups), 3x3 and 5x5, strides 1 and 2, same and valid padding,
# each output row's unpadded pixels in one asm run; out_c 1, 2, 3, 5, 6 through the staged
# padded last block, 1x1 in place (out_c 5 over 70 pixels: runs of 32) and not; fused ADDs over
# runs (staged), with and without a tail; the border pixels one by one around the runs.
def _tail_bodies():
    import tensorflow as tf
    L = tf.keras.layers

    def a(x):   # 3 channels
        h = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
        h = L.Conv2D(3, 1)(h)
        h = L.Conv2D(6, 3, padding="valid")(h)
        return L.Conv2D(5, 5, strides=2, padding="same")(h)

    def b(x):   # 2 channels
        h = L.Conv2D(5, 5, padding="same")(x)
        h = L.Conv2D(2, 3, strides=2, padding="valid")(h)
        return L.Conv2D(1, 3, padding="same")(h)

    def c(x):   # 3 channels, 5x5 valid stride 2: the last window reaches the input's end
        h = L.Conv2D(16, 5, strides=2, padding="valid")(x)
        h = L.Conv2D(2, 1)(h)
        return L.Conv2D(6, 3, padding="same", activation="relu6")(h)

    def d(x):   # 1 channel, then fused ADDs over runs: 8 channels, 6 (a tail)
        h = L.Conv2D(4, 3, strides=2, padding="same")(x)
        a = L.Conv2D(8, 1)(h)
        h = L.Add()([a, L.Conv2D(8, 3, padding="same")(a)])
        return L.Add()([L.Conv2D(6, 1)(h), L.Conv2D(6, 3, padding="same")(h)])

    def e(x):   # 1x1 in place, more pixels than a run stages; an ADD fused into one
        h = L.Conv2D(5, 1)(x)
        g = L.Conv2D(4, 3, strides=(1, 2), padding="same")(h)
        s = L.Add()([L.Conv2D(6, 1)(g), L.Conv2D(6, 1, activation="relu")(g)])
        return L.Conv2D(1, 1)(s)
    return {"a": ((13, 11, 3), a), "b": ((12, 12, 2), b), "c": ((16, 9, 3), c), "d": ((10, 10, 1), d),
            "e": ((3, 70, 4), e)}


@pytest.fixture(scope="module")
def tail_models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("tails")
    return {name: convert_int8(keras_model([shape], body, seed=41 + i), out / f"{name}.tflite", [shape])
            for i, (name, (shape, body)) in enumerate(_tail_bodies().items())}


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "portable"])
@pytest.mark.parametrize("name", ["a", "b", "c", "d", "e"])
def test_conv_runs_and_tails_bit_exact_on_the_host(tail_models, name, kernels) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    calls = compile(tail_models[name], kernels=kernels, flash="fast", patch="off").files["model.c"]
    assert ("tq_conv_2d_dsp_s8(" in calls) == (kernels == "dsp")
    rep = verify(tail_models[name], samples=20, seed=7, sanitize=True, kernels=kernels, flash="fast", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_conv_tails_with_tflm_requantization(tail_models, monkeypatch) -> None:
    """Tails whose layers keep TFLM's arithmetic (forced on every layer): the padded last block's
    rows are requantized and discarded, the others exact."""
    import tinyq.ops.conv_2d as conv
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    def exact(w_rows, bias, mult, shift, zp):
        rows = np.zeros((len(mult), 3), np.int32)
        rows[:, 0], rows[:, 1] = mult, shift
        return rows, np.ones(len(mult), np.int64), 1
    monkeypatch.setattr(conv, "requant_for", exact)
    for name in ("a", "e"):
        calls = compile(tail_models[name], kernels="dsp", flash="fast", patch="off").files["model.c"]
        assert ".rq_exact = 1" in calls and ".rq_exact = 0" not in calls
        rep = verify(tail_models[name], samples=10, seed=8, sanitize=True, kernels="dsp", flash="fast", patch="off")
        assert rep.elements > 0 and rep.mismatches == 0, (name, rep.to_dict())


def test_tail_scratch_sizes() -> None:
    """The staged outputs: 4 bytes a block a pixel, a run of at most 256 bytes in place."""
    from tinyq.ops._window import Window
    from tinyq.ops.conv_2d import ConvData, dsp_scratch

    def data(k: int, in_c: int, out_c: int, out_w: int, add: bool = False) -> ConvData:
        win = Window(1, 8, out_w, in_c, 8, out_w, out_c, k, k, 1, 1, 1, 1, 0, 0)
        return ConvData(0, "CONV_2D", 0, 1, 2, win, np.zeros((out_c, k, k, in_c), np.int8), 0, 0,
                        *(np.zeros(out_c, np.int32) for _ in range(4)), -128, 127,
                        add=object() if add else None)    # type: ignore[arg-type]
    assert dsp_scratch(data(1, 8, 2, 64)) == 8 * 2 + 64 * 4          # a run of 64 pixels, 4 bytes each
    assert dsp_scratch(data(1, 32, 18, 12)) == 8 * 8 + 12 * 20       # 256 // 20 = 12 pixels
    assert dsp_scratch(data(1, 32, 18, 40)) == 8 * 8 + 12 * 20
    assert dsp_scratch(data(1, 8, 8, 64)) == 8 * 2                   # no tail: straight to the output
    # (3x3 over 1-4 channels stages its input by columns: tests/test_conv_cols.py; over 5, rows)
    assert dsp_scratch(data(3, 5, 8, 64)) == 12 * 12                 # rows of 15 padded to 16: 12 groups
    assert dsp_scratch(data(3, 5, 6, 4)) == 12 * 12 + 8              # the gather stage, then a pixel's
    assert dsp_scratch(data(3, 5, 6, 64)) == 8 * 12 + 32 * 8         # a run of 32 over the gather stage
    assert dsp_scratch(data(1, 8, 2, 64, add=True)) == 8 * 2 + 64 * 4   # a run, for the ADD
    assert dsp_scratch(data(3, 5, 8, 64, add=True)) == 8 * 12 + 32 * 8
    cols = 4 * -(-(66 * 9 + 4) // 4)                                   # 66 staged columns of 9 bytes
    assert dsp_scratch(data(3, 3, 8, 64)) == cols + 8 * 7             # 27 taps in 7 groups, no gather stage
    assert dsp_scratch(data(3, 3, 6, 64, add=True)) == cols + 8 * 7 + 32 * 8


@pytest.mark.tf
@pytest.mark.slow
def test_conv_runs_and_tails_bit_exact_in_the_emulator(tail_models, tmp_path) -> None:
    """The asm runs (tq_mm_rows_full, tq_mm_row_full into the stage) on the emulated Cortex-M4."""
    from tinyq.workflows.bench import run_emulated_bench
    for name, path in tail_models.items():
        rep = run_emulated_bench(path, "nrf52840", samples=6, seed=9, out=tmp_path / name, patch="off", flash="fast")
        assert rep["samples"] == 6 and rep["bit_exact"], (name, rep.get("mismatches"))
