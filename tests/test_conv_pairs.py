"""The DSP convolution's path over pixel pairs (conv_2d_dsp_pairs.h, tinyq/ops/conv_2d.py _pairs):
two pixels against every weight word, the bias and requantization rows in the weight stream. 1x1:
every entry into the group loop (input channels 16, 20, 24, 28: 4-7 groups), an odd pixel count
(the last pixel paired with itself), stride 2 row by row. Larger windows: 3x3 SAME (border pairs
gathered, in raster order: the output may lie over the input) and VALID, stride 2, a 3x5 filter
dilated in height, 5x5 over an odd run. Bit-exact with TFLM on the host (its C copy) and in the
emulator (its asm), faster there than the per-pixel blocks."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.tf


def _body(x):
    import tensorflow as tf
    L = tf.keras.layers
    a = L.Conv2D(20, 1)(x)                                  # 16 -> 20 channels over 15x15: odd pixels
    b = L.Conv2D(24, 1, strides=2)(a)                       # 5 groups, stride 2: rows of 8
    c = L.Conv2D(28, 1)(L.Conv2D(32, 1)(b))                 # 6 groups, then 7
    d = L.Conv2D(12, 1, activation="relu6")(c)              # 8 groups; its clamp: not on the pairs
    e = L.Conv2D(6, 1)(d)                                   # out_c 6: not on the pairs
    f = L.Conv2D(8, 1)(L.Concatenate()([e, L.Conv2D(2, 1)(d)]))
    k = L.Conv2D(16, 3, padding="same")(f)                  # 8x8: border pairs, a run of 6
    k = L.Conv2D(12, 3, strides=2, padding="same")(k)       # 4x4, borders
    k = L.Conv2D(16, (3, 5), padding="same", dilation_rate=(2, 1))(k)
    k = L.Conv2D(8, 5, padding="same")(L.Conv2D(12, 3)(L.ZeroPadding2D(((0, 1), (2, 3)))(k)))  # VALID over 7
    return L.Flatten()(k)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    return convert_int8(keras_model([(15, 15, 16)], _body, seed=8), tmp_path_factory.mktemp("pairs") / "pw.tflite",
                        [(15, 15, 16)])


def _paired(model) -> list[int]:
    from tinyq.workflows.compile import compile
    gen = compile(model, kernels="dsp", flash="fast", patch="off")
    return [i for i, s in enumerate(gen.files["model.c"].split("static const tq_conv_dsp_params")[1:])
            if ".pairs = 1" in s.split("};")[0]]


def test_which_layers_take_the_pairs(model) -> None:
    from tinyq.workflows.compile import compile
    paired = _paired(model)
    assert paired == [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12], paired      # not the two with out_c 6 and 2
    gen = compile(model, kernels="dsp", flash="fast", patch="off")
    assert "TQ_CONV_PAIRS" not in gen.lowered.kernel_config


def test_bit_exact_on_the_host(model) -> None:
    from tinyq.workflows.verify import verify
    rep = verify(model, samples=10, seed=3, sanitize=True, kernels="dsp", flash="fast", patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


def test_a_model_without_such_layers_leaves_it_out(tmp_path) -> None:
    import tensorflow as tf

    from tinyq.workflows.compile import compile

    from tfmodels import convert_int8, keras_model
    path = convert_int8(keras_model([(8, 8, 4)], lambda x: tf.keras.layers.Conv2D(8, 3)(x), seed=1),
                        tmp_path / "k3.tflite", [(8, 8, 4)])
    assert compile(path, kernels="dsp", flash="fast").lowered.kernel_config["TQ_CONV_PAIRS"] == 0


@pytest.mark.slow
def test_bit_exact_and_faster_in_the_emulator(model, tmp_path, monkeypatch) -> None:
    import tinyq.ops.conv_2d as conv
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(model, "nrf52840", samples=4, seed=9, out=tmp_path / "pairs", patch="off",
                             flash="fast", kernels="dsp")
    assert rep["samples"] == 4 and rep["bit_exact"], rep.get("mismatches")
    monkeypatch.setattr(conv, "_pairs", lambda d: False)
    old = run_emulated_bench(model, "nrf52840", samples=2, seed=9, out=tmp_path / "blocks", patch="off",
                             flash="fast", kernels="dsp")
    assert old["bit_exact"]
    for i in _paired_indices(rep):
        assert rep["layers"][i]["instructions"] < 0.95 * old["layers"][i]["instructions"], (i, rep["layers"][i])


def _paired_indices(rep: dict) -> list[int]:
    return [i for i, layer in enumerate(rep["layers"]) if layer["op"] == "CONV_2D" and (layer["label"][-2:] in
            ("20", "24", "28", "32") or layer["label"].endswith(("8x8x16", "4x4x16")))]
