"""The DSP CONV_2D kernel's path for out_c < 4 (firmware/kernels/conv_2d_dsp.c narrow_rows,
`_narrow` in tinyq/ops/conv_2d.py): each window read in place (or gathered where it needs padding
or its rows are not whole groups), widened in registers for the real channels only, instead of a
widened column against a block of 4 channels that is mostly padding. Bit-exact with TFLM on the
host (sanitized) and on the emulated Cortex-M4, and faster than the block there."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import mlperf_path


def _body(x):
    """out_c 1, 2, 3 over 16 channels (rows of whole groups read in place, borders gathered);
    5x5 stride 2 valid; a dilated 3x3; over 6 channels (rows not whole groups: row padding or the
    gather) stride (1, 2); RELU6's clamp; a 1x1 (the block path) beside them."""
    import tensorflow as tf
    L = tf.keras.layers
    h = L.Conv2D(6, 1)(x)
    return [L.Conv2D(1, 3, padding="same")(x),
            L.Conv2D(2, 5, strides=2, padding="valid")(x),
            L.Conv2D(3, 3, dilation_rate=2, padding="same", activation="relu6")(x),
            L.Conv2D(3, 3, strides=(1, 2), padding="same")(h),
            L.Conv2D(2, 1)(x)]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("narrow")
    return convert_int8(keras_model([(13, 11, 16)], _body, seed=71), out / "narrow.tflite", [(13, 11, 16)])


def _data(in_c: int, k: int, out_c: int, add: bool = False):
    from tinyq.ops._window import Window
    from tinyq.ops.conv_2d import ConvData
    win = Window(1, 16, 16, in_c, 16, 16, out_c, k, k, 1, 1, 1, 1, k // 2, k // 2)
    return ConvData(0, "CONV_2D", 0, 1, 2, win, np.zeros((out_c, k, k, in_c), np.int8), 0, 0,
                    *(np.zeros(out_c, np.int32) for _ in range(4)), -128, 127,
                    add=object() if add else None)    # type: ignore[arg-type]


def test_which_layers_take_it_and_their_scratch() -> None:
    from tinyq.ops.conv_2d import _groups, _narrow, dsp_scratch
    d = _data(16, 3, 2)
    assert _narrow(d) and dsp_scratch(d) == 4 * _groups(d)          # the gather stage alone
    assert not _narrow(_data(16, 3, 4)) and not _narrow(_data(16, 1, 3))
    assert not _narrow(_data(16, 3, 1, add=True))                     # a fused ADD keeps the block
    assert not _narrow(dataclasses.replace(_data(3, 3, 1)))           # 1-4 channels: the column staging


@pytest.mark.tf
def test_bit_exact_on_the_host(model) -> None:
    """... with the path in the build (no TQ_CONV_NARROW 0)."""
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    assert "TQ_CONV_NARROW" not in compile(model, kernels="dsp", flash="fast", patch="off").lowered.kernel_config
    rep = verify(model, samples=20, seed=7, sanitize=True, kernels="dsp", flash="fast", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_bit_exact_with_tflm_requantization(model, monkeypatch) -> None:
    import tinyq.ops.conv_2d as conv
    from tinyq.workflows.verify import verify

    from tfmodels import tflm_requant_for
    monkeypatch.setattr(conv, "requant_for", tflm_requant_for)
    rep = verify(model, samples=10, seed=8, sanitize=True, kernels="dsp", flash="fast", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
def test_bit_exact_and_faster_in_the_emulator(model, tmp_path) -> None:
    """The asm on the emulated M4 (one, two and three channels, odd and even group counts); the
    single-filter 3x3 layer faster than the block of 4 channels ran it (0.18 MACs an instruction
    on such a layer: 3 of its 4 channels padding)."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(model, "nrf52840", samples=6, seed=9, out=tmp_path / "narrow", patch="off",
                             flash="fast", kernels="dsp")
    assert rep["samples"] == 6 and rep["bit_exact"], rep.get("mismatches")
    one = next(layer for layer in rep["layers"] if layer["label"].endswith("x1") and layer["op"] == "CONV_2D")
    assert one["macs_per_instruction"] > 0.25, one


def test_a_model_without_such_layers_leaves_it_out() -> None:
    from tinyq.workflows.compile import compile
    assert compile(mlperf_path("kws_ref_model")).lowered.kernel_config["TQ_CONV_NARROW"] == 0
