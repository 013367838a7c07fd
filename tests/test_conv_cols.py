"""The DSP CONV_2D kernels' column staging for layers over 1-4 input channels (first layers over
images and spectrograms: firmware/kernels/conv_2d_dsp_cols.h, `cols` in tinyq/ops/conv_2d.py):
each output row's input staged column by column, every window one contiguous run of taps.
Bit-exact with TFLM on the host (sanitized, both DSP kernels) and on the emulated Cortex-M4."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest


# in_c 1-4; 3x3, 5x5, 10x4, 3x2 and a vertically dilated 3x3; strides 1 and 2 (and (1, 2), (2, 1));
# 1x1; same and valid padding over odd widths; the last window's last tap the input's last byte (valid,
# 1 and 3 channels); out_c 1, 5, 6, 7 (the padded last block staged); RELU (the full int8 range
# at zero point -128: the runs) and RELU6 (a clamp: pixel by pixel); a residual ADD fused into a
# staged convolution.
def _bodies():
    import tensorflow as tf
    L = tf.keras.layers

    def kws(x):     # 1 channel, 10x4 stride 2 same (KWS' first layer), a tail of 2
        h = L.Conv2D(6, (10, 4), strides=2, padding="same", activation="relu")(x)
        return L.Conv2D(4, 1)(h)

    def dil(x):     # 1 channel, dilated rows (not the ring), clamp, tail
        return L.Conv2D(5, 3, dilation_rate=(2, 1), padding="same", activation="relu6")(x)

    def last1(x):   # 1 channel, 1 filter (not the ring), valid: the last tap is the input's last byte
        return L.Conv2D(1, 3, padding="valid")(x)

    def two(x):     # 2 channels, 5x5 stride 1 same, then 3x3 stride 2 valid over an odd width
        h = L.Conv2D(8, 5, padding="same")(x)
        return L.Conv2D(4, 3, strides=2, padding="valid")(L.Conv2D(2, 1)(h))

    def rgb(x):     # 3 channels, ResNet's 3x3 stride 1 same
        return L.Conv2D(16, 3, padding="same", activation="relu")(x)

    def rgb2(x):    # 3 channels, VWW's 3x3 stride 2 same, then 5x5 stride 2 valid to the input's end
        a = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
        b = L.Conv2D(7, 5, strides=2, padding="valid")(x)
        return [a, b]

    def four(x):    # 4 channels: a fused ADD over the staged run, then 3x2 strides (1, 2), clamp, tail
        h = L.Add()([L.Conv2D(4, 3, padding="same")(x), x])
        return L.Conv2D(6, (3, 2), strides=(1, 2), padding="same", activation="relu6")(h)

    def tall(x):    # 3 channels, stride (2, 1) valid; 1x1 stride 2 (one group a window), a tail
        return [L.Conv2D(5, 3, strides=(2, 1), padding="valid", activation="relu")(x), L.Conv2D(3, 1, strides=2)(x)]

    return {"kws": ((13, 11, 1), kws), "dil": ((12, 9, 1), dil), "last1": ((9, 7, 1), last1),
            "two": ((12, 11, 2), two), "rgb": ((15, 13, 3), rgb), "rgb2": ((17, 15, 3), rgb2),
            "four": ((10, 11, 4), four), "tall": ((11, 9, 3), tall)}


NAMES = ["kws", "dil", "last1", "two", "rgb", "rgb2", "four", "tall"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("cols")
    return {name: convert_int8(keras_model([shape], body, seed=61 + i), out / f"{name}.tflite", [shape])
            for i, (name, (shape, body)) in enumerate(_bodies().items())}


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "dsp8"])
@pytest.mark.parametrize("name", NAMES)
def test_cols_bit_exact_on_the_host(models, name, kernels) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    calls = compile(models[name], kernels=kernels, flash="fast", patch="off").files["model.c"]
    assert ".cols = 1" in calls and f"tq_conv_2d_{kernels}_s8(" in calls
    rep = verify(models[name], samples=20, seed=7, sanitize=True, kernels=kernels, flash="fast", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_cols_with_tflm_requantization(models, monkeypatch) -> None:
    """Staged layers that keep TFLM's arithmetic (forced on every layer): pixel by pixel."""
    import tinyq.ops.conv_2d as conv
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import tflm_requant_for
    monkeypatch.setattr(conv, "requant_for", tflm_requant_for)
    for name in ("kws", "rgb2", "four"):
        for kernels in ("dsp", "dsp8"):
            calls = compile(models[name], kernels=kernels, flash="fast", patch="off").files["model.c"]
            assert ".rq_exact = 1" in calls and ".cols = 1" in calls
            rep = verify(models[name], samples=10, seed=8, sanitize=True, kernels=kernels, flash="fast", patch="off")
            assert rep.elements > 0 and rep.mismatches == 0, (name, kernels, rep.to_dict())


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("kernels", ["dsp", "dsp8"])
def test_cols_bit_exact_in_the_emulator(models, kernels, tmp_path) -> None:
    """The asm runs over the staging (tq_mm_row_full) and the dsp8 tiles on the emulated M4."""
    from tinyq.workflows.bench import run_emulated_bench
    for name, path in models.items():
        rep = run_emulated_bench(path, "nrf52840", samples=6, seed=9, out=tmp_path / name, patch="off",
                                 flash="fast", kernels=kernels)
        assert rep["samples"] == 6 and rep["bit_exact"], (name, rep.get("mismatches"))


def _data(win, out_c: int, add: bool = False):
    from tinyq.ops.conv_2d import ConvData
    return ConvData(0, "CONV_2D", 0, 1, 2, win, np.zeros((out_c, win.k_h, win.k_w, win.in_c), np.int8), 0, 0,
                    *(np.zeros(out_c, np.int32) for _ in range(4)), -128, 127,
                    add=object() if add else None)    # type: ignore[arg-type]


def test_which_layers_are_staged_and_their_scratch() -> None:
    from tinyq.ops._window import Window
    from tinyq.ops.conv_2d import _cols, _groups, cols_bytes, dsp8_scratch, dsp_scratch, row_padding

    def d(w: Window):  # (the record the helpers read)
        return _data(w, w.out_c)

    def win(in_c: int, k: int, stride: int, out_w: int, dil_w: int = 1, k_w: int | None = None) -> Window:
        kw = k if k_w is None else k_w
        return Window(1, 32, (out_w - 1) * stride + kw, in_c, 32, out_w, 16, k, kw, stride, stride, 1, dil_w, 0, 0)

    resnet = win(3, 3, 1, 32)
    assert _cols(d(resnet)) and row_padding(d(resnet)) == 0 and _groups(d(resnet)) == 7    # 27 taps -> 28
    assert cols_bytes(resnet) == 34 * 9 + 4 + 2                                    # 34 columns, a word
    assert dsp_scratch(_data(resnet, 16)) == cols_bytes(resnet) + 8 * 7         # no gather stage
    assert dsp8_scratch(_data(resnet, 16)) == cols_bytes(resnet) + 8 * 4 * 7
    vww = win(3, 3, 2, 48)
    assert cols_bytes(vww) == 97 * 9 + 4 + 3
    tail = dataclasses.replace(vww, out_c=6)
    assert dsp_scratch(_data(tail, 6)) == cols_bytes(vww) + 8 * 7 + 32 * 8      # a staged run of 32
    assert not _cols(d(win(5, 3, 1, 32)))              # 5 channels: rows widened in place
    assert not _cols(d(win(3, 3, 1, 32, dil_w=2)))     # dilated columns are not contiguous
    assert _cols(d(win(3, 1, 2, 32))) and _groups(d(win(3, 1, 2, 32))) == 1    # 1x1 over 3: one group
    assert not _cols(d(win(4, 1, 1, 32)))              # 1x1 over whole groups: read in place
    assert not _cols(d(win(3, 3, 2, 200)))             # one row's columns beyond 2 KB
    assert row_padding(d(win(3, 3, 2, 200))) == 3      # (rows padded to whole groups instead)
    # the rowwise variants turn the staging off: rows padded, each window gathered, less scratch
    plain = dataclasses.replace(_data(resnet, 16), stage_cols=False)
    assert not _cols(plain) and row_padding(plain) == 3 and _groups(plain) == 9
    assert dsp_scratch(plain) == 8 * 9 + 4 * 9 < dsp_scratch(_data(resnet, 16))
