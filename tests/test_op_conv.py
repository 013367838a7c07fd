"""CONV_2D and DEPTHWISE_CONV_2D against TFLM bit for bit, in models TensorFlow quantizes itself.

To keep the suite fast, each model holds many convolution variants as separate outputs of one
input (one TF conversion, one host build, every variant compared); the models are built once per
module."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.ir import Tensor
from tinyq.ops._window import out_size, pad_before, window

# ---------------------------------------------------------------- geometry (no TensorFlow) ----

@pytest.mark.parametrize("padding,image,filt,stride,dil,want_out,want_pad", [
    ("SAME", 9, 3, 2, 1, 5, 1),     # odd input, stride 2: total padding 2, split evenly
    ("SAME", 10, 3, 2, 1, 5, 0),    # total padding 1: the odd pixel goes bottom/right
    ("SAME", 12, 3, 1, 2, 12, 2),   # dilation 2: effective filter 5
    ("SAME", 7, 1, 2, 1, 4, 0),
    ("VALID", 10, 3, 2, 1, 4, 0),
    ("VALID", 12, 3, 1, 2, 8, 0),
    ("VALID", 8, 2, 2, 1, 4, 0),
])
def test_padding_and_output_size(padding, image, filt, stride, dil, want_out, want_pad) -> None:
    """Values worked out by hand from TFLite's ComputeOutSize / ComputePaddingHeightWidth."""
    out = out_size(padding, image, filt, stride, dil)
    assert out == want_out
    assert pad_before(stride, dil, image, filt, out) == want_pad


def test_geometry_reads_tflite_options() -> None:
    win = window({"padding": "SAME", "stride_h": 2, "stride_w": 1, "dilation_h_factor": 1,
                  "dilation_w_factor": 2}, Tensor(0, "in", (1, 9, 12, 3), "int8"),
                 Tensor(1, "out", (1, 5, 12, 8), "int8"), 3, 3)
    assert win.fields() == {"batches": 1, "in_h": 9, "in_w": 12, "in_c": 3, "out_h": 5, "out_w": 12, "out_c": 8,
                            "k_h": 3, "k_w": 3, "stride_h": 2, "stride_w": 1, "dil_h": 1, "dil_w": 2,
                            "pad_h": 1, "pad_w": 2}


# ---------------------------------------------------------------- TensorFlow-built models ----

ODD = (11, 9, 4)    # odd height and width: SAME with stride 2 pads 1 on each side
EVEN = (12, 10, 4)  # dilation with SAME padding: on odd sizes the converter lowers it to
                    # SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND instead


def _branches(x, dilated: bool = True):
    """Every variant as its own output of the same input. (With an unknown batch the converter
    keeps dilations as SPACE_TO_BATCH_ND + convolution + BATCH_TO_SPACE_ND.)"""
    import tensorflow as tf
    L = tf.keras.layers
    clip = L.Lambda(lambda t: tf.clip_by_value(t, -1.0, 1.0))   # fuses as RELU_N1_TO_1
    return [
        L.Conv2D(8, 3, padding="same")(x),
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x),
        L.Conv2D(5, (3, 2), strides=(2, 1), padding="valid", activation="relu6")(x),
        *([L.Lambda(lambda t: tf.nn.conv2d(t, _filters(4, 4), 1, "VALID", dilations=2))(x),
           L.Conv2D(3, (2, 3), dilation_rate=(1, 2), padding="valid")(x)] if dilated else []),
        L.Conv2D(7, 1, use_bias=False)(x),
        L.Conv2D(6, 4, strides=2, padding="same", use_bias=False)(x),   # even kernel, odd input
        clip(L.Conv2D(4, 3, padding="same")(x)),
        L.DepthwiseConv2D(3, padding="same")(x),
        L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x),
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="valid")(x),
        L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", activation="relu")(x),
        *([L.DepthwiseConv2D(3, depth_multiplier=3, dilation_rate=2, padding="valid")(x)] if dilated else []),
        L.DepthwiseConv2D((5, 2), strides=(1, 2), padding="same")(x),
        clip(L.DepthwiseConv2D(3, padding="same")(x)),
        L.SeparableConv2D(8, 3, padding="same", activation="relu")(x),
    ]


def _filters(in_c: int, out_c: int):
    """Constant 3x3 filters for tf.nn.conv2d. Keras' dilated Conv2D goes through
    SPACE_TO_BATCH_ND, which grappler shares between dilated branches, and the converter only
    folds back into one dilated CONV_2D when it is not shared; tf.nn.conv2d converts directly."""
    import tensorflow as tf
    return tf.constant(np.random.default_rng(in_c * out_c).uniform(-0.5, 0.5, (3, 3, in_c, out_c)),
                       tf.float32)


def _dilated_same(y):
    import tensorflow as tf
    L = tf.keras.layers
    return [L.ReLU()(L.Lambda(lambda t: tf.nn.conv2d(t, _filters(4, 4), 1, "SAME", dilations=2))(y)),
            L.Conv2D(5, (3, 2), strides=2, padding="same")(y),        # even size: pads 0 before, 1 after
            L.DepthwiseConv2D(3, depth_multiplier=2, dilation_rate=2, padding="same")(y),
            L.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)(y),
            # 44 channels: the kernel's 32-channel accumulator chunk ends inside input channel 2
            L.DepthwiseConv2D(3, depth_multiplier=11, padding="same", activation="relu")(y)]


# name -> (input shape, body, keras_model options, convert_int8 options)
MODELS = {
    "per_channel": (ODD, _branches, {"batch": 1}, {}),
    "per_tensor": (ODD, _branches, {"batch": 1}, {"per_channel": False}),
    "unknown_batch": (ODD, lambda x: _branches(x, dilated=False), {"batch": None}, {}),
    "dilated_same": (EVEN, _dilated_same, {"batch": 1}, {}),
}
VERIFIED = [*MODELS, "no_bias"]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model

    d = tmp_path_factory.mktemp("conv")
    paths = {name: convert_int8(keras_model([shape], body, seed=3, **kopts), d / f"{name}.tflite",
                                [shape], **copts)
             for name, (shape, body, kopts, copts) in MODELS.items()}
    paths["no_bias"] = _drop_biases(paths["per_channel"], d / "no_bias.tflite")
    return paths


def _drop_biases(src: Path, dst: Path) -> Path:
    """The converter gives every conv a bias tensor (zeros for use_bias=False); a file without
    one (two inputs, which TFLM accepts) needs editing the flatbuffer."""
    from tensorflow.lite.tools import flatbuffer_utils as fb

    model = fb.read_model(str(src))
    sub = model.subgraphs[0]
    for i, op in enumerate(sub.operators):
        name = fb.opcode_to_name(model, op.opcodeIndex)
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D") and i % 2 == 0:   # half of them, to mix
            op.inputs = op.inputs[:2]
    fb.write_model(model, str(dst))
    return dst


def _conv_ops(path: Path):
    from tinyq.passes.pipeline import load
    g = load(path)
    return g, [op for op in g.ops if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D")]


@pytest.mark.tf
def test_models_cover_the_variants(models) -> None:
    """The converter really produced what the cases claim (else the bit-exact tests prove less)."""
    g, ops = _conv_ops(models["per_channel"])
    seen = {(op.opcode, op.options["padding"], op.options["stride_h"], op.options["dilation_h_factor"],
             op.options["dilation_w_factor"], op.options["fused_activation_function"],
             g.t(op.outputs[0]).shape[3] // g.t(op.inputs[0]).shape[3] if op.opcode != "CONV_2D" else 0,
             len(op.inputs) > 2 and op.inputs[2] >= 0) for op in ops}
    acts = {s[5] for s in seen}
    assert {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"} <= acts
    assert {s[6] for s in seen if s[0] == "DEPTHWISE_CONV_2D"} >= {1, 2, 3}
    assert any(s[3] == 2 for s in seen if s[0] == "CONV_2D") and any(s[4] == 2 for s in seen if s[0] != "CONV_2D")
    g2, ops2 = _conv_ops(models["dilated_same"])
    assert len(ops2) == len(g2.ops) == 5 and any(g2.t(op.outputs[0]).shape[3] == 44 for op in ops2)
    assert all(op.options["padding"] == "SAME" for op in ops2)
    assert sum(op.options["dilation_h_factor"] == 2 for op in ops2) == 2
    assert any(s[1] == "SAME" and s[2] == 2 for s in seen if s[0] == "CONV_2D")
    assert any(s[1] == "SAME" and s[2] == 2 for s in seen if s[0] == "DEPTHWISE_CONV_2D")
    gu, _ = _conv_ops(models["unknown_batch"])
    assert gu.t(gu.inputs[0]).shape_signature[0] == -1 and gu.t(gu.inputs[0]).shape[0] == 1
    g3, ops3 = _conv_ops(models["no_bias"])
    has_bias = [len(op.inputs) > 2 and op.inputs[2] >= 0 for op in ops3]
    assert len(ops3) == len(ops)
    assert 0 < sum(has_bias) < len(ops3)
    assert len(ops) == 17 and len(ops) == len(g.ops)  # separable = DW + 1x1 CONV; nothing else
    per_channel = [op for op in ops if len(g.t(op.inputs[1]).scale) > 1]
    assert len(per_channel) == len(ops)
    gt, pt_ops = _conv_ops(models["per_tensor"])
    assert len(pt_ops) == len(ops) and all(len(gt.t(op.inputs[1]).scale) == 1 for op in pt_ops)


@pytest.mark.tf
@pytest.mark.parametrize("name", VERIFIED)
def test_bit_exact_with_tflm(models, name: str) -> None:
    from tinyq.workflows.verify import verify

    rep = verify(models[name], samples=30, seed=11, layers=True)
    assert rep.elements == 30 * sum(int(np.prod(s)) for s in _output_shapes(models[name]))
    assert rep.mismatches == 0 and rep.ok, rep.to_dict()
    assert all(layer["mismatches"] == 0 for layer in rep.layers)


def _output_shapes(path: Path) -> list[tuple[int, ...]]:
    from tinyq.passes.pipeline import load
    g = load(path)
    return [g.t(i).shape for i in g.outputs]


@pytest.mark.tf
def test_bit_exact_sanitized(models) -> None:
    """Address/undefined-behaviour sanitizers catch out-of-bounds taps at the padded borders."""
    from tinyq.workflows.verify import verify

    rep = verify(models["per_channel"], samples=10, seed=5, sanitize=True)
    assert rep.sanitized and rep.elements > 0
    assert rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_extreme_inputs(models) -> None:
    """All -128 / all 127 inputs: every accumulator at its extremes, activations saturating."""
    from tinyq.passes.pipeline import load
    from tinyq.workflows.verify import verify

    g = load(models["per_tensor"])
    xs = []
    for shape in (g.t(i).shape for i in g.inputs):
        xs.append(np.stack([np.full(shape, -128, np.int8), np.full(shape, 127, np.int8),
                            (np.indices(shape).sum(axis=0) * 37).astype(np.int8)]))
    rep = verify(models["per_tensor"], inputs=xs)
    assert rep.samples == 3 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_macs(models) -> None:
    """conv: oh*ow*oc*kh*kw*ic*n; depthwise: oh*ow*oc*kh*kw*n."""
    from tinyq.ops.lower import op_macs

    g, _ = _conv_ops(models["per_channel"])
    macs = dict(zip((op.index for op in g.ops), op_macs(g)))
    by_out = {}
    for op in g.ops:
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = g.t(op.inputs[1]).shape
            by_out[(op.opcode, g.t(op.outputs[0]).shape, w)] = macs[op.index]
    # the stride-2 SAME 3x3 conv on 11x9x4 -> 6x5x6
    assert by_out[("CONV_2D", (1, 6, 5, 6), (6, 3, 3, 4))] == 6 * 5 * 6 * 3 * 3 * 4
    # depth multiplier 2, VALID 3x3 on 11x9x4 -> 9x7x8
    assert by_out[("DEPTHWISE_CONV_2D", (1, 9, 7, 8), (1, 3, 3, 8))] == 9 * 7 * 8 * 3 * 3
    # the 1x1 without bias
    assert by_out[("CONV_2D", (1, 11, 9, 7), (7, 1, 1, 4))] == 11 * 9 * 7 * 4


# ---------------------------------------------------------------- what is refused ----

def _convert(model, path: Path, mode: str) -> Path:
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode == "int16":
        rng = np.random.default_rng(0)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 6, 6, 3)).astype(np.float32)]
                                               for _ in range(8))
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    path.write_bytes(conv.convert())
    return path


@pytest.mark.tf
def test_16x8_convolutions_compile_and_unsupported_combinations_are_refused(tmp_path) -> None:
    """16x8 CONV_2D and DEPTHWISE_CONV_2D compile; an int16 one with an int32 bias (TFLM's int16
    kernels then accumulate and round in int32, which tinyq does not compile) is refused, naming
    the op, the type and the reason."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.errors import UnsupportedOpError
    from tinyq.ops.registry import Refusal, load_all, prepare
    from tinyq.workflows.compile import compile

    from tfmodels import keras_model

    L = tf.keras.layers
    model = keras_model([(6, 6, 3)], lambda x: L.DepthwiseConv2D(3)(L.Conv2D(4, 3, padding="same")(x)))
    g, ops = _conv_ops(_convert(model, tmp_path / "int16.tflite", "int16"))
    assert {op.opcode for op in ops} == {"CONV_2D", "DEPTHWISE_CONV_2D"}
    load_all()
    for op in ops:
        got = prepare(op, g)
        assert not isinstance(got, Refusal), got.reason
    conv = next(op for op in ops if op.opcode == "CONV_2D")
    bias = g.t(conv.inputs[2])
    bias.dtype, bias.data = "int32", bias.data.astype(np.int32)
    got = prepare(conv, g)
    assert isinstance(got, Refusal) and "int64 bias" in got.reason and "int32" in got.reason, got
    with pytest.raises(UnsupportedOpError, match="CONV_2D"):
        compile(g)
