"""The "dsp8" FULLY_CONNECTED kernel (firmware/kernels/fully_connected_dsp8.c): int8 weights in
flash, two channels a word, bit-exact with TFLM on the host (portable C for the DSP instructions)
and on the emulated Cortex-M4 (the asm loop and the real SXTB16/SMLAD/SMMLAR); and the hybrid
kernels' dsp8 layout (dsp8_weights, tq_dot8.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import mlperf_path

MODELS = Path(__file__).resolve().parent / "models"
# in_depth % 4 tails (10, 12), out_depth % 4 leftovers (7, 5), batches, no bias, FC after conv
COMMITTED = ["fc_in10_out7", "fc_in64_out16", "fc_in64_out16_nobias", "fc_batch3_in12_out5",
             "mixed_conv_dw_pool_fc_softmax"]


def _halves(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The signed low and high halfwords of int32 words."""
    u = words.astype(np.int64) & 0xFFFFFFFF
    lo, hi = u & 0xFFFF, u >> 16
    return lo - ((lo >> 15) << 16), hi - ((hi >> 15) << 16)


def _sxtb16_ror8(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bytes 1 and 3 of int32 words, sign-extended."""
    b = words.astype("<i4").view(np.int8).reshape(-1, 4).astype(np.int64)
    return b[:, 1], b[:, 3]


@pytest.mark.parametrize("shape", [(7, 13), (2, 35), (1, 9), (6, 4), (3, 1), (4, 45)])
def test_pair_layout_gives_the_dot_products_by_the_headers_arithmetic(shape) -> None:
    """fully_connected_dsp8.h's sums, worked out on dsp8_pair_weights' words: the scratch pairs
    (x[4g], x[4g+2]), (x[4g+1], x[4g+3]); u by SMLAD on the raw word, v by SMLAD on its SXTB16 ROR
    8; acc[B] = v, acc[A] = u - 256 v - 128 S; an odd last row widened by SXTB16 / SXTB16 ROR 8."""
    from tinyq.ops.fully_connected import dsp8_pair_weights
    rng = np.random.default_rng(sum(shape))
    out_depth, in_depth = shape
    w = rng.integers(-128, 128, shape).astype(np.int8)
    w[0, 0], w[-1, -1] = -128, 127
    x = rng.integers(-128, 128, in_depth)
    groups = 2 * -(-in_depth // 8)
    xp = np.zeros(4 * groups, np.int64)
    xp[:in_depth] = x
    g = xp.reshape(groups, 4)
    scratch = np.stack([g[:, [0, 2]], g[:, [1, 3]]], axis=1).reshape(-1, 2)      # [words, 2 halfwords]
    words, last = dsp8_pair_weights(w)
    assert words.dtype == np.int32 and words.shape == (out_depth // 2, 2 * groups)
    got = []
    for row in words:
        lo, hi = _halves(row)
        u = int((scratch[:, 0] * lo + scratch[:, 1] * hi).sum())
        b1, b3 = _sxtb16_ror8(row)
        v = int((scratch[:, 0] * b1 + scratch[:, 1] * b3).sum())
        got += [u - 256 * v - 128 * int(x.sum()), v]
    if out_depth % 2:
        assert last is not None and last.dtype == np.int32 and len(last) == groups
        b = last.astype("<i4").view(np.int8).reshape(-1, 4).astype(np.int64)
        got.append(int((g[:, 0] * b[:, 0] + g[:, 2] * b[:, 2] + g[:, 1] * b[:, 1] + g[:, 3] * b[:, 3]).sum()))
    else:
        assert last is None
    assert got == (w.astype(np.int64) @ x).tolist()


def test_weights_are_a_permutation_in_the_order_the_kernel_reads() -> None:
    from tinyq.ops.fully_connected import dsp8_weights
    w = np.arange(7 * 10).reshape(7, 10).astype(np.int8)   # out_depth 7, in_depth 10
    got = dsp8_weights(w)
    assert got.dtype == np.int8 and sorted(got.tolist()) == sorted(w.reshape(-1).tolist())
    block = w[:4]
    want = [block[c, 4 * g:4 * g + 4] for g in range(2) for c in range(4)]   # groups, channel-major
    want += [block[c, 8:] for c in range(4)]                                  # the tails
    want += [w[4], w[5], w[6]]                                                # leftover rows
    assert got.tolist() == np.concatenate(want).tolist()


@pytest.mark.parametrize("shape", [(2, 256), (3, 10), (1, 1)])
def test_fewer_than_four_output_channels_are_all_leftover_rows(shape) -> None:
    """The hybrid layout: no whole block of 4 channels, the rows stay as they are."""
    from tinyq.ops.fully_connected import dsp8_weights
    w = (np.arange(shape[0] * shape[1]) % 251 - 125).reshape(shape).astype(np.int8)
    assert dsp8_weights(w).tolist() == w.reshape(-1).tolist()


@pytest.fixture
def pair_kernel(monkeypatch):
    """The widened-row (pair) kernel on every layer: these single-layer models read their
    largest activation, where the RAM rule would pick the in-place kernel (AD's test below runs
    both)."""
    import tinyq.workflows.compile as wc
    monkeypatch.setattr(wc, "RAM_FOR_SPEED", 1000.0)

@pytest.mark.parametrize("name", COMMITTED)
def test_bit_exact_on_the_host(name, pair_kernel) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    path = MODELS / f"{name}.tflite"
    assert "tq_fully_connected_dsp8_s8" in compile(path, kernels="dsp8").files["model.c"]
    rep = verify(path, samples=50, seed=1, kernels="dsp8")
    assert rep.mismatches == 0 and rep.ok, rep


def test_mlperf_ad01_bit_exact_on_the_host() -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    calls = compile(mlperf_path("ad01_int8"), kernels="dsp8").files["model.c"]
    # the first and last layers read or write the largest activation: in place; the rest the pair
    assert calls.count("tq_fully_connected_dsp8_direct_s8(") == 2 and calls.count("tq_fully_connected_dsp8_s8(") == 8
    rep = verify(mlperf_path("ad01_int8"), samples=50, seed=1, kernels="dsp8")
    assert rep.mismatches == 0 and rep.ok, rep


def test_mlperf_ad01_keeps_the_weights_int8() -> None:
    """The dsp8 build stores each weight in one byte: about half the dsp build's constants (the
    rest is per-channel bias and requantization rows), with its own kernel and not the dsp one."""
    from tinyq.workflows.compile import compile
    path = mlperf_path("ad01_int8")
    d8, d16 = compile(path, kernels="dsp8"), compile(path, kernels="dsp", flash="fast")
    assert 0.45 < d8.const_bytes / d16.const_bytes < 0.56, (d8.const_bytes, d16.const_bytes)
    assert "tq_fully_connected_dsp8_s8" in d8.files["model.c"]
    assert "tq_fully_connected_dsp_s8" not in d8.files["model.c"]
    sources = [Path(str(s)).name for s in d8.sources]
    assert "fully_connected_dsp8.c" in sources and "fully_connected_dsp.c" not in sources


def _fc_chain(x):
    """in_depth 35, 7, 6, 9, 24, 5: the asm's entries (steps of 8 inputs: 5, 1, 2 and 3; in place
    4, 0, 1 and 3), zero-padded tails; out_depth 7, 6, 9, 24, 5, 1 (leftover pairs and channels,
    only a leftover)."""
    import tensorflow as tf
    L = tf.keras.layers
    x = L.Dense(7)(x)
    x = L.Dense(6, activation="relu6")(x)
    x = L.Dense(9)(x)
    x = L.Dense(24)(x)
    x = L.Dense(5)(x)
    return L.Dense(1)(x)


def _fc_batches(x):
    """3 rows of 13 inputs (batches, zero-padded to 16) into 5 outputs; 45 into 16 (words 24: 3 loop
    passes) after 15 outputs; 16 into 48, 48 into 4 (no padding)."""
    import tensorflow as tf
    L = tf.keras.layers
    y = L.Dense(5)(x)
    z = L.Dense(16)(L.Reshape((45,))(L.Dense(15)(x)))
    return [y, z, L.Dense(4)(L.Dense(48)(z))]


def _fc_exact(x):
    """Outputs that nearly cancel: a multiplier >= 0.5 fails the fast form's proof (rq_exact, the
    kernel's general path after the pair asm), 2 inputs (one pair of scratch words), 5 outputs."""
    import tensorflow as tf
    L = tf.keras.layers
    same = L.Dense(2, use_bias=False, kernel_initializer=tf.keras.initializers.Constant(1.0))(x)
    w = np.stack([np.ones(5), -0.999 * np.ones(5)]).astype(np.float32)     # [2, 5]
    return L.Dense(5, kernel_initializer=tf.keras.initializers.Constant(w))(same)


@pytest.fixture(scope="module")
def tf_models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("fc_dsp8")
    return {"chain": convert_int8(keras_model([(35,)], _fc_chain, seed=31), out / "chain.tflite", [(35,)]),
            "batches": convert_int8(keras_model([(3, 13)], _fc_batches, seed=32), out / "batches.tflite", [(3, 13)]),
            "exact": convert_int8(keras_model([(12,)], _fc_exact, seed=33), out / "exact.tflite", [(12,)])}


@pytest.mark.tf
@pytest.mark.parametrize("name", ["chain", "batches", "exact"])
@pytest.mark.parametrize("kernel", ["pair_kernel", "direct_kernel"])
def test_odd_sizes_bit_exact_on_the_host(tf_models, name, kernel, request) -> None:
    """Rows not a multiple of 8 long (the C tail after the asm steps), shorter than 8 (C alone),
    leftover pairs and channels, batches, TFLM's requantization; with the widened row in scratch,
    or read in place by every layer."""
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    request.getfixturevalue(kernel)
    gen = compile(tf_models[name], kernels="dsp8")
    calls = gen.files["model.c"]
    want = "tq_fully_connected_dsp8_s8(" if kernel == "pair_kernel" else "tq_fully_connected_dsp8_direct_s8("
    other = "tq_fully_connected_dsp8_direct_s8(" if kernel == "pair_kernel" else "tq_fully_connected_dsp8_s8("
    assert want in calls and other not in calls and "tq_fully_connected_dsp_s8" not in calls
    assert (".rq_exact = 1" in calls) == (name == "exact")
    # the general path's asm is left out (TQ_FC8_SLOW 0) unless a layer needs it: TFLM's
    # arithmetic, or a row read in place that is not a multiple of 8 long (each model has one)
    assert ("TQ_FC8_SLOW" in gen.lowered.kernel_config) == (name != "exact" and kernel == "pair_kernel")
    rep = verify(tf_models[name], samples=60, seed=3, sanitize=True, kernels="dsp8")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_odd_sizes_bit_exact_in_the_emulator(tf_models, tmp_path, pair_kernel) -> None:
    """The pair asm's paths, the leftover channel, rq_exact and the batches on the emulated M4."""
    _emulate_all(tf_models, tmp_path, seed=5)


def _emulate_all(tf_models, tmp_path, seed: int) -> None:
    from tinyq.workflows.bench import run_emulated_bench
    for name, path in tf_models.items():
        rep = run_emulated_bench(path, "nrf52840", samples=8, seed=seed, out=tmp_path / name, kernels="dsp8")
        assert rep["samples"] == 8 and rep["bit_exact"], (name, rep.get("mismatches"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fc_in10_out7", "fc_batch3_in12_out5", "fc_in64_out16"])
def test_bit_exact_in_the_emulator(name, tmp_path) -> None:
    """On the emulated Cortex-M4 the inner loop is asm: tails, leftover channels and batches."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(MODELS / f"{name}.tflite", "nrf52840", samples=10, seed=4, out=tmp_path,
                             kernels="dsp8")
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


@pytest.mark.slow
def test_mlperf_ad01_bit_exact_in_the_emulator(tmp_path) -> None:
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(mlperf_path("ad01_int8"), "nrf52840", samples=5, seed=6, out=tmp_path,
                             kernels="dsp8")
    assert rep["samples"] == 5 and rep["bit_exact"], rep.get("mismatches")


@pytest.fixture
def direct_kernel(monkeypatch):
    """The in-place kernel (no scratch) on every layer, as where the widened row would raise the
    arena: its asm paths read the int8 row itself, 8 inputs a step."""
    import tinyq.ops.fully_connected as fc
    monkeypatch.setattr(fc, "dsp8_scratch", lambda d: 1 << 30)


@pytest.mark.tf
@pytest.mark.slow
def test_direct_kernel_odd_sizes_bit_exact_in_the_emulator(tf_models, tmp_path, direct_kernel) -> None:
    """The same on the emulated M4: the in-place asm (fast and general paths) and its C tail."""
    _emulate_all(tf_models, tmp_path, seed=6)
