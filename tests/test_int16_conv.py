"""16x8 CONV_2D and TRANSPOSE_CONV (int16 activations, int8 weights, int64 bias), and int8
TRANSPOSE_CONV, against TFLM bit for bit in models TensorFlow quantizes itself: the corners the
SEANet suite (all VALID, no activation, no padding taps) does not reach."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def _convert(layer, shape: tuple[int, ...], path: Path, int16: bool) -> Path:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    inp = tf.keras.Input(shape=shape, batch_size=1)
    model = tf.keras.Model(inp, layer(inp))
    rng = np.random.default_rng(0)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rng.standard_normal((1, *shape)).astype(np.float32)] for _ in range(30))
    ops = tf.lite.OpsSet
    conv.target_spec.supported_ops = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16
                                      else ops.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int16 if int16 else tf.int8
    path.write_bytes(conv.convert())
    return path


CASES = {
    # SAME padding (padding taps), stride 2, fused RELU
    "conv16_same_relu": (lambda L: L.Conv2D(6, 3, strides=2, padding="same", activation="relu",
                                            bias_initializer="random_normal"), (7, 9, 5), True),
    # dilation, and 300 input channels: filter rows longer than the kernel's 256-product int32 runs
    "conv16_dilated_deep": (lambda L: L.Conv2D(4, 3, dilation_rate=2, padding="same",
                                               bias_initializer="random_normal"), (8, 8, 300), True),
    "tconv16_same": (lambda L: L.Conv2DTranspose(6, 3, strides=2, padding="same",
                                                 bias_initializer="random_normal"), (5, 6, 4), True),
    "tconv8_same": (lambda L: L.Conv2DTranspose(6, 3, strides=2, padding="same",
                                                bias_initializer="random_normal"), (5, 6, 4), False),
    "tconv8_valid": (lambda L: L.Conv2DTranspose(6, (3, 4), strides=(1, 2), padding="valid"), (3, 5, 8), False),
    # the DSP kernel's paths (tinyq/ops/transpose_conv.py): accumulators with odd channels (tails
    # of the pixel's groups and of the output blocks), whole groups and blocks, stride 1, and a
    # stride past the filter (outputs no tap reaches: the bias alone)
    "tconv8_k3s2_odd": (lambda L: L.Conv2DTranspose(5, 3, strides=2, padding="same",
                                                    bias_initializer="random_normal"), (6, 7, 3), False),
    "tconv8_k4s2_valid": (lambda L: L.Conv2DTranspose(8, 4, strides=2, padding="valid",
                                                      bias_initializer="random_normal"), (5, 5, 8), False),
    "tconv8_s1_odd": (lambda L: L.Conv2DTranspose(7, 3, strides=1, padding="same"), (5, 5, 5), False),
    "tconv8_k1s2": (lambda L: L.Conv2DTranspose(4, 1, strides=2, padding="valid",
                                                bias_initializer="random_normal"), (4, 3, 8), False),
    # the filter tiles the output (k == stride): each product requantized at once, the UNet's
    # upsampling; odd channels, whole ones (the emulated asm row path), k = 3
    "tconv8_k2s2_odd": (lambda L: L.Conv2DTranspose(5, 2, strides=2, padding="same",
                                                    bias_initializer="random_normal"), (4, 6, 3), False),
    "tconv8_k2s2": (lambda L: L.Conv2DTranspose(8, 2, strides=2, padding="same",
                                                bias_initializer="random_normal"), (4, 5, 12), False),
    "tconv8_k3s3": (lambda L: L.Conv2DTranspose(4, 3, strides=3, padding="valid"), (3, 4, 8), False),
}
TCONV8 = [name for name, (_, _, int16) in CASES.items() if name.startswith("tconv") and not int16]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    tf = pytest.importorskip("tensorflow")
    d = tmp_path_factory.mktemp("int16_conv")
    return {name: _convert(make(tf.keras.layers), shape, d / f"{name}.tflite", int16)
            for name, (make, shape, int16) in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_bit_exact_with_tflm(models, name: str) -> None:
    from tinyq.passes.pipeline import load
    from tinyq.workflows.verify import verify

    g = load(models[name])
    assert [op.opcode for op in g.ops] == ["TRANSPOSE_CONV" if name.startswith("tconv") else "CONV_2D"]
    report = verify(models[name], samples=20, sanitize=True)
    assert report.mismatches == 0, report


@pytest.mark.parametrize("name", TCONV8)
def test_int8_tconv_portable_kernel_bit_exact(models, name: str) -> None:
    """The DSP kernel is what `verify` picks by default; the portable one stays for the M0."""
    from tinyq.workflows.verify import verify

    report = verify(models[name], samples=10, sanitize=True, kernels="portable")
    assert report.elements > 0 and report.mismatches == 0, report


@pytest.mark.parametrize("name", ["tconv8_k2s2", "tconv8_k2s2_odd", "tconv8_k3s2_odd"])
def test_int8_tconv_dsp_exact_requantization(models, name: str, monkeypatch) -> None:
    """A layer whose constants fail the fast requantization's proof keeps TFLM's arithmetic
    (rq_exact): forced here, for the direct path, its tails and the accumulators."""
    import tinyq.ops.transpose_conv as tc
    from tinyq.workflows.verify import verify

    def exact(w_rows, bias, mult, shift, zero_point):
        rows = np.zeros((len(mult), 3), np.int32)
        rows[:, 0], rows[:, 1] = mult, shift
        return rows, np.ones(len(mult), np.int64), 1

    monkeypatch.setattr(tc, "requant_for", exact)
    report = verify(models[name], samples=10, sanitize=True)
    assert report.elements > 0 and report.mismatches == 0, report


def test_int8_tconv_dsp_variant_and_its_scratch(models) -> None:
    """dsp and dsp8 builds take the DSP kernel (no dsp8 variant: it falls back), the portable build
    the portable one; the tiling filter needs no accumulators, only the widened pixel."""
    from tinyq.ops.lower import lower
    from tinyq.ops.transpose_conv import dsp_scratch
    from tinyq.passes.pipeline import load

    for name in TCONV8:
        g = load(models[name])
        for fam, variant, src in (("dsp", "transpose_conv_dsp", "transpose_conv_dsp.c"),
                                  ("dsp8", "transpose_conv_dsp", "transpose_conv_dsp.c"),
                                  ("portable", "transpose_conv_portable", "transpose_conv.c")):
            low = lower(g, fam)
            assert [layer.variant.name for layer in low.layers] == [variant], (name, fam)
            assert src in low.sources
    d = lower(load(models["tconv8_k2s2"]), "dsp").layers[0].data
    assert dsp_scratch(d) == 8 * 3                       # 12 channels: 3 widened groups
    d = lower(load(models["tconv8_k3s2_odd"]), "dsp").layers[0].data
    assert dsp_scratch(d) == 4 * 12 * 14 * 5 + 8 + 4     # accumulators, one group widened and padded


@pytest.mark.slow
def test_int8_tconv_bit_exact_in_the_emulator(models, tmp_path) -> None:
    """The SMLAD loops and the asm row path of the DSP kernel on the emulated Cortex-M4."""
    from tinyq.workflows.bench import run_emulated_bench

    for name in TCONV8:
        rep = run_emulated_bench(models[name], "nrf52840", samples=4, seed=5, out=tmp_path / name, kernels="dsp")
        assert rep["samples"] == 4 and rep["bit_exact"], (name, rep.get("mismatches"))


def test_int16_conv_keeps_the_int8_variants_off(models) -> None:
    from tinyq.ops.lower import lower
    from tinyq.passes.pipeline import load

    for fam, name, src in (("dsp", "conv_2d_dsp_s16", "s16_dsp.c"), ("dsp8", "conv_2d_dsp_s16", "s16_dsp.c"),
                           ("portable", "conv_2d_portable_s16", "conv_2d_s16.c")):
        low = lower(load(models["conv16_same_relu"]), fam)
        assert [layer.variant.name for layer in low.layers] == [name]
        assert src in low.sources and "conv_2d.c" not in low.sources and "conv_2d_dsp.c" not in low.sources
