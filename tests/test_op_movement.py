"""Data-movement ops (SPLIT, SPLIT_V, UNPACK, PACK, TILE, BROADCAST_TO, FILL, SLICE, GATHER,
SPACE_TO_DEPTH, DEPTH_TO_SPACE, ...), in models TensorFlow quantizes itself, against TFLM (or,
where TFLM has no kernel, LiteRT's reference kernels) bit for bit."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tinyq.passes.pipeline import load
from tinyq.workflows.verify import verify

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers


def _lam(fn: Callable) -> Callable:
    return lambda x: L.Lambda(fn)(x)


def _cat(ts: list) -> "tf.Tensor":
    """Several outputs as one (each through its own op, so every copy is checked)."""
    return tf.concat([tf.reshape(t, [1, -1]) for t in ts], axis=1)


# name -> (input shapes, body, opcodes that must appear, reference used)
CASES: dict[str, tuple[list[tuple[int, ...]], Callable, set[str], str]] = {
    "split_channels": ([(4, 5, 6)], _lam(lambda t: _cat([u * 2.0 for u in tf.split(t, 3, axis=-1)])), {"SPLIT"}, "TFLM"),
    "split_rows_view": ([(6, 5)], _lam(lambda t: _cat([tf.nn.relu(u) for u in tf.split(t, 2, axis=1)])),
                        {"SPLIT"}, "TFLM"),
    "split_v_axis1": ([(7, 4)], _lam(lambda t: _cat([u * 3.0 for u in tf.split(t, [2, 4, 1], axis=1)])), {"SPLIT_V"}, "TFLM"),
    "unpack_axis1": ([(3, 4, 2)], _lam(lambda t: _cat([u * 2.0 for u in tf.unstack(t, axis=2)])), {"UNPACK"}, "TFLM"),
    "pack_axis2": ([(3, 4), (3, 4)], _lam(lambda t: tf.stack([t[0], t[1] * 2.0, t[0] - t[1]], axis=2)), {"PACK"}, "TFLM"),
    "tile": ([(2, 3, 2)], _lam(lambda t: tf.tile(t, [1, 2, 1, 3])), {"TILE"}, "LiteRT BUILTIN_REF"),
    "slice": ([(5, 6, 4)], _lam(lambda t: tf.slice(t, [0, 1, 2, 1], [1, 3, -1, 2]) * 2.0), {"SLICE"}, "TFLM"),
    "space_to_depth": ([(6, 4, 3)], _lam(lambda t: tf.nn.space_to_depth(t, 2) * 2.0), {"SPACE_TO_DEPTH"}, "TFLM"),
    "depth_to_space": ([(3, 2, 8)], _lam(lambda t: tf.nn.depth_to_space(t, 2) * 2.0), {"DEPTH_TO_SPACE"}, "TFLM"),
    "gather_const": ([(5, 4)], _lam(lambda t: tf.gather(t, [3, 0, 0, 4], axis=1) * 2.0), {"GATHER"}, "TFLM"),
    "gather_nd_const": ([(4, 3, 2)], _lam(lambda t: tf.gather_nd(t[0], [[1, 2], [3, 0], [0, 1]]) * 2.0),
                        {"GATHER_ND"}, "TFLM"),
    "fill_runtime_value": ([(4,)], _lam(lambda t: tf.fill([1, 3, 5], t[0, 1]) + t[0, 2]), {"FILL"}, "TFLM"),
    "mirror_pad_reflect": ([(5, 6, 3)], _lam(lambda t: tf.pad(t, [[0, 0], [2, 1], [1, 3], [0, 0]], mode="REFLECT") * 2.0),
                           {"MIRROR_PAD"}, "TFLM"),
    "mirror_pad_symmetric": ([(4, 5)], _lam(lambda t: tf.pad(t, [[0, 0], [1, 2], [3, 0]], mode="SYMMETRIC") * 2.0),
                             {"MIRROR_PAD"}, "TFLM"),
    "reverse": ([(4, 5, 3)], _lam(lambda t: tf.reverse(t, axis=[1, 2]) * 2.0), {"REVERSE_V2"}, "TFLM"),
    "space_to_batch": ([(5, 6, 3)], _lam(lambda t: tf.space_to_batch_nd(t, [2, 3], [[1, 0], [2, 1]]) * 2.0),
                       {"SPACE_TO_BATCH_ND"}, "TFLM"),
    "batch_to_space": ([(4, 5, 3)], _lam(lambda t: tf.batch_to_space(tf.concat([t, t * 0.5, t * -0.7, t * 0.25], 0), [2, 2],
                                                                        [[1, 0], [0, 2]]) * 2.0),
                       {"BATCH_TO_SPACE_ND"}, "TFLM"),
    "broadcast_to": ([(1, 3, 1)], _lam(lambda t: tf.broadcast_to(t, [1, 4, 3, 5])), {"BROADCAST_TO"}, "TFLM"),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from tfmodels import convert_cases

    return convert_cases(CASES, tmp_path_factory.mktemp("movement"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bit_exact(case: str, models: dict[str, Path]) -> None:
    from tfmodels import verify_case

    rep = verify_case(models[case], CASES[case][2], 100, 3, sanitize=case in ("split_channels", "tile"))
    assert rep.reference == CASES[case][3], rep.reference_note


def test_dynamic_update_slice_with_computed_indices(tmp_path: Path) -> None:
    """DYNAMIC_UPDATE_SLICE (from a tf.function: Keras has no layer for it) with start indices
    computed at run time by an ARG_MAX, the column index clamped."""
    from tensorflow.compiler.tf2xla.python import xla

    @tf.function(input_signature=[tf.TensorSpec([1, 5, 6, 2], tf.float32), tf.TensorSpec([1, 2, 3, 2], tf.float32)])
    def fn(a, u):
        row = tf.argmax(a[0, :, 0, 0], output_type=tf.int32)
        return xla.dynamic_update_slice(a * 1.0, u * 0.5, tf.stack([0, row, 4, 0]))

    from tfmodels import quantize_with

    path = quantize_with(tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn),
                         tmp_path / "dus.tflite", [(1, 5, 6, 2), (1, 2, 3, 2)])
    assert "DYNAMIC_UPDATE_SLICE" in {op.opcode for op in load(path).ops}
    rep_ = verify(path, samples=100, seed=4, sanitize=True)
    assert rep_.elements > 0 and rep_.mismatches == 0 and rep_.reference == "TFLM", rep_.to_dict()


def test_fill_with_a_computed_shape(tmp_path: Path) -> None:
    """FILL's dims computed at run time (an unknown batch: SHAPE -> FILL): tinyq folds them at
    generation time; TFLM's FILL rejects them, so LiteRT's reference kernels are the reference."""
    from tfmodels import convert_int8, keras_model

    m = keras_model([(3, 4)], _lam(lambda t: tf.fill(tf.shape(t), 0.25) + t), batch=None)
    path = convert_int8(m, tmp_path / "fill.tflite", [(3, 4)])
    assert "FILL" in {op.opcode for op in load(path, passes=False).ops}
    rep = verify(path, samples=100, seed=2)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
    assert rep.reference == "LiteRT BUILTIN_REF" and "FILL" in rep.reference_note, rep.reference_note
