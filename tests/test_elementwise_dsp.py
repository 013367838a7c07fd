"""The int8 element-wise DSP kernels (firmware/kernels/add_dsp.c for ADD and SUB, mul_dsp.c,
minmax_dsp.c, squared_difference_dsp.c): every walk (flat, a repeating per-channel vector or
scalar on either side, the general broadcast), lengths and channel counts that are and are not
multiples of 4 (the asm steps and their C tails), fused activations (the clamped path), on the
host against TFLM (C arithmetic, with sanitizers), in patched execution, and on the emulated
Cortex-M4 where the asm runs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.ops._elementwise import WALK_FLAT, WALK_GENERAL, WALK_PERIOD1, WALK_PERIOD2, WALK_SPREAD1, WALK_SPREAD2, walk_of

DSP_CALLS = ("tq_add_dsp_s8", "tq_mul_dsp_s8", "tq_maximum_dsp_s8", "tq_minimum_dsp_s8",
             "tq_squared_difference_dsp_s8")


def test_walk_of_finds_the_repeating_operand() -> None:
    out = (1, 6, 7, 8)
    assert walk_of(out, out, out) == (WALK_FLAT, 0)
    assert walk_of(out, (1, 1, 1, 8), out) == (WALK_PERIOD2, 8)
    assert walk_of(out, (8,), out) == (WALK_PERIOD2, 8)
    assert walk_of((1, 1, 7, 8), out, out) == (WALK_PERIOD1, 56)
    assert walk_of(out, (1,), out) == (WALK_PERIOD2, 1)
    assert walk_of(out, (), out) == (WALK_PERIOD2, 1)
    assert walk_of(out, (1, 6, 7, 1), out) == (WALK_SPREAD2, 8)       # per pixel
    assert walk_of((1, 6, 1, 1), out, out) == (WALK_SPREAD1, 56)      # per row
    assert walk_of(out, (1, 6, 1, 8), out) == (WALK_GENERAL, 0)
    assert walk_of((1, 1, 7, 8), (1, 6, 1, 8), out) == (WALK_GENERAL, 0)
    assert walk_of((1, 6), (1, 1), (1, 6)) == (WALK_PERIOD2, 1)


def _body(xs):
    """Every walk of every op: a, b (6x7x8: asm steps, per-channel rows of 8), c (1x1x8), e, f
    (5x7x5 and 1x1x5: periods of 5, stretched to 20), s (6x7x1, a per-pixel operand), g (6x1x8:
    the general walk). Two model inputs, the other operands derived (the converter orders more
    inputs unpredictably)."""
    import tensorflow as tf
    L = tf.keras.layers
    lam = lambda fn: L.Lambda(fn)       # noqa: E731
    a, b = xs
    c = lam(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(b)
    e = lam(lambda t: t[:, :5, :, :5])(a)
    f = lam(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(e)
    s = lam(lambda t: tf.reduce_mean(t, axis=3, keepdims=True))(b)
    g = lam(lambda t: tf.reduce_mean(t, axis=2, keepdims=True))(b)
    outs = [
        L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Maximum()([a, b]), L.Minimum()([a, b]),
        lam(lambda t: tf.math.squared_difference(t[0], t[1] * 1.3))([a, b]),
        lam(lambda t: t[0] + t[1])([a, c]), lam(lambda t: t[1] - t[0])([a, c]), lam(lambda t: t[1] * t[0])([a, c]),
        lam(lambda t: tf.minimum(t[0], t[1]))([a, c]), lam(lambda t: tf.math.squared_difference(t[1], t[0]))([a, c]),
        lam(lambda t: t[0] + t[1])([e, f]), lam(lambda t: t[0] * t[1])([e, f]), lam(lambda t: t[0] - t[1])([e, f]),
        lam(lambda t: tf.maximum(t[1], t[0]))([e, f]), lam(lambda t: tf.math.squared_difference(t[0], t[1]))([e, f]),
        lam(lambda t: t * -0.7)(e), lam(lambda t: t + 0.3)(e), lam(lambda t: tf.math.squared_difference(t, 0.2))(e),
        L.ReLU()(L.Add()([a, b])), L.ReLU(6.0)(L.Multiply()([a, b * 4.0])), L.ReLU()(lam(lambda t: t[0] * t[1])([a, c])),
        lam(lambda t: t[0] * t[1])([a, s]), lam(lambda t: t[0] + t[1])([s, a]), lam(lambda t: tf.maximum(t[0], t[1]))([a, s]),
        lam(lambda t: tf.math.squared_difference(t[0], t[1]))([s, a]),
        lam(lambda t: t[0] * t[1])([a, g]), lam(lambda t: t[0] - t[1])([g, a]), lam(lambda t: tf.minimum(t[0], t[1]))([a, g]),
    ]
    return outs


SHAPES = [(6, 7, 8), (6, 7, 8)]


@pytest.fixture(scope="module")
def walks_model(tmp_path_factory) -> Path:
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    path = tmp_path_factory.mktemp("elemdsp") / "walks.tflite"
    return convert_int8(keras_model(SHAPES, _body, seed=4), path, SHAPES)


def _ops(path: Path) -> set[str]:
    from tinyq.passes.pipeline import load
    return {op.opcode for op in load(path).ops}


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "portable"])
def test_every_walk_bit_exact_on_the_host(walks_model: Path, kernels: str) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    assert {"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"} <= _ops(walks_model)
    calls = compile(walks_model, kernels=kernels).files["model.c"]
    for fn in DSP_CALLS:
        assert (fn in calls) == (kernels == "dsp"), fn
    if kernels == "dsp":
        for walk in (WALK_FLAT, WALK_PERIOD1, WALK_PERIOD2, WALK_GENERAL, WALK_SPREAD1, WALK_SPREAD2):
            assert f".walk = {walk}," in calls, walk
    rep = verify(walks_model, samples=40, seed=2, sanitize=kernels == "dsp", kernels=kernels)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_patched_elementwise_rows_bit_exact(tmp_path: Path) -> None:
    """A chain whose element-wise ops run band by band: each kernel walks only the rows the
    patch narrows shape.count to, the repeating operand staying whole."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model
    L = tf.keras.layers
    k = tf.constant([[[0.5, -1.2, 0.8, 1.5, -0.3, 0.9, 1.1, -0.6]]])

    def body(x):
        h = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        h = L.Lambda(lambda t: t * k)(h)                              # MUL, per channel (after the
        # activation: the converter would fold it into the convolution's weights)
        h = L.Lambda(lambda t: tf.maximum(t, k))(h)                   # MAXIMUM, per channel
        h = L.Lambda(lambda t: tf.math.squared_difference(t, k))(h)   # SQUARED_DIFFERENCE
        h = L.Lambda(lambda t: t - k)(h)                              # SUB
        h = L.MaxPooling2D(2)(h)
        return L.Conv2D(4, 3, padding="same")(h)
    path = convert_int8(keras_model([(24, 24, 3)], body, seed=7), tmp_path / "chain.tflite", [(24, 24, 3)],
                        samples=8)
    assert {"MUL", "MAXIMUM", "SQUARED_DIFFERENCE", "SUB"} <= _ops(path)
    gen = compile(path, kernels="dsp", patch="max")
    assert gen.patches is not None and gen.patches.stage is not None, gen.patches
    rep = verify(path, samples=20, seed=1, kernels="dsp", patch="max", sanitize=True)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("board", ["nrf52840", "mps3_an547"])
def test_every_walk_bit_exact_in_the_emulator(walks_model: Path, board: str, tmp_path: Path) -> None:
    """The same model on the emulated Cortex-M4 and M55 (whose Helium family falls back to these
    kernels), where the SIMD and asm steps run."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(walks_model, board, samples=10, seed=5, out=tmp_path)
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


def _tflm_rq(acc: np.ndarray, mult: int, shift: int) -> np.ndarray:
    """TFLM's MultiplyByQuantizedMultiplier on int64 arrays (no int32 wrap needed here)."""
    left, right = max(shift, 0), max(-shift, 0)
    ab = (acc << left) * mult
    v = ab + np.where(ab >= 0, 2**30, 1 - 2**30)
    x = np.where(v >= 0, v // 2**31, -((-v) // 2**31))
    mask = (1 << right) - 1
    return (x >> right) + ((x & mask) > (mask >> 1) + (x < 0))


def _kernel_rq(acc: np.ndarray, row: np.ndarray, fs: int) -> np.ndarray:
    """The kernels' form: SMMLAR on the 2^fs-scaled value, the rounding correction from the sign
    of the value itself (not of the rounded product), the shift."""
    mult, add, rs = (int(v) for v in row)
    t = add + (((acc << fs) * mult + 2**31) >> 32)
    return (t + np.where(acc < 0, -1, 0)) >> rs


@pytest.mark.parametrize("seed", range(6))
def test_kernel_requantization_equals_tflm_on_every_input_pair(seed: int) -> None:
    """ADD's and MUL's fast forms against TFLM's arithmetic on all 65536 int8 pairs, for random
    scales and zero points (a rounding correction read from the wrong sign would show at ties)."""
    from tinyq.ops._dsp_layout import requant_plan, residual_add_tables
    from tinyq.quant import quantize_multiplier, quantize_multiplier_smaller_than_one_exp

    rng = np.random.default_rng(seed)
    x, y = (v.ravel().astype(np.int64) for v in np.meshgrid(np.arange(-128, 128), np.arange(-128, 128)))
    s1, s2, so = (float(v) for v in 2.0 ** rng.uniform(-9, -4, 3))
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, 3))
    # MUL: the product of the offset inputs, its bound from the offsets
    mult, shift = quantize_multiplier(s1 * s2 / so)
    reach = lambda z: max(abs(-128 - z), abs(127 - z))   # noqa: E731
    rows, factor, exact = requant_plan(np.array([mult]), np.array([shift]), zo,
                                       np.array([reach(z1) * reach(z2)]), np.zeros(1, np.int64))
    p = (x - z1) * (y - z2)
    want = np.clip(_tflm_rq(p, mult, shift) + zo, -128, 127)
    assert exact == 0 and (np.clip(_kernel_rq(p, rows[0], int(factor[0]).bit_length() - 1), -128, 127) == want).all()
    # ADD (and SUB, negated second half): the tabulated halves, their sum
    tm = 2.0 * max(s1, s2)
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(s1 / tm)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(s2 / tm)
    mo, sho = quantize_multiplier_smaller_than_one_exp(tm / ((1 << 20) * so))
    f = {"in1_offset": -z1, "in2_offset": -z2, "in1_mult": m1, "in1_shift": sh1, "in2_mult": m2, "in2_shift": sh2,
         "left_shift": 20, "out_mult": mo, "out_shift": sho, "out_offset": zo}
    lut1, lut2, row, exact = residual_add_tables(f, conv_first=True)
    assert exact == 0
    h1 = np.array([_tflm_rq(np.array([(v - z1) << 20]), m1, sh1)[0] for v in range(-128, 128)])
    h2 = np.array([_tflm_rq(np.array([(v - z2) << 20]), m2, sh2)[0] for v in range(-128, 128)])
    for sign in (1, -1):
        want = np.clip(_tflm_rq(h1[x + 128] + sign * h2[y + 128], mo, sho) + zo, -128, 127)
        got = np.clip(_kernel_rq(lut1[x + 128].astype(np.int64) + sign * lut2[y + 128].astype(np.int64), row, 0),
                      -128, 127)
        assert (got == want).all(), sign
