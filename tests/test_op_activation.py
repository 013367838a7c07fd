"""PAD/PADV2, CONCATENATION, QUANTIZE/DEQUANTIZE, the int8 activations and the data-movement ops
(TRANSPOSE, STRIDED_SLICE, RESIZE_NEAREST_NEIGHBOR, MAXIMUM/MINIMUM), in models TensorFlow
quantizes itself, against TFLM bit for bit. Every case also asserts that the op under test is
really in the compiled graph (not folded or fused away), so a passing case exercised its kernel."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _concat_relu(x, relu):
    # A RELU after a CONCATENATION has no producer to fuse into, so it stays a standalone op.
    return relu(L.Concatenate()([x, L.Conv2D(3, 1)(x)]))


def _two_concats(x):
    # x feeds two concatenations of different ranges; it can share only one of their scales, so
    # the converter requantizes it for the other with an int8 -> int8 QUANTIZE.
    a = L.Concatenate()([x, L.Lambda(lambda t: t * 5.0 + 1.0)(x)])
    b = L.Concatenate()([x, L.Lambda(lambda t: t * 0.25)(x)])
    return L.Add()([a, b])


def _hard_swish_lambda(t):
    return t * tf.nn.relu6(t + 3.0) / 6.0


# name -> (input shapes, body, convert options, opcodes that must be in the compiled graph)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, dict, set[str]]] = {
    "zero_pad2d": ([(5, 6, 3)], lambda x: L.ZeroPadding2D(((1, 2), (3, 0)))(x), {}, {"PAD"}),
    "pad_rank3": ([(6, 4)], lambda x: L.Lambda(lambda t: tf.pad(t, [[0, 0], [2, 1], [0, 3]]))(x), {}, {"PAD"}),
    "pad_rank5": ([(3, 2, 4, 2)], lambda x: L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 2], [1, 1], [2, 0]]))(
        L.Reshape((3, 2, 4, 2))(x)), {}, {"PAD"}),
    "padv2_value": ([(4, 4, 2)], lambda x: L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 1], [0, 2], [1, 0]],
                                                                  constant_values=0.75))(x), {}, {"PADV2"}),
    "concat_channels": ([(5, 5, 3)], lambda x: L.Concatenate()([L.Conv2D(4, 1)(x), L.Conv2D(2, 3, padding="same")(x)]),
                        {}, {"CONCATENATION"}),
    "concat_axis1_inputs": ([(3, 6, 2), (2, 6, 2)], lambda xs: L.Concatenate(axis=1)(xs), {}, {"CONCATENATION"}),
    "concat_axis2_three": ([(4, 2, 3), (4, 3, 3), (4, 1, 3)], lambda xs: L.Concatenate(axis=2)(xs), {},
                           {"CONCATENATION"}),
    # Inputs with different ranges: the converter requantizes them with int8 -> int8 QUANTIZE ops.
    "concat_requantized": ([(4, 4, 3)], lambda x: _two_concats(x), {}, {"CONCATENATION", "QUANTIZE"}),
    "relu_after_concat": ([(4, 4, 3)], lambda x: _concat_relu(x, L.ReLU()), {}, {"RELU"}),
    "relu6_after_concat": ([(4, 4, 3)], lambda x: _concat_relu(x, L.ReLU(6.0)), {"low": -8.0, "high": 8.0},
                           {"RELU6"}),
    "relu_after_pad": ([(4, 4, 2)], lambda x: L.ReLU()(L.ZeroPadding2D(1)(x)), {}, {"PAD", "RELU"}),
    "leaky_relu_01": ([(5, 5, 3)], lambda x: L.LeakyReLU(negative_slope=0.1)(L.Conv2D(4, 3)(x)), {}, {"LEAKY_RELU"}),
    "leaky_relu_input": ([(40,)], lambda x: L.LeakyReLU(negative_slope=0.37)(x), {"low": -3.0, "high": 2.0},
                         {"LEAKY_RELU"}),
    "sigmoid_dense": ([(12,)], lambda x: L.Activation("sigmoid")(L.Dense(16)(x)), {}, {"LOGISTIC"}),
    "sigmoid_wide": ([(64,)], lambda x: L.Activation("sigmoid")(x), {"low": -12.0, "high": 12.0}, {"LOGISTIC"}),
    "tanh_dense": ([(12,)], lambda x: L.Activation("tanh")(L.Dense(16)(x)), {}, {"TANH"}),
    "tanh_wide": ([(64,)], lambda x: L.Activation("tanh")(x), {"low": -6.0, "high": 6.0}, {"TANH"}),
    "hard_swish_keras": ([(6, 6, 3)], lambda x: L.Activation(tf.keras.activations.hard_swish)(L.Conv2D(4, 1)(x)),
                         {"low": -6.0, "high": 6.0}, {"HARD_SWISH"}),
    "hard_swish_lambda": ([(48,)], lambda x: L.Lambda(_hard_swish_lambda)(x), {"low": -5.0, "high": 5.0},
                          {"HARD_SWISH"}),
    "hard_swish_narrow": ([(32,)], lambda x: L.Lambda(_hard_swish_lambda)(x), {"low": -0.4, "high": 0.4},
                          {"HARD_SWISH"}),
    "sigmoid_narrow": ([(32,)], lambda x: L.Activation("sigmoid")(x), {"low": -0.1, "high": 0.1}, {"LOGISTIC"}),
    "tanh_narrow": ([(32,)], lambda x: L.Activation("tanh")(x), {"low": -0.05, "high": 0.05}, {"TANH"}),
    "leaky_relu_steep": ([(32,)], lambda x: L.LeakyReLU(negative_slope=1.7)(x), {}, {"LEAKY_RELU"}),
    "float_io_sigmoid": ([(10,)], lambda x: L.Activation("sigmoid")(L.Dense(6)(x)), {"int8_io": False},
                         {"QUANTIZE", "DEQUANTIZE", "LOGISTIC"}),
    "float_io_concat": ([(3, 4), (2, 4)], lambda xs: L.Concatenate(axis=1)(xs), {"int8_io": False, "low": -3.0,
                                                                                "high": 3.0},
                        {"QUANTIZE", "DEQUANTIZE", "CONCATENATION"}),
    # Data movement and comparison ops.
    "transpose_permute": ([(3, 4, 5)], lambda x: L.Permute((3, 1, 2))(x), {}, {"TRANSPOSE"}),
    "transpose_rank5": ([(2, 3, 4, 2)], lambda x: L.Lambda(lambda t: tf.transpose(t, [0, 4, 2, 1, 3]))(
        L.Reshape((2, 3, 4, 2))(x)), {}, {"TRANSPOSE"}),
    "maximum_inputs": ([(4, 4, 3), (4, 4, 3)], lambda xs: L.Maximum()(xs), {}, {"MAXIMUM"}),
    "minimum_broadcast": ([(4, 5, 3), (1, 5, 1)], lambda xs: L.Lambda(lambda t: tf.minimum(t[0], t[1]))(xs), {},
                          {"MINIMUM"}),
    "resize_nearest_x2": ([(3, 4, 2)], lambda x: L.Lambda(lambda t: tf.image.resize(t, (6, 12), method="nearest"))(x),
                          {}, {"RESIZE_NEAREST_NEIGHBOR"}),
    "resize_nearest_odd": ([(5, 4, 3)], lambda x: L.Lambda(lambda t: tf.image.resize(t, (7, 3), method="nearest"))(x),
                           {}, {"RESIZE_NEAREST_NEIGHBOR"}),
    "resize_nearest_align": ([(4, 5, 2)], lambda x: L.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(
        t, (7, 9), align_corners=True))(x), {}, {"RESIZE_NEAREST_NEIGHBOR"}),
    "strided_slice_basic": ([(8, 7, 4)], lambda x: L.Lambda(lambda t: t[:, 1:7:2, ::3, 1:])(x), {}, {"STRIDED_SLICE"}),
    "strided_slice_negative": ([(6, 9, 3)], lambda x: L.Lambda(lambda t: t[:, ::-2, -2:1:-3, ::-1])(x), {},
                               {"STRIDED_SLICE"}),
    "strided_slice_shrink": ([(5, 6, 4)], lambda x: L.Lambda(lambda t: t[:, 2, 1:5, -1:])(x), {}, {"STRIDED_SLICE"}),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, object]:
    """Converted lazily, once per module, so a -k selection converts only what it uses."""
    from tfmodels import convert_int8, keras_model

    root = tmp_path_factory.mktemp("act")
    cache: dict[str, object] = {}

    def get(case: str):
        if case not in cache:
            shapes, body, opts, _ = CASES[case]
            seed = sum(map(ord, case)) % 1000
            cache[case] = convert_int8(keras_model(shapes, body, seed=seed), root / f"{case}.tflite", shapes, **opts)
        return cache[case]
    return get  # type: ignore[return-value]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bit_exact(case: str, models) -> None:
    path = models(case)
    ops = {op.opcode for op in load(path).ops}
    assert CASES[case][3] <= ops, f"expected {CASES[case][3]} in the compiled graph, got {sorted(ops)}"
    rep = verify(path, samples=30, seed=3)
    assert rep.elements > 0
    assert rep.mismatches == 0, rep.to_dict()


def _rounding_edges(scale: float, n: int) -> np.ndarray:
    """Floats at and next to (k + 1/2) * scale, where dividing in float (as TFLM does) and in
    double can round to different integers, plus huge, tiny and infinite values."""
    s = np.float32(scale)
    ks = np.arange(-140, 140, dtype=np.float32) + np.float32(0.5)
    mid = (ks * s).astype(np.float32)
    vals = np.concatenate([mid, np.nextafter(mid, np.float32(np.inf)), np.nextafter(mid, np.float32(-np.inf)),
                           np.array([0.0, -0.0, 1e30, -1e30, np.inf, -np.inf, 1e-30], np.float32)])
    reps = -(-n // len(vals))
    return np.tile(vals, reps)[:n]


def test_quantize_float_rounding_edges(models) -> None:
    """QUANTIZE from float32 on inputs that sit on rounding boundaries: only a float32 division,
    as TFLM's, gets these right (a double division differs on some of them)."""
    path = models("float_io_sigmoid")
    g = load(path)
    q = next(op for op in g.ops if op.opcode == "QUANTIZE")
    t_in = g.t(q.inputs[0])
    scale = g.t(q.outputs[0]).qscale
    size = int(np.prod(t_in.shape))
    flat = _rounding_edges(scale, 64 * size)
    xs = [flat.reshape(64, *t_in.shape)]
    rep = verify(path, inputs=xs)
    assert rep.mismatches == 0, rep.to_dict()
    # The inputs must include some where a double division would have rounded differently.
    finite = flat[np.abs(flat) < 1e6]
    with np.errstate(all="ignore"):
        by_float = _round_half_away((finite / np.float32(scale)).astype(np.float64))
    by_double = _round_half_away(finite.astype(np.float64) / scale)
    assert np.count_nonzero(by_float != by_double) > 0


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _edit_quantization(src, dst, edits: dict[str, tuple[float, int]]):
    """Copy a .tflite, giving the named tensors another (scale, zero point)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(src.read_bytes()), 0)
    names = set()
    for t in model.subgraphs[0].tensors:
        name = t.name.decode() if isinstance(t.name, bytes) else t.name
        if name in edits:
            t.quantization.scale, t.quantization.zeroPoint = [edits[name][0]], [edits[name][1]]
            names.add(name)
    assert names == set(edits), f"tensors not found: {set(edits) - names}"
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    dst.write_bytes(bytes(b.Output()))
    return dst


def test_concat_inputs_with_other_quantization(models, tmp_path) -> None:
    """TFLM's int8 CONCATENATION refuses inputs quantized unlike the output (it never
    requantizes); tinyq refuses them too, with a clear reason, rather than copying bytes."""
    from tinyq.errors import TinyqError
    from tinyq.workflows.compile import compile

    src = models("concat_axis1_inputs")
    g = load(src)
    concat = next(op for op in g.ops if op.opcode == "CONCATENATION")
    name = g.t(concat.inputs[1]).name
    path = _edit_quantization(src, tmp_path / "mixed.tflite", {name: (0.123, 17)})
    with pytest.raises(TinyqError, match="does not requantize"):
        compile(path)
    # ...and TFLM really does refuse it (if a TFLM release starts accepting it, this says so).
    from tinyq.targets.reference import ReferenceError_, run_reference
    x = np.zeros((1, *g.t(g.inputs[0]).shape), np.int8)
    y = np.zeros((1, *g.t(g.inputs[1]).shape), np.int8)
    with pytest.raises(ReferenceError_, match="CONCATENATION"):
        run_reference(path, [x, y], 1)


def test_standalone_kernels_in_place(models) -> None:
    """Element-wise ops declare in-place pairs, and the planner uses them: a standalone RELU
    after a PAD runs in the PAD's buffer, so the arena shrinks by a whole tensor."""
    from tinyq.ops.registry import Prepared, load_all
    from tinyq.plan.compiled import plan
    from tinyq.workflows.compile import compile

    path = models("relu_after_pad")
    g = load(path)
    reg = load_all()
    for op in g.ops:
        data = reg[op.opcode].prepare(op, g)
        if op.opcode == "RELU":
            assert [(o.input, o.output, o.delta) for o in data.overlaps()] == [(op.inputs[0], op.outputs[0], 0)]
    gen = compile(path)
    in_place = gen.arena_bytes
    # the same layers with RELU's overlap taken away
    for layer in gen.lowered.layers:
        if layer.op.opcode == "RELU":
            layer.data = Prepared(layer.data.index, layer.data.opcode)
    separate = plan(gen.lowered).arena_bytes
    assert in_place < separate, (in_place, separate)


@pytest.mark.slow
def test_mobilenet_v3_small_hard_swish(tmp_path) -> None:
    """MobileNetV3-Small (random weights, 64x64) up to its logits: 18 HARD_SWISH among conv,
    depthwise, MEAN and MUL layers. (The final SOFTMAX is left out: TFLM aborts on it with
    these untrained weights, so there would be no reference.)"""
    from tfmodels import convert_int8

    tf.keras.utils.set_random_seed(1)
    net = tf.keras.applications.MobileNetV3Small(input_shape=(64, 64, 3), weights=None,
                                                 include_preprocessing=False, classes=10)
    # by type, not by name: Keras numbers layer names per process ("flatten_3" after other tests)
    flatten = next(layer for layer in net.layers if isinstance(layer, tf.keras.layers.Flatten))
    logits = tf.keras.Model(net.input, flatten.output)
    inp = tf.keras.Input((64, 64, 3), batch_size=1)
    path = convert_int8(tf.keras.Model(inp, logits(inp)), tmp_path / "mnv3s.tflite", [(64, 64, 3)], samples=4)
    assert sum(op.opcode == "HARD_SWISH" for op in load(path).ops) >= 10
    rep = verify(path, samples=4, seed=2)
    assert rep.mismatches == 0, rep.to_dict()
