"""The per-pixel depthwise DSP kernel's tap pairs (firmware/kernels/depthwise_conv_2d_dsp.c:
tq_dw3x3_run_pairs, tq_dw3x3_ptr_pairs, tq_dw_taps_run_pairs in tq_dw_run.h): weights laid out in
pairs of taps, which SMLAD takes at once, wherever every pixel of a multiplier-1 layer runs the asm
(3x3 without dilation, other filters of at most 64 taps that are not 3 wide; channels a multiple of
4; the fast requantization over all of int8). Their layout, which layers take them, bit-exactness on
the host (the C copies) and in the emulator (the asm), and their speed there."""
from __future__ import annotations

import numpy as np
import pytest


def test_pair_weights_layout() -> None:
    """Per block of 4 channels, per pair of taps, a word a channel (tap t low, t + 1 high); an odd
    last tap as depthwise_weights lays a tap (w[c] w[c+2] w[c+1] w[c+3]); 2 words a tap either way."""
    from tinyq.ops.depthwise_conv_2d import pair_weights
    rng = np.random.default_rng(3)
    for taps in (1, 2, 8, 9, 25, 49):
        w = rng.integers(-2000, 2000, (taps, 12))
        h = pair_weights(w).astype("<i4").view("<i2").reshape(3, taps * 4)
        for b in range(3):
            for p in range(taps // 2):
                for c in range(4):
                    assert h[b, 8 * p + 2 * c] == w[2 * p, 4 * b + c]
                    assert h[b, 8 * p + 2 * c + 1] == w[2 * p + 1, 4 * b + c]
            if taps % 2:
                assert list(h[b, -4:]) == list(w[-1, 4 * b + np.array([0, 2, 1, 3])])


def test_mult_pair_weights_layout() -> None:
    """The blocked kernel's [block, tap, 4] weights: per pair of taps, per output channel w[t] w[t+1]."""
    from tinyq.ops.depthwise_conv_2d import mult_pair_weights
    rng = np.random.default_rng(4)
    for taps in (1, 2, 9, 25):
        blocked = rng.integers(-2000, 2000, (3, taps, 4)).astype(np.int16)
        got = mult_pair_weights(blocked)
        assert got.shape == (3, 4 * taps)
        for b in range(3):
            for p in range(taps // 2):
                assert list(got[b, 8 * p:8 * p + 8]) == [int(blocked[b, 2 * p + i % 2, i // 2]) for i in range(8)]
            if taps % 2:
                assert list(got[b, -4:]) == list(blocked[b, -1])


def _model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):                                                            # 16x16x8
        h = L.DepthwiseConv2D(3, strides=2, padding="same")(x)              # 3x3 s2: bottom/right border
        h = L.DepthwiseConv2D(3, padding="same")(h)                         # 3x3 s1, border all round
        h = L.DepthwiseConv2D(7, padding="same")(h)                         # 49 taps, mostly border
        h = L.DepthwiseConv2D(3, padding="same")(L.Conv2D(6, 1)(h))         # 6 channels: no pairs
        h = L.DepthwiseConv2D(3, dilation_rate=2, padding="same")(L.Conv2D(8, 1)(h))   # dilated: no pairs
        h = L.DepthwiseConv2D(5, strides=2, padding="same")(L.Conv2D(12, 1)(h))   # 25 taps, 3 blocks
        h = L.DepthwiseConv2D((2, 4), padding="same")(h)                    # 8 taps: pairs only
        h = L.DepthwiseConv2D(1)(h)                                         # 1 tap: no pair
        h = L.DepthwiseConv2D((3, 2), strides=(1, 2), padding="same")(L.Conv2D(16, 1)(h))   # 6 taps
        return L.Dense(5)(L.Flatten()(h))
    return body


def _mult_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):                                                            # 12x12x8
        h = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same")(x)          # 16 channels
        h = L.DepthwiseConv2D(5, depth_multiplier=4, padding="same")(L.Conv2D(4, 1)(h))    # 25 taps, x4
        h = L.DepthwiseConv2D((2, 3), depth_multiplier=8, padding="same")(L.Conv2D(3, 1)(h))   # 6 taps, x8
        h = L.DepthwiseConv2D(7, strides=2, depth_multiplier=2, padding="same")(L.Conv2D(6, 1)(h))
        return L.Dense(5)(L.Flatten()(h))
    return body


@pytest.fixture(scope="module")
def mult_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dwpairs") / "mult.tflite"
    return convert_int8(keras_model([(12, 12, 8)], _mult_model(), seed=22), path, [(12, 12, 8)])


@pytest.fixture(scope="module")
def pairs_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dwpairs") / "pairs.tflite"
    return convert_int8(keras_model([(16, 16, 8)], _model(), seed=21), path, [(16, 16, 8)])


def _per_pixel(monkeypatch):
    """The ring kernel out of the way: every multiplier-1 layer on the per-pixel kernel."""
    import tinyq.ops.depthwise_conv_2d as dw
    monkeypatch.setattr(dw, "RING_SCRATCH_LIMIT", 0)


@pytest.mark.tf
def test_pairs_where_every_pixel_takes_the_asm(pairs_model, monkeypatch) -> None:
    _per_pixel(monkeypatch)
    from tinyq.workflows.compile import compile
    gen = compile(pairs_model, kernels="dsp")
    dsp = [lay for lay in gen.lowered.layers if lay.variant.name == "depthwise_conv_2d_dsp"]
    def key(lay):
        return lay.data.win.k_h, lay.data.win.k_w, lay.data.win.dil_h, lay.data.win.in_c

    pairs = {key(lay) for lay in dsp if ".pairs = 1" in "".join(lay.code.params)}
    others = {key(lay) for lay in dsp if ".pairs = 1" not in "".join(lay.code.params)}
    assert pairs == {(3, 3, 1, 8), (7, 7, 1, 8), (5, 5, 1, 12), (2, 4, 1, 12), (1, 1, 1, 12), (3, 2, 1, 16)}
    assert others == {(3, 3, 1, 6), (3, 3, 2, 8)}


@pytest.mark.tf
def test_mult_pairs_where_the_asm_takes_every_pixel(mult_model, monkeypatch) -> None:
    _per_pixel(monkeypatch)
    from tinyq.workflows.compile import compile
    gen = compile(mult_model, kernels="dsp")
    blocked = [lay for lay in gen.lowered.layers if lay.variant.name == "depthwise_conv_2d_dsp_mult_blocks"]
    assert sorted(lay.data.depth_mult for lay in blocked) == [2, 2, 4, 8]
    assert all(".pairs = 1" in "".join(lay.code.params) for lay in blocked)


@pytest.mark.tf
@pytest.mark.parametrize("which", ["pairs", "mult"])
def test_pairs_bit_exact_on_the_host(which, pairs_model, mult_model, monkeypatch) -> None:
    _per_pixel(monkeypatch)
    from tinyq.workflows.verify import verify
    rep = verify(pairs_model if which == "pairs" else mult_model, samples=40, seed=5, sanitize=True, kernels="dsp")
    assert rep.elements == 200 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("which", ["pairs", "mult"])
def test_pairs_bit_exact_in_the_emulator(which, pairs_model, mult_model, tmp_path, monkeypatch) -> None:
    _per_pixel(monkeypatch)
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(pairs_model if which == "pairs" else mult_model, "nrf52840", samples=8, seed=7,
                             out=tmp_path)
    assert rep["samples"] == 8 and rep["bit_exact"], rep.get("mismatches")


def _all_pairs_model():
    import tensorflow as tf
    L = tf.keras.layers

    def body(x):                                                            # 12x12x8
        h = L.DepthwiseConv2D(3, strides=2, padding="same")(x)
        h = L.DepthwiseConv2D(5, padding="same")(h)
        h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(h)
        h = L.DepthwiseConv2D(3, depth_multiplier=4, padding="valid")(L.Conv2D(4, 1)(h))
        return L.Dense(5)(L.Flatten()(h))
    return body


@pytest.fixture(scope="module")
def all_pairs_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dwpairs") / "all_pairs.tflite"
    return convert_int8(keras_model([(12, 12, 8)], _all_pairs_model(), seed=23), path, [(12, 12, 8)])


@pytest.mark.tf
def test_single_tap_paths_leave_a_build_of_pairs(all_pairs_model, pairs_model, monkeypatch) -> None:
    """Every layer of the per-pixel / blocked kernel in tap pairs: TQ_DW_DSP_SINGLE 0 and
    TQ_DW_MULT_SINGLE 0 (tinyq/ops/kernel_config.py) leave the single-tap paths out; a model with
    a layer outside the pairs keeps them; bit-exact either way."""
    _per_pixel(monkeypatch)
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    cfg = compile(all_pairs_model, kernels="dsp").lowered.kernel_config
    assert cfg.get("TQ_DW_DSP_SINGLE") == 0 and cfg.get("TQ_DW_MULT_SINGLE") == 0, cfg
    assert "TQ_DW_DSP_SINGLE" not in compile(pairs_model, kernels="dsp").lowered.kernel_config
    rep = verify(all_pairs_model, samples=40, seed=5, sanitize=True, kernels="dsp")
    assert rep.elements == 200 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_a_build_of_pairs_bit_exact_in_the_emulator(all_pairs_model, tmp_path, monkeypatch) -> None:
    _per_pixel(monkeypatch)
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(all_pairs_model, "nrf52840", samples=8, seed=7, out=tmp_path)
    assert rep["samples"] == 8 and rep["bit_exact"], rep.get("mismatches")


@pytest.mark.tf
@pytest.mark.slow
def test_pairs_speed_in_the_emulator(tmp_path, monkeypatch) -> None:
    """MACs per instruction of layer_sweep.py-like layers on the per-pixel kernels: 3x3 stride 2 over
    32 channels 0.300, 7x7 over 16 channels 0.278, the same with multiplier 2 0.323 before the pairs
    (and the cheaper border tables)."""
    pytest.importorskip("tensorflow")
    import tensorflow as tf

    from tinyq.workflows.bench import run_emulated_bench

    from tfmodels import convert_int8, keras_model
    _per_pixel(monkeypatch)
    L = tf.keras.layers
    floors = {"s2": ((16, 16, 32), lambda x: L.DepthwiseConv2D(3, strides=2, padding="same")(x), 0.315),
              "k7": ((12, 12, 16), lambda x: L.DepthwiseConv2D(7, padding="same")(x), 0.34),
              "k7x2": ((12, 12, 16), lambda x: L.DepthwiseConv2D(7, padding="same", depth_multiplier=2)(x), 0.42)}
    for name, (shape, body, floor) in floors.items():
        path = convert_int8(keras_model([shape], body, seed=2), tmp_path / f"{name}.tflite", [shape], samples=8)
        rep = run_emulated_bench(path, "mps2_an386", samples=2, seed=1, out=tmp_path / name)
        assert rep["bit_exact"], rep.get("mismatches")
        (layer,) = [x for x in rep["layers"] if x["macs"]]
        assert layer["macs"] / layer["instructions"] >= floor, (name, layer)


# The ring kernel's 1x5 and 1x9 rows in asm (depthwise_conv_2d_rows.c, tq_dwr1x5_s1 and
# tq_dwr1x9_s1): 9x1 over an image one pixel wide (run transposed) and 1x5 over a row, odd widths
# (the last output by the C), multiplier 2. Each model starts with a wide 1x1 convolution: its
# output, the largest activation, leaves room for the rings.
def _ring_1d_body(x):
    import tensorflow as tf
    L = tf.keras.layers
    h = L.Conv2D(32, 1)(L.Conv2D(128, 1)(x))                                 # 40x1x32 (layer_sweep.py's)
    h = L.DepthwiseConv2D((9, 1), padding="same")(h)
    h = L.Reshape((1, 40, 32))(L.Conv2D(32, 1)(h))
    h = L.DepthwiseConv2D((1, 9), padding="valid")(h)                        # 32 wide
    h = L.DepthwiseConv2D((1, 5), padding="valid", depth_multiplier=2)(L.Conv2D(8, 1)(h))   # 28 x 16
    return L.DepthwiseConv2D((1, 5), padding="same")(L.Cropping2D(((0, 0), (0, 1)))(h))      # 27 wide


@pytest.fixture(scope="module")
def ring_1d_model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("dwpairs") / "ring1d.tflite"
    return convert_int8(keras_model([(40, 1, 8)], _ring_1d_body, seed=24), path, [(40, 1, 8)])


@pytest.mark.tf
def test_ring_1d_rows_bit_exact_on_the_host(ring_1d_model) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    calls = compile(ring_1d_model, kernels="dsp", patch="off").files["model.c"]
    assert calls.count("tq_depthwise_conv_2d_rows_s8(") == 4
    rep = verify(ring_1d_model, samples=30, seed=4, sanitize=True, kernels="dsp", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_ring_1d_rows_in_the_emulator(ring_1d_model, tmp_path) -> None:
    """Bit-exact where the rows are asm, and the 9x1 layer's speed (0.29 MACs/instr in C)."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(ring_1d_model, "nrf52840", samples=6, seed=6, out=tmp_path, patch="off")
    assert rep["samples"] == 6 and rep["bit_exact"], rep.get("mismatches")
    dw = [x for x in rep["layers"] if "DEPTHWISE" in x["op"]]
    assert len(dw) == 4
    assert dw[0]["macs"] / dw[0]["instructions"] >= 0.34, dw[0]
